import { drizzle } from "drizzle-orm/d1";
import { count, fillPlaceholders, getTableColumns, is, Placeholder, sql, type Column, type SQL, type Table } from "drizzle-orm";
import type { SQLiteSelect, SQLiteTable } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

const connect = (d1: D1Database) => drizzle(d1, { schema });
export type Database = ReturnType<typeof connect>;

// drizzle reads the whole schema each time it connects: once per binding is enough (a binding
// outlives the requests of its isolate).
const databases = new WeakMap<D1Database, Database>();

export function database(d1: D1Database): Database {
  let db = databases.get(d1);
  if (!db) {
    db = connect(d1);
    databases.set(d1, db);
  }
  return db;
}

/**
 * A statement whose SQL drizzle builds once per isolate; each call binds its `sql.placeholder`s by
 * name. For hot paths: building SQL from drizzle's query objects costs more CPU than D1 takes to
 * run a small statement (on ingest it was half the request's CPU time).
 */
export function prebuilt<Names extends string>(build: (db: Database) => { toSQL(): { sql: string; params: unknown[] } }) {
  let query: { sql: string; params: unknown[] } | undefined;
  return (d1: D1Database, values: Record<Names, string | number | null>): D1PreparedStatement => {
    query ??= build(database(d1)).toSQL();
    return d1.prepare(query.sql).bind(...fillPlaceholders(query.params, values));
  };
}

/** A row as D1 returns it (column names) the way drizzle's select gives it (field names, mapped values). */
export function fromRow<T extends Table>(table: T, row: Record<string, unknown>): T["$inferSelect"] {
  const columns: Record<string, Column> = getTableColumns(table);
  return Object.fromEntries(
    Object.entries(columns).map(([field, column]) => {
      const value = row[column.name];
      return [field, value === null || value === undefined ? null : column.mapFromDriverValue(value)];
    }),
  ) as T["$inferSelect"];
}

/**
 * `column IN (values)` with the whole list bound as one JSON parameter: D1 refuses a statement
 * with more than 100 bound parameters, and a batch of 100 events brings that many seqs, ids or names.
 * In a prebuilt statement, `values` is a placeholder bound to the list's JSON.
 */
export function inList(column: Column, values: readonly (string | number)[] | Placeholder): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${is(values, Placeholder) ? values : JSON.stringify(values)}))`;
}

/**
 * True where `column` contains `text`, ignoring ASCII case (as LIKE does), every character taken
 * literally. Not LIKE: D1 refuses LIKE patterns over 50 bytes ("pattern too complex"), which a
 * search of 17 CJK characters already is.
 */
export function containsIgnoringCase(column: Column, text: string): SQL {
  return sql`instr(lower(${column}), lower(${text})) > 0`;
}

/** A page of a list: `limit` records from `offset`, or every record when there is no limit. */
export interface Page {
  limit: number | undefined;
  offset: number;
}

/** The select, cut to the page. */
export function paged<T extends SQLiteSelect>(select: T, page: Page): T {
  return page.limit === undefined ? select : select.limit(page.limit).offset(page.offset);
}

/**
 * A page of a list and the number of records in the whole list (the `totalRecords` of every list
 * answer): the records of `select` matching `where`, cut to the page, and the count of `table`'s rows
 * matching `where`. One batch, so the total is counted on the same rows the page was cut from.
 * `select` reads from `table` and sets its order; `where` is given here, once for both statements.
 */
export async function pagedWithTotal<T extends SQLiteSelect>(
  db: Database,
  table: SQLiteTable,
  where: SQL | undefined,
  select: T,
  page: Page,
): Promise<{ rows: T["_"]["result"]; totalRecords: number }> {
  const [rows, [total]] = await db.batch([paged(select.where(where), page), db.select({ n: count() }).from(table).where(where)]);
  return { rows, totalRecords: total?.n ?? 0 };
}

/** Who writes a row: the organization it belongs to and the e-mail its created/updated columns record. */
export interface Author {
  orgId: string;
  email: string;
}
