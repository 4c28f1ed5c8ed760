// The fan-out sweep: ingest answers 202 once the events are stored and sends their fan-out job
// after the answer, so a job the queue refused (or that an ended invocation never sent) would leave
// the events stored but never delivered, and, through the fan-out watermark, hold back every later
// event of their organization. The Worker's cron trigger runs this sweep every minute: it sends a
// fan-out job for every event still not fanned out some time after it was stored.
import { and, asc, isNull, lt } from "drizzle-orm";
import type { Env } from "../env";
import { database } from "../db/client";
import { events } from "../db/schema";
import type { FanoutJob } from "./jobs";

/**
 * How old an event must be before the sweep sends its fan-out: long enough that the job ingest sent
 * has normally been consumed, so the sweep rarely sends a second one (harmless: fan-out skips
 * events already fanned out).
 */
export const SWEEP_AFTER_MS = 30_000;

/** Events one sweep sends at most; more wait for the next minute. */
export const SWEEP_EVENTS = 500;

/** Seqs per job, as in a full ingest batch. */
const SEQS_PER_JOB = 100;

/** Messages per sendBatch call, the queue's limit. */
const JOBS_PER_SEND = 100;

/**
 * Sends fan-out jobs, several seqs of one organization each, for the events stored before
 * `now - SWEEP_AFTER_MS` that are not fanned out. Events whose webhooks are already fixed are left
 * out: their fan-out ran and split them into chunk jobs, which the queue retries on its own.
 * Returns the jobs sent.
 */
export async function sweepUnfannedEvents(env: Env, now = Date.now()): Promise<FanoutJob[]> {
  const pending = await database(env.DB)
    .select({ orgId: events.orgId, seq: events.seq })
    .from(events)
    .where(and(isNull(events.fannedOut), isNull(events.webhookIds), lt(events.created, now - SWEEP_AFTER_MS)))
    // (org_id, seq) is the order of the partial index events_not_fanned_out: the sweep reads only
    // the events not fanned out, never the whole table.
    .orderBy(asc(events.orgId), asc(events.seq))
    .limit(SWEEP_EVENTS)
    .all();
  const jobs: FanoutJob[] = [];
  for (const { orgId, seq } of pending) {
    const last = jobs.at(-1);
    if (last?.orgId === orgId && last.seqs.length < SEQS_PER_JOB) last.seqs.push(seq);
    else jobs.push({ kind: "fanout", orgId, seqs: [seq] });
  }
  for (let i = 0; i < jobs.length; i += JOBS_PER_SEND) {
    await env.JOBS.sendBatch(jobs.slice(i, i + JOBS_PER_SEND).map((body) => ({ body })));
  }
  if (jobs.length > 0) console.warn("fan-out sweep: sent fan-out jobs for events ingest could not queue", { events: pending.length, jobs: jobs.length });
  return jobs;
}
