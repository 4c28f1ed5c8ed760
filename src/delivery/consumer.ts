// The queue consumer: fan-out jobs run one after another in ingest order; drain jobs for
// different webhooks run side by side. A job that throws is retried by the queue (and after
// max_retries lands in the dead-letter queue); the others in the batch are acked on their own.
import type { Env } from "../env";
import { database, inList } from "../db/client";
import { deadLetters, events, fanoutChunks } from "../db/schema";
import { and, isNull } from "drizzle-orm";
import type { Job } from "./jobs";
import { fanOut, fanOutChunk } from "./fanout";
import { drain } from "./worker";
import { describeError } from "../log";
import { injectFault } from "./fault-injection";

export const DEAD_LETTER_QUEUE = "edge-webhooks-dead";

/** Drains run concurrently up to this many, leaving room under the 6 open connections. */
const DRAIN_CONCURRENCY = 4;

export async function consumeJobs(batch: MessageBatch<Job>, env: Env): Promise<void> {
  const fanouts = batch.messages
    .filter((m) => m.body.kind !== "drain")
    .sort((a, b) => firstSeq(a.body) - firstSeq(b.body));
  const drains = batch.messages.filter((m) => m.body.kind === "drain");
  await Promise.all([runInOrder(fanouts, env), runPool(drains, env, DRAIN_CONCURRENCY)]);
}

async function runInOrder(messages: Message<Job>[], env: Env) {
  for (const message of messages) await handle(message, env);
}

async function runPool(messages: Message<Job>[], env: Env, concurrency: number) {
  let next = 0;
  const lane = async () => {
    while (next < messages.length) await handle(messages[next++]!, env);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, messages.length) }, lane));
}

async function handle(message: Message<Job>, env: Env) {
  try {
    const job = message.body;
    if (injectFault(env.CHAOS_FAULTS, "duplicate-job")) await env.JOBS.send(job);
    if (job.kind === "fanout") await fanOut(env, job);
    else if (job.kind === "fanout-chunk") await fanOutChunk(env, job);
    else await drain(env, job);
    message.ack();
  } catch (e) {
    console.error("job failed; the queue will retry it", message.body.kind, message.id, describeError(e));
    message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
  }
}

function firstSeq(job: Job): number {
  return job.kind === "fanout" ? Math.min(...job.seqs) : job.kind === "fanout-chunk" ? job.seq : 0;
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
