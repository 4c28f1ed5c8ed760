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
 *
 * Fan-outs of one organization in this isolate go out one at a time: a request whose fan-out finds
 * another under way waits for it and then sends its own together with those of the requests that
 * arrived meanwhile (each webhook's events in one append, one report to the log). Under load that
 * is one append and one report per webhook per round instead of per event, and nothing waits longer
 * than the fan-out ahead of it. The waiting request does the sending itself, so no request does I/O
 * for another.
 */
export async function dispatch(env: Env, orgId: string, items: FanoutItem[], seed?: DeliverySeed | null, watermark?: number): Promise<void> {
  const round = fanoutRounds.get(orgId);
  if (!round) return sendRound(env, orgId, { items, seeds: seed ? [seed] : [], watermark, joined: [] });
  const next = round.next;
  if (next && next.items.length + items.length <= MAX_ROUND_EVENTS) {
    next.items.push(...items);
    if (seed) next.seeds.push(seed);
    next.watermark = Math.max(next.watermark ?? 0, watermark ?? 0) || undefined;
    const joined = Promise.withResolvers<void>();
    next.joined.push(joined);
    return joined.promise;
  }
  if (next) return fanOutAndDrain(env, orgId, items, seed ?? undefined, watermark);
  const mine: PendingRound = { items: [...items], seeds: seed ? [seed] : [], watermark, joined: [] };
  round.next = mine;
  await round.sent;
  return sendRound(env, orgId, mine);
}

/** Events gathered behind an organization's fan-out under way, and the requests that left theirs to it. */
interface PendingRound {
  items: FanoutItem[];
  seeds: DeliverySeed[];
  watermark: number | undefined;
  joined: PromiseWithResolvers<void>[];
}

/** Per organization: its fan-out under way in this isolate, and the round gathering behind it. */
const fanoutRounds = new Map<string, { sent: Promise<unknown>; next: PendingRound | null }>();
/** A round carries at most this many events, so one invocation's appends stay few. */
const MAX_ROUND_EVENTS = 100;

async function sendRound(env: Env, orgId: string, round: PendingRound): Promise<void> {
  const seed = round.seeds.length > 0 ? mergeSeeds(round.seeds) : undefined;
  const fannedOut = fanOutOnly(env, orgId, round.items, round.watermark);
  const entry = { sent: fannedOut, next: null };
  fanoutRounds.set(orgId, entry);
  let claimed: DrainJob[];
  try {
    claimed = await fannedOut;
  } finally {
    if (fanoutRounds.get(orgId) === entry) fanoutRounds.delete(orgId);
    for (const joined of round.joined) joined.resolve();
  }
  await drainAll(env, claimed, seed);
}

async function fanOutAndDrain(env: Env, orgId: string, items: FanoutItem[], seed: DeliverySeed | undefined, watermark: number | undefined) {
  await drainAll(env, await fanOutOnly(env, orgId, items, watermark), seed);
}

/** The fan-out; a failure is the event log's to re-drive. */
async function fanOutOnly(env: Env, orgId: string, items: FanoutItem[], watermark: number | undefined): Promise<DrainJob[]> {
  try {
    return await fanOut(env, orgId, items, watermark);
  } catch (e) {
    log.error("fan-out after ingest failed; the event log re-drives it", { orgId, error: e });
    return [];
  }
}

async function drainAll(env: Env, claimed: DrainJob[], seed: DeliverySeed | undefined) {
  const limit = pLimit(DRAIN_CONCURRENCY);
  const rest = restOutside(limit);
  await Promise.all(claimed.map((job) => limit(() => drainClaimed(env, job, { turnMs: AFTER_RESPONSE_TURN_MS, seed, rest }))));
}

/** The seeds of a round's requests as one: every event, each webhook as last read. */
function mergeSeeds(seeds: DeliverySeed[]): DeliverySeed {
  if (seeds.length === 1) return seeds[0]!;
  const webhooks = new Map(seeds.flatMap((seed) => seed.webhooks.map((webhook) => [webhook.id, webhook] as const)));
  return { webhooks: [...webhooks.values()], events: seeds.flatMap((seed) => seed.events) };
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
