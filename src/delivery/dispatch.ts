// Delivery right after an answer: the route that stored events fans them out and delivers to the
// webhooks that were idle in the same invocation (after the response, through waitUntil), so a
// quiet webhook gets its event without waiting for a queue batch. Whatever this does not finish,
// the event log (fan-out) and the sequencers (delivery) take over on their own.
import type { Env } from "../env";
import type { DeliverySeed, FanoutItem } from "../ingest/records";
import type { DrainJob } from "../queue/jobs";
import { fanOut } from "./fanout";
import { drain, type DrainOptions } from "./drain";
import pLimit, { type LimitFunction } from "p-limit";
import { log } from "../log";

/** Drains side by side per invocation, leaving room under the 6 open connections. */
export const DRAIN_CONCURRENCY = 4;
/**
 * A drain's turn after a response: well inside the 30 s an invocation may go on after answering
 * (a throttled drain's, its waits included, up to twice this); a busy webhook then continues
 * through the queue.
 */
const AFTER_RESPONSE_TURN_MS = 10_000;

/**
 * `seed`: the events and their webhooks, when the caller has them, so the first drains need not ask
 * for them; `watermark`: the log's as it stored them, so an idle webhook can hand its delivery out at once.
 */
export async function dispatch(env: Env, orgId: string, items: FanoutItem[], seed?: DeliverySeed | null, watermark?: number): Promise<void> {
  let claimed: DrainJob[];
  try {
    claimed = await fanOut(env, orgId, items, watermark);
  } catch (e) {
    log.error("fan-out after ingest failed; the event log re-drives it", { orgId, error: e });
    return;
  }
  const limit = pLimit(DRAIN_CONCURRENCY);
  const rest = restOutside(limit);
  await Promise.all(claimed.map((job) => limit(() => drainClaimed(env, job, { turnMs: AFTER_RESPONSE_TURN_MS, seed: seed ?? undefined, rest }))));
}

/**
 * How a throttled drain waits for its next turn: outside `limit` (one more place while it waits),
 * so the drains waiting for a place start meanwhile instead of waiting on a webhook that is only
 * keeping its pace; it holds no connection while it waits.
 */
export function restOutside(limit: LimitFunction) {
  return async (ms: number) => {
    limit.concurrency += 1;
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      limit.concurrency -= 1;
    }
  };
}

export async function drainClaimed(env: Env, job: DrainJob, options: DrainOptions) {
  try {
    await drain(env, job, options);
  } catch (e) {
    // Its lease runs out and the sequencer's alarm starts a fresh drain: nothing is lost.
    log.error("claimed drain failed; the sequencer's alarm takes it over", { orgId: job.orgId, webhookId: job.webhookId, error: e });
  }
}
