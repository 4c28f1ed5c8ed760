// The queue consumer: fan-out jobs (events the event log re-drove, and chunks of large fan-outs)
// run one after another, earliest events first; drain jobs, and the drains the fan-outs claimed for
// idle webhooks, run side by side. A job that throws is retried by the queue with a growing delay.
import type { Env } from "../env";
import { eventLog } from "../ingest/event-log-client";
import type { DrainJob, Job } from "../queue/jobs";
import { fanOutAgain, fanOutChunk, type StartDrain } from "./fanout";
import { drain } from "./drain";
import { drainClaimed, drainPool } from "./dispatch";
import { describeError, log } from "../log";

/** Dead-letter queues end in `-dead` in every environment of wrangler.toml (production, staging). */
export const isDeadLetterQueue = (queue: string) => queue.endsWith("-dead");

/** The longest a failing job waits before the queue tries it again. */
const RETRY_MAX_DELAY_SECONDS = 60 * 60;

export async function consumeJobs(batch: MessageBatch<Job>, env: Env): Promise<void> {
  const fanouts = batch.messages.filter((m) => m.body.kind !== "drain").sort((a, b) => firstSeq(a.body) - firstSeq(b.body));
  const { limit, rest } = drainPool();
  const drains: Promise<unknown>[] = [];
  // The webhooks a fan-out finds idle are delivered to as soon as their appends return, while the
  // fan-outs go on. A drain that meets a later event of the batch not yet fanned out is answered
  // "blocked", and its sequencer's alarm hands the webhook to a fresh drain shortly after.
  const startDrain: StartDrain = (job, reported, seed) => drains.push(limit(() => drainClaimed(env, job, { rest, seed, reported })));
  for (const message of batch.messages.filter((m) => m.body.kind === "drain")) drains.push(limit(() => handle(message, env, rest, startDrain)));
  for (const message of fanouts) await handle(message, env, rest, startDrain);
  await Promise.all(drains);
}

const firstSeq = (job: Job) => (job.kind === "fanout" ? Math.min(...job.seqs) : job.kind === "fanout-chunk" ? job.seq : 0);

/** Runs a job and acks it, or has the queue retry it later; a fan-out's claimed drains go to `startDrain`. */
async function handle(message: Message<Job>, env: Env, rest: (ms: number) => Promise<void>, startDrain: StartDrain): Promise<void> {
  const job = message.body;
  try {
    if (job.kind === "fanout") await fanOutAgain(env, job, startDrain);
    else if (job.kind === "fanout-chunk") await fanOutChunk(env, job, startDrain);
    else await drain(env, job, { rest });
    message.ack();
  } catch (e) {
    log.error("job failed; the queue will retry it", { job: job.kind, messageId: message.id, orgId: job.orgId, attempts: message.attempts, error: e });
    if (job.kind !== "drain") await reportFanoutFailure(env, job, e);
    message.retry({ delaySeconds: Math.min(RETRY_MAX_DELAY_SECONDS, 5 * 2 ** message.attempts) });
  }
}

async function reportFanoutFailure(env: Env, job: Exclude<Job, DrainJob>, error: unknown) {
  try {
    await eventLog(env, job.orgId).fanoutFailed(describeError(error));
  } catch {
    // The log re-drives the events whether it heard of the failure or not.
  }
}

/**
 * Jobs that kept failing. None is dropped: a fan-out's events wait in their organization's event
 * log, which re-drives them with growing delays for as long as it keeps them (operators see them in
 * GET /v1/admin/fanout); a drain's webhook has its sequencer's alarm start a fresh drain. So a dead
 * job is logged, its failure told to the log, and acked.
 */
export async function consumeDeadLetters(batch: MessageBatch<Job>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const job = message.body;
    log.error("dead job: its owner re-drives the work", { job: job.kind, messageId: message.id, orgId: job.orgId, attempts: message.attempts });
    if (job.kind !== "drain") await reportFanoutFailure(env, job, new Error(`fan-out job ${message.id} failed ${message.attempts} times`));
    message.ack();
  }
}

