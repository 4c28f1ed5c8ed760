// Fan-out: each event goes to the sequencer of every webhook it matches (or is addressed to), in
// ingest order within a job. Large fan-outs are split into chunk jobs so no invocation comes near
// the subrequest limit.
import { and, eq, isNull, notExists, sql } from "drizzle-orm";
import { numberSetting, type Env } from "../env";
import { database, inList } from "../db/client";
import { events, fanoutChunks, webhooks } from "../db/schema";
import type { EventRow } from "../db/events";
import { readWatermark } from "../sequencer/ordering";
import type { FanoutChunkJob, FanoutJob } from "./jobs";
import { sequencer } from "./sequencer-client";

/** Parallel sequencer calls per invocation: below the 6 simultaneous connections a Worker may open. */
const APPEND_CONCURRENCY = 5;

export async function fanOut(env: Env, job: FanoutJob): Promise<void> {
  const db = database(env.DB);
  const [pending, watermark] = await Promise.all([
    db
      .select()
      .from(events)
      .where(and(eq(events.orgId, job.orgId), inList(events.seq, job.seqs), isNull(events.fannedOut)))
      .orderBy(events.seq)
      .all(),
    readWatermark(env.DB, job.orgId),
  ]);
  for (const event of pending) await fanOutEvent(env, event, watermark.value);
}

async function fanOutEvent(env: Env, event: EventRow, watermark: number) {
  const db = database(env.DB);
  const chunkSize = Math.max(1, numberSetting(env.FANOUT_CHUNK_SIZE, 40));
  const webhookIds = event.webhookIds ?? (await matchingWebhooks(env.DB, event));
  if (webhookIds.length <= chunkSize) {
    await appendToSequencers(env, event, webhookIds, watermark);
    await db.update(events).set({ webhookIds, fannedOut: Date.now() }).where(eq(events.seq, event.seq));
    return;
  }
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

export async function fanOutChunk(env: Env, job: FanoutChunkJob): Promise<void> {
  const db = database(env.DB);
  const [event, watermark] = await Promise.all([
    db.select().from(events).where(eq(events.seq, job.seq)).get(),
    readWatermark(env.DB, job.orgId),
  ]);
  if (!event?.webhookIds || event.fannedOut !== null) return;
  const chunkSize = Math.max(1, numberSetting(env.FANOUT_CHUNK_SIZE, 40));
  const slice = event.webhookIds.slice(job.chunk * chunkSize, (job.chunk + 1) * chunkSize);
  await appendToSequencers(env, event, slice, watermark.value);
  const remaining = db.select({ seq: fanoutChunks.seq }).from(fanoutChunks).where(eq(fanoutChunks.seq, job.seq));
  await db.batch([
    db.delete(fanoutChunks).where(and(eq(fanoutChunks.seq, job.seq), eq(fanoutChunks.chunk, job.chunk))),
    db.update(events).set({ fannedOut: Date.now() }).where(and(eq(events.seq, job.seq), isNull(events.fannedOut), notExists(remaining))),
  ]);
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
  const patterns = subscriptionPatterns(event.type);
  const rows = await db
    .select({ id: webhooks.id })
    .from(webhooks)
    .where(
      and(
        eq(webhooks.orgId, event.orgId),
        eq(webhooks.source, event.source),
        eq(webhooks.enabled, true),
        event.entity === null ? isNull(webhooks.entity) : sql`(${webhooks.entity} IS NULL OR ${webhooks.entity} = ${event.entity})`,
        sql`(json_array_length(${webhooks.events}) = 0 OR EXISTS (SELECT 1 FROM json_each(${webhooks.events}) WHERE json_each.value IN ${patterns}))`,
      ),
    )
    .orderBy(webhooks.created, webhooks.id)
    .all();
  return rows.map((r) => r.id);
}

/** The subscriptions that select `type`: itself, `*`, and each `prefix.*` of it. */
export function subscriptionPatterns(type: string): string[] {
  const parts = type.split(".");
  const prefixes = parts.slice(0, -1).map((_, i) => `${parts.slice(0, i + 1).join(".")}.*`);
  return ["*", ...prefixes, type];
}

async function appendToSequencers(env: Env, event: EventRow, webhookIds: string[], watermark: number) {
  const item = { eventId: event.id, eventType: event.type, seq: event.seq };
  let next = 0;
  const worker = async () => {
    while (next < webhookIds.length) {
      const id = webhookIds[next++]!;
      await sequencer(env, id).append(id, event.orgId, [item], watermark);
    }
  };
  await Promise.all(Array.from({ length: Math.min(APPEND_CONCURRENCY, webhookIds.length) }, worker));
}
