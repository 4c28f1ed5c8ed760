// The queue consumer: fan-out jobs run one after another in ingest order; drain jobs, and the
// drains the fan-outs claimed for idle webhooks, run side by side. A job that throws is retried by
// the queue (and after max_retries lands in the dead-letter queue); the others in the batch are
// acked on their own.
import type { Env } from "../env";
import { database, inList } from "../db/client";
import { deadLetters, events, fanoutChunks } from "../db/schema";
import { and, isNull } from "drizzle-orm";
import type { DrainJob, FanoutJob, Job } from "./jobs";
import { fanOut, fanOutChunk } from "./fanout";
import { drain } from "./worker";
import { describeError } from "../log";
import { injectFault } from "./fault-injection";

/** Dead-letter queues end in `-dead` in every environment of wrangler.toml (production, staging). */
export const isDeadLetterQueue = (queue: string) => queue.endsWith("-dead");

/** Drains run concurrently up to this many, leaving room under the 6 open connections. */
const DRAIN_CONCURRENCY = 4;

export async function consumeJobs(batch: MessageBatch<Job>, env: Env): Promise<void> {
  const pool = new DrainPool(DRAIN_CONCURRENCY);
  for (const message of batch.messages) if (message.body.kind === "drain") pool.add(() => handle(message, env));
  // An organization's fan-out jobs run as one (one read of their events, one append per webhook);
  // chunk jobs each on their own; earliest events first.
  const fanoutsByOrg = new Map<string, Message<Job>[]>();
  const units: { seq: number; run: () => Promise<DrainJob[]> }[] = [];
  for (const message of batch.messages) {
    const job = message.body;
    if (job.kind === "fanout-chunk") units.push({ seq: job.seq, run: () => handle(message, env) });
    if (job.kind === "fanout") fanoutsByOrg.set(job.orgId, [...(fanoutsByOrg.get(job.orgId) ?? []), message]);
  }
  for (const [orgId, messages] of fanoutsByOrg) {
    const seqs = messages.flatMap((m) => (m.body as FanoutJob).seqs);
    units.push({ seq: Math.min(...seqs.map(Number)), run: () => handleFanouts(env, orgId, seqs, messages) });
  }
  const claimed: DrainJob[] = [];
  for (const unit of units.sort((a, b) => a.seq - b.seq)) claimed.push(...(await unit.run()));
  // The fan-outs took these webhooks' leases: deliver now. Only once every fan-out of the batch has
  // marked its events, or a drain would find a later event of the batch not yet fanned out and wait.
  for (const job of claimed) pool.add(() => drainClaimed(env, job));
  await pool.idle();
}

/** Runs drains at most `concurrency` at a time, in the order added. */
class DrainPool {
  private readonly waiting: (() => Promise<unknown>)[] = [];
  private running = 0;
  private readonly lanes: Promise<void>[] = [];

  constructor(private readonly concurrency: number) {}

  add(work: () => Promise<unknown>) {
    this.waiting.push(work);
    if (this.running < this.concurrency) this.lanes.push(this.lane());
  }

  private async lane() {
    this.running += 1;
    for (let work = this.waiting.shift(); work; work = this.waiting.shift()) await work();
    this.running -= 1;
  }

  async idle() {
    while (this.lanes.length > 0) await this.lanes.shift();
  }
}

async function drainClaimed(env: Env, job: DrainJob) {
  try {
    await drain(env, job);
  } catch (e) {
    // Its lease runs out and the sequencer's alarm starts a fresh drain: nothing is lost.
    console.error("claimed drain failed; the sequencer's alarm takes it over", job.webhookId, describeError(e));
  }
}

/**
 * Runs one organization's fan-out jobs as one and acks them all. If that throws, each runs on its
 * own, so one job that cannot succeed never drags the others to the dead-letter queue.
 */
async function handleFanouts(env: Env, orgId: string, seqs: number[], messages: Message<Job>[]): Promise<DrainJob[]> {
  if (messages.length === 1) return handle(messages[0]!, env);
  try {
    for (const message of messages) await injectDuplicate(env, message.body);
    const claimed = await fanOut(env, { kind: "fanout", orgId, seqs });
    for (const message of messages) message.ack();
    return claimed;
  } catch (e) {
    console.error("fan-out of several jobs failed; running them one by one", orgId, describeError(e));
    const claimed: DrainJob[] = [];
    for (const message of messages) claimed.push(...(await handle(message, env)));
    return claimed;
  }
}

async function injectDuplicate(env: Env, job: Job) {
  if (injectFault(env.CHAOS_FAULTS, "duplicate-job")) await env.JOBS.send(job);
}

/** Runs a job and acks it, or has the queue retry it. Returns the drains a fan-out claimed. */
async function handle(message: Message<Job>, env: Env): Promise<DrainJob[]> {
  try {
    const job = message.body;
    await injectDuplicate(env, job);
    let claimed: DrainJob[] = [];
    if (job.kind === "fanout") claimed = await fanOut(env, job);
    else if (job.kind === "fanout-chunk") claimed = await fanOutChunk(env, job);
    else await drain(env, job);
    message.ack();
    return claimed;
  } catch (e) {
    console.error("job failed; the queue will retry it", message.body.kind, message.id, describeError(e));
    message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
    return [];
  }
}

/**
 * Dead jobs are recorded for operators. An event whose fan-out died is marked fanned out (to the
 * webhooks it reached) so it cannot hold back the organization's later events forever.
 */
export async function consumeDeadLetters(batch: MessageBatch<Job>, env: Env): Promise<void> {
  const db = database(env.DB);
  const now = Date.now();
  for (const message of batch.messages) {
    const job = message.body;
    const seqs = job.kind === "fanout" ? job.seqs : job.kind === "fanout-chunk" ? [job.seq] : [];
    const statements = [
      db.insert(deadLetters).values({ id: message.id, job, attempts: message.attempts, received: now }).onConflictDoNothing(),
      ...(seqs.length > 0
        ? [
            db.delete(fanoutChunks).where(inList(fanoutChunks.seq, seqs)),
            db.update(events).set({ fannedOut: now }).where(and(inList(events.seq, seqs), isNull(events.fannedOut))),
          ]
        : []),
    ];
    await db.batch([statements[0]!, ...statements.slice(1)]);
    console.error("dead job recorded", message.id, job.kind);
    message.ack();
  }
}
