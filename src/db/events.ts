// Storing events: one D1 round trip for a whole ingest request, idempotent on the producer's key.
import { and, eq, sql } from "drizzle-orm";
import { database, inList } from "./client";
import { events } from "./schema";

export type EventRow = typeof events.$inferSelect;
export type NewEvent = Omit<EventRow, "seq" | "webhookIds" | "fannedOut">;

export interface StoredEvent {
  id: string;
  seq: number;
  duplicate: boolean;
}

// D1 takes at most 100 bound parameters per statement.
const ROWS_PER_INSERT = Math.floor(100 / 11);

/**
 * Inserts the events (in order, so their seqs follow the request) and answers, for each, its id
 * and seq; an event whose idempotency key was seen before answers the original and `duplicate`.
 */
export async function storeEvents(d1: D1Database, orgId: string, rows: NewEvent[]): Promise<StoredEvent[]> {
  const db = database(d1);
  const inserts = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    inserts.push(
      db
        .insert(events)
        .values(rows.slice(i, i + ROWS_PER_INSERT))
        .onConflictDoNothing()
        .returning({ id: events.id, seq: events.seq }),
    );
  }
  const keyed = rows.filter((r) => r.idempotencyKey !== null);
  const lookups = [...new Set(keyed.map((r) => r.source))].map((source) =>
    db
      .select({ id: events.id, seq: events.seq, source: events.source, key: events.idempotencyKey })
      .from(events)
      .where(
        and(
          eq(events.orgId, orgId),
          eq(events.source, source),
          inList(events.idempotencyKey, keyed.filter((r) => r.source === source).map((r) => r.idempotencyKey!)),
        ),
      ),
  );
  const results = await db.batch([inserts[0]!, ...inserts.slice(1), ...lookups]);
  const inserted = new Map<string, number>();
  for (const rowsOut of results.slice(0, inserts.length) as { id: string; seq: number }[][]) {
    for (const row of rowsOut) inserted.set(row.id, row.seq);
  }
  const byKey = new Map<string, { id: string; seq: number }>();
  for (const rowsOut of results.slice(inserts.length) as { id: string; seq: number; source: string; key: string }[][]) {
    for (const row of rowsOut) byKey.set(`${row.source}\u0000${row.key}`, row);
  }
  const seenInRequest = new Map<string, StoredEvent>();
  return rows.map((row) => {
    const seq = inserted.get(row.id);
    if (seq !== undefined) {
      const stored = { id: row.id, seq, duplicate: false };
      if (row.idempotencyKey !== null) seenInRequest.set(`${row.source}\u0000${row.idempotencyKey}`, stored);
      return stored;
    }
    const key = `${row.source}\u0000${row.idempotencyKey}`;
    const original = seenInRequest.get(key) ?? byKey.get(key);
    if (!original) throw new Error(`event ${row.id} was neither stored nor a duplicate`);
    return { id: original.id, seq: original.seq, duplicate: true };
  });
}

/** Takes back events whose fan-out job could not be queued, so the request can be retried whole. */
export async function unstoreEvents(d1: D1Database, seqs: number[]): Promise<void> {
  if (seqs.length === 0) return;
  await database(d1).delete(events).where(inList(events.seq, seqs));
}

export async function findEvent(d1: D1Database, orgId: string, id: string): Promise<EventRow | undefined> {
  return database(d1).select().from(events).where(and(eq(events.orgId, orgId), eq(events.id, id))).get();
}

/** The newest seq: a redelivery is ordered after everything ingested before it was asked for. */
export async function latestSeq(d1: D1Database): Promise<number> {
  const row = await database(d1).select({ seq: sql<number>`coalesce(max(${events.seq}), 0)` }).from(events).get();
  return row?.seq ?? 0;
}
