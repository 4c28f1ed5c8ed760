// Fan-out: each event goes to the sequencer of every webhook it matches (or is addressed to), in
// ingest order within a job. Large fan-outs are split into chunk jobs so no invocation comes near
// the subrequest limit.
import { and, eq, isNull, notExists, sql } from "drizzle-orm";
import { numberSetting, type Env } from "../env";
import { database, fromRow, inList, prebuilt } from "../db/client";
import { events, fanoutChunks, webhooks } from "../db/schema";
import type { EventRow } from "../db/events";
import { readWatermark, watermarkOf, watermarkQuery, type WatermarkRow } from "../sequencer/ordering";
import type { AppendItem } from "../sequencer/records";
import type { DrainJob, FanoutChunkJob, FanoutJob } from "./jobs";
import { sequencer } from "./sequencer-client";

/** Parallel sequencer calls per invocation: below the 6 simultaneous connections a Worker may open. */
const APPEND_CONCURRENCY = 5;

/**
 * Appends the job's events to their webhooks' sequencers, each webhook's events in one call, and
 * marks them fanned out. Returns the drains it claimed: webhooks that were idle, for the caller to
 * deliver to right away instead of through another trip on the queue.
 */
export async function fanOut(env: Env, job: FanoutJob): Promise<DrainJob[]> {
  const [unfanned, watermark] = await Promise.all([
    unfannedEvents(env.DB, { orgId: job.orgId, seqs: JSON.stringify(job.seqs) }).all(),
    readWatermark(env.DB, job.orgId),
  ]);
  const pending = unfanned.results.map((row) => fromRow(events, row));
  if (pending.length === 0) return [];
  const chunkSize = Math.max(1, numberSetting(env.FANOUT_CHUNK_SIZE, 40));
  const targets = await webhooksOf(env.DB, pending);
  const direct = pending.filter((event) => targets.get(event.seq)!.length <= chunkSize);
  const claimed = await appendToSequencers(
    env,
    job.orgId,
    direct.flatMap((event) => targets.get(event.seq)!.map((webhookId) => ({ webhookId, item: appendItem(event) }))),
    watermark.value,
  );
  if (direct.length > 0) {
    // One statement per distinct list of webhooks (usually one for the whole job), and the
    // watermark as it stands once they are marked: the drains this fan-out claimed start with it
    // instead of asking D1 when they reach the job's second event.
    const now = Date.now();
    const groups = new Map<string, { webhookIds: string[]; seqs: number[] }>();
    for (const event of direct) {
      const webhookIds = targets.get(event.seq)!;
      const key = JSON.stringify(webhookIds);
      if (!groups.has(key)) groups.set(key, { webhookIds, seqs: [] });
      groups.get(key)!.seqs.push(event.seq);
    }
    const marks = [...groups.values()].map(({ webhookIds, seqs }) =>
      markFannedOut(env.DB, { webhookIds: JSON.stringify(webhookIds), fannedOut: now, seqs: JSON.stringify(seqs) }),
    );
    const results = await env.DB.batch([...marks, watermarkQuery(env.DB, job.orgId)]);
    const after = watermarkOf(results.at(-1)!.results[0] as WatermarkRow | undefined);
    for (const drain of claimed) drain.watermark = after.value;
  }
  for (const event of pending) {
    if (!direct.includes(event)) await splitIntoChunks(env, event, targets.get(event.seq)!, chunkSize);
  }
  return claimed;
}

/** Each event's webhooks: its fixed list if a fan-out already fixed one, else one match per kind of event. */
async function webhooksOf(d1: D1Database, pending: EventRow[]): Promise<Map<number, string[]>> {
  const matches = new Map<string, Promise<string[]>>();
  const targets = new Map<number, string[]>();
  for (const event of pending) {
    if (event.webhookIds) {
      targets.set(event.seq, event.webhookIds);
      continue;
    }
    const key = JSON.stringify([event.kind, event.source, event.type, event.entity, event.targets]);
    if (!matches.has(key)) matches.set(key, matchingWebhooks(d1, event));
    targets.set(event.seq, await matches.get(key)!);
  }
  return targets;
}

/** A fan-out too large for one invocation becomes chunk jobs. */
async function splitIntoChunks(env: Env, event: EventRow, webhookIds: string[], chunkSize: number) {
  const db = database(env.DB);
  // Fix the list first, so a re-run of this job splits it the same way.
  const chunks = Math.ceil(webhookIds.length / chunkSize);
  await db.batch([
    db.update(events).set({ webhookIds }).where(and(eq(events.seq, event.seq), isNull(events.webhookIds))),
    db
      .insert(fanoutChunks)
      .values(Array.from({ length: chunks }, (_, chunk) => ({ seq: event.seq, chunk })))
      .onConflictDoNothing(),
  ]);
  const jobs: FanoutChunkJob[] = Array.from({ length: chunks }, (_, chunk) => ({ kind: "fanout-chunk", orgId: event.orgId, seq: event.seq, chunk }));
  for (let i = 0; i < jobs.length; i += 100) {
    await env.JOBS.sendBatch(jobs.slice(i, i + 100).map((body) => ({ body })));
  }
}

export async function fanOutChunk(env: Env, job: FanoutChunkJob): Promise<DrainJob[]> {
  const db = database(env.DB);
  const [event, watermark] = await Promise.all([
    db.select().from(events).where(eq(events.seq, job.seq)).get(),
    readWatermark(env.DB, job.orgId),
  ]);
  if (!event?.webhookIds || event.fannedOut !== null) return [];
  const chunkSize = Math.max(1, numberSetting(env.FANOUT_CHUNK_SIZE, 40));
  const slice = event.webhookIds.slice(job.chunk * chunkSize, (job.chunk + 1) * chunkSize);
  const claimed = await appendToSequencers(
    env,
    job.orgId,
    slice.map((webhookId) => ({ webhookId, item: appendItem(event) })),
    watermark.value,
  );
  const remaining = db.select({ seq: fanoutChunks.seq }).from(fanoutChunks).where(eq(fanoutChunks.seq, job.seq));
  await db.batch([
    db.delete(fanoutChunks).where(and(eq(fanoutChunks.seq, job.seq), eq(fanoutChunks.chunk, job.chunk))),
    db.update(events).set({ fannedOut: Date.now() }).where(and(eq(events.seq, job.seq), isNull(events.fannedOut), notExists(remaining))),
  ]);
  return claimed;
}

/**
 * The enabled webhooks an event goes to. Matched events: same source, entity unset or equal,
 * and a subscription naming the type, a wildcard prefix of it, `*`, or nothing (all types).
 * Test events and notifications: their targets that still exist and are enabled.
 */
export async function matchingWebhooks(d1: D1Database, event: Pick<EventRow, "orgId" | "kind" | "source" | "type" | "entity" | "targets">): Promise<string[]> {
  const db = database(d1);
  if (event.kind !== "event") {
    const targets = event.targets ?? [];
    if (targets.length === 0) return [];
    const rows = await db
      .select({ id: webhooks.id })
      .from(webhooks)
      .where(and(eq(webhooks.orgId, event.orgId), eq(webhooks.enabled, true), inList(webhooks.id, targets)))
      .all();
    const found = new Set(rows.map((r) => r.id));
    return targets.filter((id) => found.has(id));
  }
  const matched = await subscribedWebhooks(d1, {
    orgId: event.orgId,
    source: event.source,
    entity: event.entity,
    patterns: JSON.stringify(subscriptionPatterns(event.type)),
  }).all<{ id: string }>();
  return matched.results.map((r) => r.id);
}

// The fan-out's statements for every job, built once (see prebuilt).
const unfannedEvents = prebuilt<"orgId" | "seqs">((db) =>
  db
    .select()
    .from(events)
    .where(and(eq(events.orgId, sql.placeholder("orgId")), inList(events.seq, sql.placeholder("seqs")), isNull(events.fannedOut)))
    .orderBy(events.seq),
);

const markFannedOut = prebuilt<"webhookIds" | "fannedOut" | "seqs">((db) =>
  db
    .update(events)
    .set({ webhookIds: sql`${sql.placeholder("webhookIds")}`, fannedOut: sql`${sql.placeholder("fannedOut")}` })
    .where(inList(events.seq, sql.placeholder("seqs"))),
);

/** An entity-less event (entity bound to null) matches only webhooks bound to no entity. */
const subscribedWebhooks = prebuilt<"orgId" | "source" | "entity" | "patterns">((db) =>
  db
    .select({ id: webhooks.id })
    .from(webhooks)
    .where(
      and(
        eq(webhooks.orgId, sql.placeholder("orgId")),
        eq(webhooks.source, sql.placeholder("source")),
        eq(webhooks.enabled, true),
        sql`(${webhooks.entity} IS NULL OR ${webhooks.entity} = ${sql.placeholder("entity")})`,
        sql`(json_array_length(${webhooks.events}) = 0 OR EXISTS (
          SELECT 1 FROM json_each(${webhooks.events}) AS subscribed
          WHERE subscribed.value IN (SELECT value FROM json_each(${sql.placeholder("patterns")}))))`,
      ),
    )
    .orderBy(webhooks.created, webhooks.id),
);

/** The subscriptions that select `type`: itself, `*`, and each `prefix.*` of it. */
export function subscriptionPatterns(type: string): string[] {
  const parts = type.split(".");
  const prefixes = parts.slice(0, -1).map((_, i) => `${parts.slice(0, i + 1).join(".")}.*`);
  return ["*", ...prefixes, type];
}

function appendItem(event: EventRow): AppendItem {
  return { eventId: event.id, eventType: event.type, seq: event.seq };
}

/** One append per webhook with all its items (in seq order); returns the drains claimed. */
async function appendToSequencers(env: Env, orgId: string, entries: { webhookId: string; item: AppendItem }[], watermark: number): Promise<DrainJob[]> {
  const byWebhook = new Map<string, AppendItem[]>();
  for (const { webhookId, item } of entries) byWebhook.set(webhookId, [...(byWebhook.get(webhookId) ?? []), item]);
  const webhookIds = [...byWebhook.keys()];
  const claimed: DrainJob[] = [];
  let next = 0;
  const worker = async () => {
    while (next < webhookIds.length) {
      const webhookId = webhookIds[next++]!;
      const lease = await sequencer(env, webhookId).append(webhookId, orgId, byWebhook.get(webhookId)!, watermark, true);
      if (lease) claimed.push({ kind: "drain", webhookId, lease });
    }
  };
  await Promise.all(Array.from({ length: Math.min(APPEND_CONCURRENCY, webhookIds.length) }, worker));
  return claimed;
}
