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

/** Sequencer calls side by side per fan-out (Durable Object calls hold none of an invocation's 6 connections). */
const APPEND_CONCURRENCY = 5;

/**
 * Starts a drain the fan-out claimed (an idle webhook, its first delivery handed out with the
 * append) as soon as its append returns, while the other appends and the report to the log are
 * under way: the caller delivers to it at once instead of through a trip on the queue. `reported`
 * answers the watermark the report brings back (undefined if it failed); `seed`: the events and
 * webhooks a queued fan-out read with its work, for its drains.
 */
export type StartDrain = (drain: DrainJob, reported: Promise<number | undefined>, seed?: DeliverySeed) => void;

/** Appends the events to their webhooks' sequencers, each webhook's events in one call, and tells the log. */
export async function fanOut(env: Env, orgId: string, items: FanoutItem[], watermark: number | undefined, startDrain: StartDrain): Promise<void> {
  if (items.length === 0) return;
  const chunkSize = config(env).fanoutChunkSize;
  const small = items.filter((item) => item.webhookIds.length <= chunkSize);
  const large = items.filter((item) => item.webhookIds.length > chunkSize);
  const entries = small.flatMap((item) => item.webhookIds.map((webhookId) => ({ webhookId, item: appendItem(item) })));
  await reportingTo(startDrain, async (start) => {
    await appendToSequencers(env, orgId, entries, watermark, start);
    return small.length > 0 ? eventLog(env, orgId).fannedOut(small.map((item) => item.seq)) : undefined;
  });
  for (const item of large) {
    const chunks = Math.ceil(item.webhookIds.length / chunkSize);
    const done = item.chunksDone?.find((sized) => sized.size === chunkSize)?.chunks ?? [];
    const jobs: FanoutChunkJob[] = Array.from({ length: chunks }, (_, chunk) => chunk)
      .filter((chunk) => !done.includes(chunk))
      .map((chunk) => ({ kind: "fanout-chunk", orgId, seq: item.seq, chunk, chunks, size: chunkSize }));
    for (let i = 0; i < jobs.length; i += 100) await env.JOBS.sendBatch(jobs.slice(i, i + 100).map((body) => ({ body })));
  }
}

/** A fan-out job the event log re-drove. */
export async function fanOutAgain(env: Env, job: FanoutJob, startDrain: StartDrain): Promise<void> {
  const { items, seed, watermark } = await eventLog(env, job.orgId).fanoutWork(job.orgId, job.seqs);
  await fanOut(env, job.orgId, items, watermark, (drain, reported) => startDrain(drain, reported, seed));
}

export async function fanOutChunk(env: Env, job: FanoutChunkJob, startDrain: StartDrain): Promise<void> {
  const log = eventLog(env, job.orgId);
  const { items: [item], seed, watermark } = await log.fanoutWork(job.orgId, [job.seq], { chunk: job.chunk, size: job.size });
  if (!item) return;
  const entries = item.webhookIds.map((webhookId) => ({ webhookId, item: appendItem(item) }));
  await reportingTo((drain, reported) => startDrain(drain, reported, seed), async (start) => {
    await appendToSequencers(env, job.orgId, entries, watermark, start);
    return log.chunkFannedOut(job.seq, { chunk: job.chunk, chunks: job.chunks, size: job.size });
  });
}

/**
 * Runs a fan-out whose drains start before it reports: each is handed the watermark its `work`
 * answers once it has reported (undefined if it failed or had nothing to report).
 */
async function reportingTo(startDrain: StartDrain, work: (start: (drain: DrainJob) => void) => Promise<number | undefined>): Promise<void> {
  const report = Promise.withResolvers<number | undefined>();
  try {
    report.resolve(await work((drain) => startDrain(drain, report.promise)));
  } finally {
    report.resolve(undefined); // no report: started drains ask the log themselves
  }
}

function appendItem(item: FanoutItem): AppendItem {
  return { eventId: item.eventId, eventType: item.eventType, seq: item.seq };
}

/**
 * One append per webhook with all its items (in seq order), the drains it claims started. With the
 * watermark, an idle webhook hands its first delivery out with the append.
 */
async function appendToSequencers(
  env: Env,
  orgId: string,
  entries: { webhookId: string; item: AppendItem }[],
  watermark: number | undefined,
  startDrain: (drain: DrainJob) => void,
): Promise<void> {
  const byWebhook = new Map<string, AppendItem[]>();
  for (const { webhookId, item } of entries) byWebhook.set(webhookId, [...(byWebhook.get(webhookId) ?? []), item]);
  const webhookIds = [...byWebhook.keys()];
  let next = 0;
  const worker = async () => {
    while (next < webhookIds.length) {
      const webhookId = webhookIds[next++]!;
      const claim = await sequencer(env, webhookId).append(webhookId, orgId, byWebhook.get(webhookId)!, watermark, true);
      if (claim) startDrain({ kind: "drain", webhookId, orgId, lease: claim.lease, first: claim.first });
    }
  };
  await Promise.all(Array.from({ length: Math.min(APPEND_CONCURRENCY, webhookIds.length) }, worker));
}
