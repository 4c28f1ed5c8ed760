// Fan-out: each event goes to the sequencer of every webhook the event log matched it to when it
// stored it, then the log is told, which moves the organization's watermark. Ingest runs this right
// after its answer; the queue runs it for events the log re-drives. Fan-outs too large for one
// invocation are split into chunk jobs, so no invocation comes near the subrequest limit.
import type { Env } from "../env";
import { config } from "../config";
import type { DeliverySeed, FanoutItem } from "../ingest/records";
import { eventLog } from "../ingest/event-log-client";
import type { AppendItem } from "../sequencer/records";
import type { DrainJob, FanoutChunkJob, FanoutJob } from "../queue/jobs";
import { sequencer } from "./sequencer-client";

/** Parallel sequencer calls per invocation: below the 6 simultaneous connections a Worker may open. */
const APPEND_CONCURRENCY = 5;

/**
 * Starts a drain the fan-out claimed as soon as its append returns, while the other appends and the
 * report to the log are under way; `reported` answers the watermark the report brings back
 * (undefined if it failed).
 */
export type StartDrain = (drain: DrainJob, reported: Promise<number | undefined>) => void;

/**
 * Appends the events to their webhooks' sequencers, each webhook's events in one call, and tells
 * the log. Returns the drains it claimed: webhooks that were idle, for the caller to deliver to
 * right away instead of through a trip on the queue (or, with `startDrain`, already started).
 */
export async function fanOut(env: Env, orgId: string, items: FanoutItem[], watermark?: number, startDrain?: StartDrain): Promise<DrainJob[]> {
  if (items.length === 0) return [];
  const chunkSize = config(env).fanoutChunkSize;
  const small = items.filter((item) => item.webhookIds.length <= chunkSize);
  const large = items.filter((item) => item.webhookIds.length > chunkSize);
  let reportedWith: (watermark: number | undefined) => void = () => {};
  const reported = new Promise<number | undefined>((resolve) => (reportedWith = resolve));
  try {
    const entries = small.flatMap((item) => item.webhookIds.map((webhookId) => ({ webhookId, item: appendItem(item) })));
    const claimed = await appendToSequencers(env, orgId, entries, watermark, startDrain && ((drain) => startDrain(drain, reported)));
    if (small.length > 0) {
      const watermark = await eventLog(env, orgId).fannedOut(small.map((item) => item.seq));
      reportedWith(watermark);
      for (const drain of claimed) drain.watermark = watermark;
    }
    for (const item of large) {
      const chunks = Math.ceil(item.webhookIds.length / chunkSize);
      const jobs: FanoutChunkJob[] = Array.from({ length: chunks }, (_, chunk) => ({ kind: "fanout-chunk", orgId, seq: item.seq, chunk, chunks }));
      for (let i = 0; i < jobs.length; i += 100) await env.JOBS.sendBatch(jobs.slice(i, i + 100).map((body) => ({ body })));
    }
    return claimed;
  } finally {
    reportedWith(undefined); // no report (it failed): started drains ask the log themselves
  }
}

/** The drains a queued fan-out claimed, and what they need to start without asking the log. */
export interface QueuedFanout {
  claimed: DrainJob[];
  seed: DeliverySeed;
}

/** A fan-out job the event log re-drove. */
export async function fanOutAgain(env: Env, job: FanoutJob): Promise<QueuedFanout> {
  const { items, seed, watermark } = await eventLog(env, job.orgId).fanoutWork(job.orgId, job.seqs);
  return { claimed: await fanOut(env, job.orgId, items, watermark), seed };
}

export async function fanOutChunk(env: Env, job: FanoutChunkJob): Promise<QueuedFanout> {
  const log = eventLog(env, job.orgId);
  const chunkSize = config(env).fanoutChunkSize;
  const { items: [item], seed, watermark } = await log.fanoutWork(job.orgId, [job.seq], { from: job.chunk * chunkSize, to: (job.chunk + 1) * chunkSize });
  if (!item) return { claimed: [], seed };
  const claimed = await appendToSequencers(env, job.orgId, item.webhookIds.map((webhookId) => ({ webhookId, item: appendItem(item) })), watermark);
  const reported = await log.chunkFannedOut(job.seq, job.chunk, job.chunks);
  for (const drain of claimed) drain.watermark = reported;
  return { claimed, seed };
}

function appendItem(item: FanoutItem): AppendItem {
  return { eventId: item.eventId, eventType: item.eventType, seq: item.seq };
}

/**
 * One append per webhook with all its items (in seq order); returns the drains claimed. With the
 * watermark, an idle webhook hands its first delivery out with the append.
 */
async function appendToSequencers(
  env: Env,
  orgId: string,
  entries: { webhookId: string; item: AppendItem }[],
  watermark?: number,
  startDrain?: (drain: DrainJob) => void,
): Promise<DrainJob[]> {
  const byWebhook = new Map<string, AppendItem[]>();
  for (const { webhookId, item } of entries) byWebhook.set(webhookId, [...(byWebhook.get(webhookId) ?? []), item]);
  const webhookIds = [...byWebhook.keys()];
  const claimed: DrainJob[] = [];
  let next = 0;
  const worker = async () => {
    while (next < webhookIds.length) {
      const webhookId = webhookIds[next++]!;
      const claim = await sequencer(env, webhookId).append(webhookId, orgId, byWebhook.get(webhookId)!, watermark, true);
      if (!claim) continue;
      const drain: DrainJob = { kind: "drain", webhookId, orgId, lease: claim.lease, first: claim.first };
      claimed.push(drain);
      startDrain?.(drain);
    }
  };
  await Promise.all(Array.from({ length: Math.min(APPEND_CONCURRENCY, webhookIds.length) }, worker));
  return claimed;
}
