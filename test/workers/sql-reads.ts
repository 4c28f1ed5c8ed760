// A Durable Object's SQL storage with its statements counted, and the rows they read (what
// Cloudflare bills as rows read): for tests that pin a statement to an index seek, not a walk.

/** Reads a property as the target has it, methods bound to it. */
function bound(target: object, prop: string | symbol) {
  const value: unknown = Reflect.get(target, prop);
  return typeof value === "function" ? value.bind(target) : value;
}

export function countedSql(sql: SqlStorage) {
  let cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const exec = (...args: Parameters<SqlStorage["exec"]>) => {
    const cursor = sql.exec(...args);
    cursors.push(cursor);
    return cursor;
  };
  return {
    sql: new Proxy(sql, { get: (target, prop) => (prop === "exec" ? exec : bound(target, prop)) }),
    statements: () => cursors.length,
    rowsRead: () => cursors.reduce((rows, cursor) => rows + cursor.rowsRead, 0),
    reset: () => {
      cursors = [];
    },
  };
}

/** `storage` whose `sql` is `sql`. */
export function withSql(storage: DurableObjectStorage, sql: SqlStorage): DurableObjectStorage {
  return new Proxy(storage, { get: (target, prop) => (prop === "sql" ? sql : bound(target, prop)) });
}
