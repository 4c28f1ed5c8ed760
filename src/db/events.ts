// Storing events: one D1 round trip for a whole ingest request, idempotent on the producer's key.
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { QueryBuilder, SQLiteInsertSelectQueryBuilder } from "drizzle-orm/sqlite-core";
import { database, inList, type Database } from "./client";
import { apiKeys, entities, events, eventTypes } from "./schema";

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
    originalsQuery(db, orgId, source, keyed.filter((r) => r.source === source).map((r) => r.idempotencyKey!)),
  );
  const results = await db.batch([inserts[0]!, ...inserts.slice(1), ...lookups]);
  return resolveStored(
    rows,
    (results.slice(0, inserts.length) as Inserted[][]).flat(),
    (results.slice(inserts.length) as Original[][]).flat(),
  );
}

type Inserted = { id: string; seq: number };
type Original = { id: string; seq: number; source: string; key: string | null };

/** The events already stored under these idempotency keys of one source. */
export function originalsQuery(db: Database, orgId: string, source: string, keys: string[]) {
  return db
    .select({ id: events.id, seq: events.seq, source: events.source, key: events.idempotencyKey })
    .from(events)
    .where(and(eq(events.orgId, orgId), eq(events.source, source), inList(events.idempotencyKey, keys)));
}

/**
 * Each posted row's answer: its seq if this request inserted it, else the original stored under
 * its idempotency key (earlier, or earlier in the same request) as a duplicate.
 */
export function resolveStored(
  rows: Pick<NewEvent, "id" | "source" | "idempotencyKey">[],
  inserted: Inserted[],
  originals: Original[],
): StoredEvent[] {
  const seqOf = new Map(inserted.map((row) => [row.id, row.seq]));
  const byKey = new Map(originals.map((row) => [`${row.source}\u0000${row.key}`, row]));
  const seenInRequest = new Map<string, StoredEvent>();
  return rows.map((row) => {
    const seq = seqOf.get(row.id);
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

/**
 * Takes back events a request stored but must not keep: an addressed event whose fan-out job could
 * not be queued (so the request can be retried whole), or an ingest the rate limiter refused.
 */
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

/** A producer's event as ingest stores it; the key row gives its organization and source. */
export type PostedEvent = Pick<NewEvent, "id" | "type" | "entity" | "idempotencyKey" | "data">;

/**
 * Stores a producer's events, all or nothing, in the same statement that checks them: only if the
 * key passes `keyGuard` (a condition on api_keys) and every type is in the catalog of the key's
 * source and every entity exists there. Seqs follow the posted order; a repeated idempotency key
 * stores nothing (ON CONFLICT DO NOTHING), so fewer rows come back than were posted.
 *
 * Built once (see `prebuilt`), with placeholders: `posted`, the JSON of the PostedEvent list (one
 * parameter read with json_each, since D1 takes at most 100 bound parameters per statement; the
 * catalog condition is raw SQL over that list), `created`, and those of `keyGuard`.
 */
export function insertPostedEvents(db: Database, keyGuard: SQL) {
  const list = db.$with("posted").as((qb) =>
    qb.select({ position: sql<number>`key`.as("position"), value: sql<string>`value`.as("value") }).from(sql`json_each(${sql.placeholder("posted")})`),
  );
  const field = (name: keyof PostedEvent) => sql<string>`${list.value} ->> ${name}`.as(name);
  const allKnown = sql`NOT EXISTS (
    SELECT 1 FROM ${list} AS item
    WHERE NOT EXISTS (
        SELECT 1 FROM ${eventTypes}
        WHERE ${eventTypes.orgId} = ${apiKeys.orgId} AND ${eventTypes.source} = ${apiKeys.source} AND ${eventTypes.name} = item.value ->> 'type')
      OR (item.value ->> 'entity' IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM ${entities}
        WHERE ${entities.orgId} = ${apiKeys.orgId} AND ${entities.source} = ${apiKeys.source} AND ${entities.name} = item.value ->> 'entity')))`;
  return db
    .with(list)
    .insert(events)
    .select(((qb: QueryBuilder): SQLiteInsertSelectQueryBuilder<typeof events> =>
      qb
        .select({
          seq: sql<number>`NULL`.as("seq"),
          id: field("id"),
          orgId: apiKeys.orgId,
          kind: sql<"event">`'event'`.as("kind"),
          source: sql<string>`${apiKeys.source}`.as("source"),
          type: field("type"),
          entity: field("entity"),
          idempotencyKey: field("idempotencyKey"),
          data: field("data"),
          targets: sql<null>`NULL`.as("targets"),
          created: sql<number>`${sql.placeholder("created")}`.as("created"),
          webhookIds: sql<null>`NULL`.as("webhookIds"),
          fannedOut: sql<null>`NULL`.as("fannedOut"),
        })
        .from(list)
        .innerJoin(apiKeys, keyGuard)
        .where(allKnown)
        .orderBy(sql`${list.position}`)))
    .onConflictDoNothing()
    .returning({ id: events.id, seq: events.seq });
}
