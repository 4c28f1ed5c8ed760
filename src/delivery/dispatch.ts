// Delivery right after an answer: the route that stored events fans them out and delivers to the
// webhooks that were idle in the same invocation (after the response, through waitUntil), so a
// quiet webhook gets its event without waiting for a queue batch. Whatever this does not finish,
// the event log (fan-out) and the sequencers (delivery) take over on their own.
import type { Env } from "../env";
import type { DeliverySeed, FanoutItem } from "../ingest/records";
import type { DrainJob } from "../queue/jobs";
import { fanOut, type StartDrain } from "./fanout";
import { drain, type DrainOptions } from "./drain";
import pLimit, { type LimitFunction } from "p-limit";
import { log } from "../log";
import { Rounds, watch } from "../rounds";

/**
 * Drains side by side per invocation. An invocation may have 6 connections open at once (fetch and
 * queue sends count; Durable Object calls do not: Workers limits, "Simultaneous open connections"),
 * and each drain holds at most one: its attempt's fetch, or the queue send that hands its webhook
 * on. One is left for a fan-out's queue sends beside them, so no attempt's 3 s connect timeout
 * runs while it waits for a connection.
 */
const DRAIN_CONCURRENCY = 5;
/**
 * A drain's turn after a response: well inside the 30 s an invocation may go on after answering
 * (a throttled drain's, its waits included, up to twice this); a busy webhook then continues
 * through the queue.
 */
const AFTER_RESPONSE_TURN_MS = 10_000;

/**
 * `seed`: the events and their webhooks, when the caller has them, so the first drains need not ask
 * for them; `watermark`: the log's as it stored them, so an idle webhook can hand its delivery out at once.
 *
 * An organization's fan-outs go out in rounds (rounds.ts): those that arrive in one isolate while
 * another is under way are sent together, each webhook's events in one append and one report to
 * the log per round instead of per event. The request that sends a round delivers to the webhooks
 * it claimed, each as soon as its append returns; the others are done once their events are fanned out.
 */
export async function dispatch(env: Env, orgId: string, items: FanoutItem[], seed?: DeliverySeed | null, watermark?: number): Promise<void> {
  // The answer leaves first. Started in the handler, the fan-out's first call would be made before
  // the response is returned, and the isolate would do its share of that call (and, locally, the
  // object's) ahead of sending the 202.
  await new Promise((resolve) => setTimeout(resolve, 0));
  let sent;
  try {
    sent = await fanoutRounds.call(orgId, { env, items, seed: seed ?? undefined, watermark });
  } catch (e) {
    // The round these events joined was never sent or never answered: the event log re-drives them.
    log.warn("fan-out after ingest abandoned; the event log re-drives it", { orgId, error: e });
    return;
  }
  if (sent) await Promise.all(sent.drains);
}

interface Fanout {
  env: Env;
  items: FanoutItem[];
  seed: DeliverySeed | undefined;
  watermark: number | undefined;
}

/** A round makes at most this many appends (events × their webhooks), so one invocation's calls stay few. */
const MAX_ROUND_APPENDS = 100;

/** A round is done once its events are fanned out; the drains it started go on after it, in the sending request. */
const fanoutRounds = new Rounds<Fanout, { drains: Promise<void>[] } | null>(
  async (orgId, fanouts) => {
    const env = fanouts[0]!.env;
    const items = fanouts.flatMap((fanout) => fanout.items);
    // Watermarks only grow, so the highest is true of every event of the round.
    const watermark = Math.max(...fanouts.map((fanout) => fanout.watermark ?? 0)) || undefined;
    const seeds = fanouts.flatMap((fanout) => fanout.seed ?? []);
    const seed = seeds.length > 0 ? mergeSeeds(seeds) : undefined;
    const pool = drainPool();
    const drains: Promise<void>[] = [];
    await fanOutOnly(env, orgId, items, watermark, (job, reported) =>
      drains.push(pool.limit(() => drainClaimed(env, job, { turnMs: AFTER_RESPONSE_TURN_MS, seed, rest: pool.rest, reported }))),
    );
    return fanouts.map((_, i) => (i === 0 ? { drains } : null));
  },
  MAX_ROUND_APPENDS,
  (fanout) => fanout.items.reduce((appends, item) => appends + item.webhookIds.length, 0),
);

/** The fan-out; a failure is the event log's to re-drive. */
async function fanOutOnly(env: Env, orgId: string, items: FanoutItem[], watermark: number | undefined, startDrain: StartDrain): Promise<void> {
  try {
    await fanOut(env, orgId, items, watermark, startDrain);
  } catch (e) {
    log.error("fan-out after ingest failed; the event log re-drives it", { orgId, error: e });
  }
}

/** The seeds of a round's requests as one: every event, each webhook as last read. */
function mergeSeeds(seeds: DeliverySeed[]): DeliverySeed {
  if (seeds.length === 1) return seeds[0]!;
  const webhooks = new Map(seeds.flatMap((seed) => seed.webhooks.map((webhook) => [webhook.id, webhook] as const)));
  return { webhooks: [...webhooks.values()], events: seeds.flatMap((seed) => seed.events) };
}

/** The drains of one invocation: DRAIN_CONCURRENCY at once, a throttled one resting outside them. */
export function drainPool() {
  const limit = pLimit(DRAIN_CONCURRENCY);
  return { limit, rest: restOutside(limit) };
}

/** How often a throttled drain back from its wait looks for its place again. */
const REJOIN_POLL_MS = 5;

/**
 * How a throttled drain waits for its next turn: outside `limit` (one more place while it waits),
 * so the drains waiting for a place start meanwhile instead of waiting on a webhook that is only
 * keeping its pace; it holds no connection while it waits. Back from the wait, it sends again only
 * once it has a place: a drain that started meanwhile still holds one, and sending beside it would
 * open a connection more than the invocation keeps for drains.
 */
export function restOutside(limit: LimitFunction) {
  return async (ms: number) => {
    limit.concurrency += 1;
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      limit.concurrency -= 1;
    }
    await watch(() => limit.activeCount <= limit.concurrency, REJOIN_POLL_MS);
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
