// Counting billable operations for the benchmark (bench/ops.ts), wrapped around the production code
// by the harness entry (worker.ts). With OPS_METER=log every billable operation prints one `[ops] {…}`
// line, which the benchmark sums from wrangler's output: Worker invocations, queue messages
// written, read and deleted (acked), Durable Object requests (RPC calls and alarms), and the rows
// D1 and the Durable Objects' SQLite report as read and written (D1's `meta.rows_read/rows_written`,
// the SQL cursors' `rowsRead/rowsWritten`: what Cloudflare bills). Unset, nothing is wrapped and
// nothing is printed.
import type { Env } from "../../src/env";
import type { Job } from "../../src/queue/jobs";
import { OPS_LOG_PREFIX, type OpCounts } from "./ops-counts";
import { aroundObjectCalls } from "./object-calls";

/** The var that switches counting on; never set in wrangler.toml. */
export interface MeterVars {
  OPS_METER?: string;
}

function isMetered(env: MeterVars): boolean {
  return env.OPS_METER === "log";
}

function count(counts: OpCounts) {
  console.log(OPS_LOG_PREFIX + JSON.stringify(counts));
}

/** An HTTP request or a cron run: one invocation, and the bindings it uses counted. */
export function meterRequest<E extends Env & MeterVars>(env: E): E {
  if (!isMetered(env)) return env;
  count({ workerInvocations: 1 });
  return meterBindings(env);
}

/** A consumer invocation: each message read once, each ack a delete. */
export function meterBatch<E extends Env & MeterVars>(batch: MessageBatch<Job>, env: E): [MessageBatch<Job>, E] {
  if (!isMetered(env)) return [batch, env];
  count({ workerInvocations: 1, queueReads: batch.messages.length });
  const messages = batch.messages.map((message) =>
    new Proxy(message, {
      get(target, prop) {
        if (prop === "ack") return () => (count({ queueDeletes: 1 }), target.ack());
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }),
  );
  return [{ ...batch, queue: batch.queue, messages, ackAll: batch.ackAll.bind(batch), retryAll: batch.retryAll.bind(batch) }, meterBindings(env)];
}

/** The env a Durable Object keeps: its outgoing calls counted (its own requests are counted by the caller). */
export function meterBindings<E extends Env & MeterVars>(env: E): E {
  if (!isMetered(env)) return env;
  return { ...env, DB: meterD1(env.DB), JOBS: meterQueue(env.JOBS), SEQUENCER: meterObjects(env.SEQUENCER), EVENT_LOG: meterObjects(env.EVENT_LOG) };
}

/** A Durable Object's storage with its SQL rows and alarm writes counted. */
export function meterStorage(storage: DurableObjectStorage, env: MeterVars): DurableObjectStorage {
  if (!isMetered(env)) return storage;
  const sql = meterSql(storage.sql);
  return new Proxy(storage, {
    get(target, prop) {
      if (prop === "sql") return sql;
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "setAlarm" || prop === "deleteAlarm") count({ doAlarmWrites: 1 });
      return value.bind(target);
    },
  });
}

/** An alarm invocation is a billed Durable Object request. */
export function meterAlarm(env: MeterVars) {
  if (isMetered(env)) count({ doRequests: 1 });
}

function meterSql(sql: SqlStorage): SqlStorage {
  return new Proxy(sql, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop !== "exec") return typeof value === "function" ? value.bind(target) : value;
      return (query: string, ...bindings: unknown[]) => {
        const cursor = target.exec(query, ...bindings);
        let read = 0;
        let written = 0;
        // Writes happen at exec; reads as the cursor is consumed: count what is new after each step.
        const settle = () => {
          const counts = { doRowsRead: cursor.rowsRead - read, doRowsWritten: cursor.rowsWritten - written };
          read = cursor.rowsRead;
          written = cursor.rowsWritten;
          if (counts.doRowsRead || counts.doRowsWritten) count(counts);
        };
        settle();
        return new Proxy(cursor, {
          get(c, p) {
            const member = Reflect.get(c, p);
            if (typeof member !== "function") return member;
            return (...args: unknown[]) => {
              const out = member.apply(c, args);
              settle();
              return out;
            };
          },
        });
      };
    },
  });
}

function meterQueue(queue: Queue<Job>): Queue<Job> {
  return {
    send: (body, options) => (count({ queueWrites: 1 }), queue.send(body, options)),
    sendBatch: (messages, options) => (count({ queueWrites: [...messages].length }), queue.sendBatch(messages, options)),
    metrics: () => queue.metrics(),
  } as Queue<Job>;
}

/** Every RPC call on an object of the namespace is a billed request. */
function meterObjects<N extends object>(namespace: N): N {
  return aroundObjectCalls(namespace, (_method, _args, call) => (count({ doRequests: 1 }), call()));
}

const statements = new WeakMap<object, D1PreparedStatement>();

function meterD1(d1: D1Database): D1Database {
  const record = (meta: D1Meta) => {
    if (meta.rows_read || meta.rows_written) count({ d1RowsRead: meta.rows_read, d1RowsWritten: meta.rows_written });
  };
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const wrapped = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values)),
      async first(column?: string) {
        const result = await statement.all<Record<string, unknown>>();
        record(result.meta);
        const row = result.results[0];
        return row === undefined ? null : column ? row[column] : row;
      },
      async all() {
        const result = await statement.all();
        record(result.meta);
        return result;
      },
      async run() {
        const result = await statement.run();
        record(result.meta);
        return result;
      },
      // raw() carries no meta: read the rows as objects and return their values in column order,
      // as drizzle itself does with batch results.
      async raw(options?: { columnNames?: boolean }) {
        const result = await statement.all<Record<string, unknown>>();
        record(result.meta);
        const rows = result.results.map((row) => Object.values(row));
        return options?.columnNames ? [Object.keys(result.results[0] ?? {}), ...rows] : rows;
      },
    };
    statements.set(wrapped, statement);
    return wrapped as unknown as D1PreparedStatement;
  };
  return new Proxy(d1, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query));
      if (prop === "batch") {
        return async (list: D1PreparedStatement[]) => {
          const results = await target.batch(list.map((s) => statements.get(s) ?? s));
          for (const result of results) record(result.meta);
          return results;
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
