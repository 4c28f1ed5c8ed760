// The benchmark's scenarios. Each runs the same work against the floor and against ours, bounded in
// time, and returns figures side by side.
import { setTimeout as sleep } from "node:timers/promises";
import type { DevServer } from "../test/support/dev-server.ts";
import type { Receiver } from "../test/support/receiver.ts";
import { closedLoop, percentile, steadyRate, until } from "./load.ts";
import { createWebhooks, floorIngest, ourBatchIngest, ourIngest, post, seedOrg, strictFloor } from "./platforms.ts";

export interface Figure {
  scenario: string;
  metric: string;
  unit: string;
  floor: number;
  ours: number;
  /** Whether a larger figure is the better one (throughput) or a smaller one (latency, time). */
  better: "higher" | "lower";
  note?: string;
}

export interface Sizes {
  ingestSeconds: number;
  e2eEvents: number;
  e2eRate: number;
  /** Events sent to an idle webhook, one every QUIET_INTERVAL_MS. */
  quietEvents: number;
  orderedEvents: number;
  fanouts: number[];
  stormEvents: number;
  stormRate: number;
  /** Length of each closed loop of the EventLog ceiling. */
  ceilingSeconds: number;
  /** Events posted one at a time to the metered platform to count operations. */
  opsEvents: number;
  /** Longest wait for deliveries to arrive after the load of a step. */
  settleMs: number;
}

export const QUICK: Sizes = { ingestSeconds: 1, e2eEvents: 40, e2eRate: 20, quietEvents: 3, orderedEvents: 400, fanouts: [1, 10, 100, 1000], stormEvents: 30, stormRate: 10, ceilingSeconds: 1, opsEvents: 20, settleMs: 30_000 };
export const FULL: Sizes = { ingestSeconds: 8, e2eEvents: 300, e2eRate: 20, quietEvents: 20, orderedEvents: 2000, fanouts: [1, 10, 100, 1000], stormEvents: 150, stormRate: 10, ceilingSeconds: 5, opsEvents: 40, settleMs: 90_000 };

/** The most events one ingest request may carry. */
const EVENTS_PER_BATCH = 100;

export interface Bench {
  ours: DevServer;
  floor: DevServer;
  receiver: Receiver;
  sizes: Sizes;
  progress(text: string): void;
}

/** The `n`s a bucket received, in arrival order, with their arrival times and answers. */
function arrivals(receiver: Receiver, bucket: string) {
  return receiver.received(bucket).map((r) => ({ n: JSON.parse(r.body).data.n as number, at: r.receivedAt, answer: r.answer }));
}

/** First successful arrival time of each n. */
function firstSuccess(receiver: Receiver, bucket: string): Map<number, number> {
  const seen = new Map<number, number>();
  for (const a of arrivals(receiver, bucket)) if (a.answer === "200" && !seen.has(a.n)) seen.set(a.n, a.at);
  return seen;
}

function distinctSuccesses(receiver: Receiver, bucket: string): number {
  return firstSuccess(receiver, bucket).size;
}

// ── (1) ingest ─────────────────────────────────────────────────────────────────────────────

export async function ingest(bench: Bench): Promise<Figure[]> {
  const { ours, floor, receiver, sizes } = bench;
  const tenant = await seedOrg(ours, "bench-ingest", ["load.ingest"]);
  await createWebhooks(ours, tenant, [{ url: receiver.url("ingest-ours"), events: ["load.ingest"] }]);
  const figures: Figure[] = [];
  let sentOurs = 0;
  let sentFloor = 0;
  for (const connections of [1, 16, 64]) {
    const label = `ingest c=${connections}`;
    bench.progress(`${label}: floor`);
    const floorRun = await closedLoop(
      Array.from({ length: 64 }, (_, n) => floorIngest(floor, [receiver.url("ingest-floor")], "load.ingest", n)),
      connections,
      sizes.ingestSeconds,
    );
    sentFloor += floorRun.accepted;
    await until(() => receiver.received("ingest-floor").length >= sentFloor, sizes.settleMs);
    bench.progress(`${label}: the durable-ingest floor`);
    const durableRun = await closedLoop(
      Array.from({ length: 64 }, (_, n) => floorIngest(floor, [receiver.url("ingest-floor")], "load.ingest", n, "/durable")),
      connections,
      sizes.ingestSeconds,
    );
    sentFloor += durableRun.accepted;
    await until(() => receiver.received("ingest-floor").length >= sentFloor, sizes.settleMs);
    bench.progress(`${label}: ours`);
    const oursRun = await closedLoop(
      Array.from({ length: 64 }, (_, n) => ourIngest(ours, tenant, "load.ingest", n)),
      connections,
      sizes.ingestSeconds,
    );
    sentOurs += oursRun.accepted;
    bench.progress(`${label}: ours, waiting for the deliveries`);
    await until(() => receiver.received("ingest-ours").length >= sentOurs, sizes.settleMs);
    const refused = oursRun.refused + floorRun.refused;
    const note = refused > 0 ? `${oursRun.refused} of ours and ${floorRun.refused} of the floor's requests refused` : undefined;
    figures.push(
      { scenario: "ingest", metric: `throughput c=${connections}`, unit: "req/s", floor: floorRun.throughput, ours: oursRun.throughput, better: "higher", note },
      { scenario: "ingest", metric: `p50 c=${connections}`, unit: "ms", floor: floorRun.p50Ms, ours: oursRun.p50Ms, better: "lower" },
      { scenario: "ingest", metric: `p99 c=${connections}`, unit: "ms", floor: floorRun.p99Ms, ours: oursRun.p99Ms, better: "lower" },
      {
        scenario: "ingest",
        metric: `against the durable-ingest floor, req/s c=${connections}`,
        unit: "req/s",
        floor: durableRun.throughput,
        ours: oursRun.throughput,
        better: "higher",
        note: `durable-ingest floor: the floor with one D1 INSERT before the 202${durableRun.refused > 0 ? `; ${durableRun.refused} of its requests refused` : ""}`,
      },
      { scenario: "ingest", metric: `against the durable-ingest floor, p50 c=${connections}`, unit: "ms", floor: durableRun.p50Ms, ours: oursRun.p50Ms, better: "lower" },
    );
  }
  return figures;
}

// ── (2) end to end ─────────────────────────────────────────────────────────────────────────

/** Latencies from `since` (sent or accepted) to first successful arrival, for events 0..count-1 in the bucket. */
async function latencies(receiver: Receiver, bucket: string, since: Map<number, number>, settleMs: number): Promise<number[]> {
  await until(() => distinctSuccesses(receiver, bucket) >= since.size, settleMs);
  const arrived = firstSuccess(receiver, bucket);
  return [...since].flatMap(([n, at]) => (arrived.has(n) ? [arrived.get(n)! - at] : []));
}

/**
 * Timed from the send, answer included: both sides can deliver before the client has read the 202,
 * so timed from the answer the figures go negative and their ratio says nothing.
 */
export async function endToEnd(bench: Bench): Promise<Figure[]> {
  const { ours, floor, receiver, sizes } = bench;
  const tenant = await seedOrg(ours, "bench-e2e", ["load.e2e"]);
  await createWebhooks(ours, tenant, [{ url: receiver.url("e2e-ours"), events: ["load.e2e"] }]);
  bench.progress(`end to end at ${sizes.e2eRate}/s: floor`);
  const floorSent = await steadyRate(sizes.e2eEvents, sizes.e2eRate, (n) => post(floorIngest(floor, [receiver.url("e2e-floor")], "load.e2e", n)));
  const floorLatencies = await latencies(receiver, "e2e-floor", floorSent.sentAt, sizes.settleMs);
  const floorFromAnswer = await latencies(receiver, "e2e-floor", floorSent.acceptedAt, sizes.settleMs);
  bench.progress(`end to end at ${sizes.e2eRate}/s: ours`);
  const oursSent = await steadyRate(sizes.e2eEvents, sizes.e2eRate, (n) => post(ourIngest(ours, tenant, "load.e2e", n)));
  const oursLatencies = await latencies(receiver, "e2e-ours", oursSent.sentAt, sizes.settleMs);
  const oursFromAnswer = await latencies(receiver, "e2e-ours", oursSent.acceptedAt, sizes.settleMs);
  const note = `${oursLatencies.length}/${sizes.e2eEvents} of ours and ${floorLatencies.length}/${sizes.e2eEvents} of the floor's arrived`;
  return [
    { scenario: "end to end", metric: `p50 at ${sizes.e2eRate}/s`, unit: "ms", floor: percentile(floorLatencies, 50), ours: percentile(oursLatencies, 50), better: "lower", note },
    { scenario: "end to end", metric: `p99 at ${sizes.e2eRate}/s`, unit: "ms", floor: percentile(floorLatencies, 99), ours: percentile(oursLatencies, 99), better: "lower" },
    // The same arrivals from the 202: the request's own time left out (below zero when delivered before the answer was read).
    { scenario: "end to end", metric: `p50 at ${sizes.e2eRate}/s, from the 202`, unit: "ms", floor: percentile(floorFromAnswer, 50), ours: percentile(oursFromAnswer, 50), better: "lower" },
  ];
}

// ── (3) quiet: one event at a time to an idle webhook ──────────────────────────────────────

/** Long enough for each event to find the webhook idle and nothing else on the way. */
export const QUIET_INTERVAL_MS = 2000;

export async function quiet(bench: Bench): Promise<Figure[]> {
  const { ours, floor, receiver, sizes } = bench;
  const count = sizes.quietEvents;
  const tenant = await seedOrg(ours, "bench-quiet", ["load.quiet"]);
  await createWebhooks(ours, tenant, [{ url: receiver.url("quiet-ours"), events: ["load.quiet"] }]);
  bench.progress(`quiet: ${count} events, one every ${QUIET_INTERVAL_MS / 1000} s, to an idle webhook on each`);
  // The floor's stream runs half an interval behind ours: the two take turns, and the scenario
  // takes one stream's time instead of two.
  const perSecond = 1000 / QUIET_INTERVAL_MS;
  const [oursSent, floorSent] = await Promise.all([
    steadyRate(count, perSecond, (n) => post(ourIngest(ours, tenant, "load.quiet", n))),
    sleep(QUIET_INTERVAL_MS / 2).then(() => steadyRate(count, perSecond, (n) => post(floorIngest(floor, [receiver.url("quiet-floor")], "load.quiet", n)))),
  ]);
  // From the 202, as the target is set; either side may deliver before its answer is read (below zero).
  const oursLatencies = await latencies(receiver, "quiet-ours", oursSent.acceptedAt, sizes.settleMs);
  const floorLatencies = await latencies(receiver, "quiet-floor", floorSent.acceptedAt, sizes.settleMs);
  const every = `one event every ${QUIET_INTERVAL_MS / 1000} s`;
  const note = `${oursLatencies.length}/${count} of ours and ${floorLatencies.length}/${count} of the floor's arrived`;
  return [
    { scenario: "quiet", metric: `p50, ${every}`, unit: "ms", floor: percentile(floorLatencies, 50), ours: percentile(oursLatencies, 50), better: "lower", note },
    { scenario: "quiet", metric: `p95, ${every}`, unit: "ms", floor: percentile(floorLatencies, 95), ours: percentile(oursLatencies, 95), better: "lower" },
  ];
}

// ── (4) ordered throughput to one webhook ──────────────────────────────────────────────────

/** Deliveries per second between the first and the last arrival. */
function rate(times: number[]): number {
  if (times.length < 2) return 0;
  const span = Math.max(...times) - Math.min(...times);
  return span > 0 ? ((times.length - 1) * 1000) / span : Infinity;
}

/**
 * Order as the receiver saw it: every n is 0..count-1, a repeat of the latest n is an at-least-once
 * redelivery, anything else going back is a break.
 */
export function orderBreaks(ns: number[]): number {
  let breaks = 0;
  let latest = -1;
  for (const n of ns) {
    if (n === latest) continue;
    if (n !== latest + 1) breaks += 1;
    latest = Math.max(latest, n);
  }
  return breaks;
}

export async function ordered(bench: Bench): Promise<Figure[]> {
  const { ours, floor, receiver, sizes } = bench;
  const count = sizes.orderedEvents;
  const tenant = await seedOrg(ours, "bench-ordered", ["load.ordered"]);
  await createWebhooks(ours, tenant, [{ url: receiver.url("ordered-ours"), events: ["load.ordered"] }]);
  bench.progress(`ordered, ${count} events to one webhook: floor`);
  const floorTarget = receiver.url("ordered-floor");
  for (let start = 0; start < count; start += EVENTS_PER_BATCH) {
    await post(floorIngest(floor, Array(Math.min(EVENTS_PER_BATCH, count - start)).fill(floorTarget), "load.ordered", start));
  }
  await until(() => receiver.received("ordered-floor").length >= count, sizes.settleMs);
  const floorRate = rate(receiver.received("ordered-floor").map((r) => r.receivedAt));
  bench.progress(`ordered, ${count} events to one webhook: ours`);
  for (let start = 0; start < count; start += EVENTS_PER_BATCH) {
    await post(ourBatchIngest(ours, tenant, "load.ordered", Array.from({ length: Math.min(EVENTS_PER_BATCH, count - start) }, (_, i) => start + i)));
  }
  // Counting what arrived is cheap; parsing every body to see which succeeded is not, and the
  // receiver shares this process: parse only once enough has arrived (the floors are not polled).
  await until(() => receiver.received("ordered-ours").length >= count && distinctSuccesses(receiver, "ordered-ours") >= count, sizes.settleMs, 100);
  const arrived = arrivals(receiver, "ordered-ours");
  const breaks = orderBreaks(arrived.map((a) => a.n));
  const delivered = distinctSuccesses(receiver, "ordered-ours");
  bench.progress(`ordered, ${count} events to one webhook: the strict-order floor`);
  await strictFloor(floor, receiver.url("ordered-strict"), "load.ordered", count);
  const strictRate = rate(receiver.received("ordered-strict").map((r) => r.receivedAt));
  const oursRate = rate([...firstSuccess(receiver, "ordered-ours").values()]);
  return [
    {
      scenario: "ordered",
      metric: "deliveries/s to one webhook",
      unit: "/s",
      floor: floorRate,
      ours: oursRate,
      better: "higher",
      note: `floor unordered; ours ${delivered}/${count} delivered, ${breaks} order breaks`,
    },
    {
      scenario: "ordered",
      metric: "against the strict-order floor, /s",
      unit: "/s",
      floor: strictRate,
      ours: oursRate,
      better: "higher",
      note: "strict-order floor: one POST, then one Durable Object call writing one row, per delivery",
    },
    { scenario: "ordered", metric: "order breaks", unit: "", floor: NaN, ours: breaks, better: "lower" },
  ];
}

// ── (5) fan-out ────────────────────────────────────────────────────────────────────────────

export async function fanout(bench: Bench): Promise<Figure[]> {
  const { ours, floor, receiver, sizes } = bench;
  const largest = Math.max(...sizes.fanouts);
  const typeOf = (size: number) => `fan.to${size}`;
  const tenant = await seedOrg(ours, "bench-fanout", sizes.fanouts.map(typeOf));
  bench.progress(`fan-out: creating ${largest} webhooks`);
  await createWebhooks(
    ours,
    tenant,
    Array.from({ length: largest }, (_, i) => ({ url: receiver.url(`fan-ours-${i}`), events: sizes.fanouts.filter((s) => i < s).map(typeOf) })),
  );
  const figures: Figure[] = [];
  // Timed by the receiver's clock (the last webhook's first arrival), not by when a poll noticed it:
  // a poll every 50 ms would round a 30 ms fan-out up to 50 or 100.
  const timeToAll = async (prefix: string, size: number, n: number, send: () => Promise<void>) => {
    const arrivalAt = (i: number) => receiver.received(`${prefix}-${i}`).find((r) => r.answer === "200" && JSON.parse(r.body).data.n === n)?.receivedAt;
    const started = Date.now();
    await send();
    const done = await until(() => {
      for (let i = 0; i < size; i++) if (arrivalAt(i) === undefined) return false;
      return true;
    }, sizes.settleMs, 50);
    const arrivals = Array.from({ length: size }, (_, i) => arrivalAt(i)).filter((at) => at !== undefined);
    return { ms: done ? Math.max(...arrivals) - started : NaN, reached: arrivals.length };
  };
  // Each size's first event finds some webhooks that never had one (their sequencers start cold);
  // the second, sent right after, finds them all in use: both are figures a tenant sees.
  const passes = [
    { n: (size: number) => size, metric: (size: number) => `time to all ${size}` },
    { n: (size: number) => -size, metric: (size: number) => `time to all ${size}, again` },
  ];
  for (const size of sizes.fanouts) {
    for (const pass of passes) {
      const n = pass.n(size);
      bench.progress(`${pass.metric(size)}: floor`);
      const floorRun = await timeToAll("fan-floor", size, n, () =>
        post(floorIngest(floor, Array.from({ length: size }, (_, i) => receiver.url(`fan-floor-${i}`)), typeOf(size), n)),
      );
      bench.progress(`${pass.metric(size)}: the per-webhook-object floor`);
      const objectsRun = await timeToAll("fan-objects", size, n, () =>
        post(floorIngest(floor, Array.from({ length: size }, (_, i) => receiver.url(`fan-objects-${i}`)), typeOf(size), n, "/per-webhook-object")),
      );
      bench.progress(`${pass.metric(size)}: ours`);
      const oursRun = await timeToAll("fan-ours", size, n, () => post(ourIngest(ours, tenant, typeOf(size), n)));
      const reached = (run: { reached: number }) => (run.reached < size ? `reached ${run.reached} of ${size}` : undefined);
      figures.push(
        {
          scenario: "fan-out",
          metric: pass.metric(size),
          unit: "ms",
          floor: floorRun.ms,
          ours: oursRun.ms,
          better: "lower",
          note: oursRun.reached < size || floorRun.reached < size ? `reached ours ${oursRun.reached}, floor ${floorRun.reached} of ${size}` : undefined,
        },
        {
          scenario: "fan-out",
          metric: `${pass.metric(size)}, against the per-webhook-object floor`,
          unit: "ms",
          floor: objectsRun.ms,
          ours: oursRun.ms,
          better: "lower",
          note: reached(objectsRun) && `per-webhook-object floor ${reached(objectsRun)}`,
        },
      );
    }
  }
  return figures;
}

// ── (6) retry storm ────────────────────────────────────────────────────────────────────────

const STORM_HEALTHY = 4;
const STORM_FLAKY = 4;

export async function retryStorm(bench: Bench): Promise<Figure[]> {
  const { ours, floor, receiver, sizes } = bench;
  const tenant = await seedOrg(ours, "bench-storm", ["storm.calm", "storm.hot"]);
  const hooks = (phase: string, who: string) => [
    ...Array.from({ length: STORM_HEALTHY }, (_, i) => receiver.url(`storm-${who}-${phase}-healthy-${i}`)),
    ...Array.from({ length: STORM_FLAKY }, (_, i) => {
      const url = receiver.url(`storm-${who}-${phase}-flaky-${i}`);
      return phase === "hot" ? `${url}?mix=200:70,503:30` : url;
    }),
  ];
  await createWebhooks(ours, tenant, [
    ...hooks("calm", "ours").map((url) => ({ url, events: ["storm.calm"] })),
    ...hooks("hot", "ours").map((url) => ({ url, events: ["storm.hot"] })),
  ]);
  const healthyP50 = async (who: "ours" | "floor", phase: "calm" | "hot") => {
    bench.progress(`retry storm: ${who}, ${phase === "hot" ? "30% 503s on half the webhooks" : "calm"}`);
    const send = (n: number) =>
      post(who === "ours" ? ourIngest(ours, tenant, `storm.${phase}`, n) : floorIngest(floor, hooks(phase, "floor"), `storm.${phase}`, n));
    const { sentAt } = await steadyRate(sizes.stormEvents, sizes.stormRate, send);
    const all: number[] = [];
    for (let i = 0; i < STORM_HEALTHY; i++) all.push(...(await latencies(receiver, `storm-${who}-${phase}-healthy-${i}`, sentAt, sizes.settleMs)));
    return percentile(all, 50);
  };
  const floorCalm = await healthyP50("floor", "calm");
  const floorHot = await healthyP50("floor", "hot");
  const oursCalm = await healthyP50("ours", "calm");
  const oursHot = await healthyP50("ours", "hot");
  const retried = (who: string) =>
    Array.from({ length: STORM_FLAKY }, (_, i) => receiver.received(`storm-${who}-hot-flaky-${i}`).filter((r) => r.answer === "503").length).reduce((a, b) => a + b, 0);
  return [
    { scenario: "retry storm", metric: "healthy p50, calm", unit: "ms", floor: floorCalm, ours: oursCalm, better: "lower" },
    {
      scenario: "retry storm",
      metric: "healthy p50, storm",
      unit: "ms",
      floor: floorHot,
      ours: oursHot,
      better: "lower",
      note: `503s answered: ours ${retried("ours")}, floor ${retried("floor")}`,
    },
    { scenario: "retry storm", metric: "healthy p50 storm/calm", unit: "×", floor: floorHot / floorCalm, ours: oursHot / oursCalm, better: "lower" },
  ];
}

// ── (7) the ceiling of one organization's EventLog ─────────────────────────────────────────

const CEILING_CONNECTIONS = [1, 4, 16];

/**
 * Events per second one organization's log accepts in full batches, as fast as it answers. The
 * organization has no webhook, so what is measured is taking events in, not delivering them.
 */
export async function ceiling(bench: Bench): Promise<Figure[]> {
  const { ours, sizes } = bench;
  const tenant = await seedOrg(ours, "bench-ceiling", ["load.ceiling"]);
  // A batch per producer key, so the per-key rate limit is not what is measured.
  const batches = tenant.producerKeys.map((_, key) =>
    ourBatchIngest(ours, tenant, "load.ceiling", Array.from({ length: EVENTS_PER_BATCH }, (_, i) => key * EVENTS_PER_BATCH + i), key),
  );
  const figures: Figure[] = [];
  for (const connections of CEILING_CONNECTIONS) {
    bench.progress(`EventLog ceiling c=${connections}: batches of ${EVENTS_PER_BATCH} events to one organization`);
    const run = await closedLoop(batches, connections, sizes.ceilingSeconds);
    figures.push({
      scenario: "eventlog ceiling",
      metric: `events/s accepted c=${connections}`,
      unit: "events/s",
      floor: NaN,
      ours: run.throughput * EVENTS_PER_BATCH,
      better: "higher",
      note: `batches of ${EVENTS_PER_BATCH}, p50 ${run.p50Ms} ms per batch${run.refused > 0 ? `; ${run.refused} batches refused` : ""}`,
    });
  }
  return figures;
}

// ── (8) the per-webhook throttle ───────────────────────────────────────────────────────────

export const THROTTLE_RATE = 20;
const THROTTLE_EVENTS = 200;

/**
 * The same events to two webhooks of one organization: one limited to THROTTLE_RATE deliveries a
 * second, one without a limit. The rate each receives, side by side: the limited one should get
 * its rate, the other should not be slowed by it. No floor: the floor has no throttle.
 */
export async function throttle(bench: Bench): Promise<Figure[]> {
  const { ours, receiver, sizes } = bench;
  const tenant = await seedOrg(ours, "bench-throttle", ["load.throttle"]);
  await createWebhooks(ours, tenant, [
    { url: receiver.url("throttle-limited"), events: ["load.throttle"], rateLimit: THROTTLE_RATE },
    { url: receiver.url("throttle-unlimited"), events: ["load.throttle"] },
  ]);
  bench.progress(`throttle: ${THROTTLE_EVENTS} events to a webhook limited to ${THROTTLE_RATE}/s and to one without a limit`);
  for (let start = 0; start < THROTTLE_EVENTS; start += EVENTS_PER_BATCH) {
    await post(ourBatchIngest(ours, tenant, "load.throttle", Array.from({ length: Math.min(EVENTS_PER_BATCH, THROTTLE_EVENTS - start) }, (_, i) => start + i)));
  }
  await until(() => distinctSuccesses(receiver, "throttle-limited") >= THROTTLE_EVENTS, sizes.settleMs + (THROTTLE_EVENTS / THROTTLE_RATE) * 1000, 100);
  const figure = (bucket: string, metric: string): Figure => ({
    scenario: "throttle",
    metric,
    unit: "/s",
    floor: NaN,
    ours: rate([...firstSuccess(receiver, bucket).values()]),
    better: "higher",
    note: `${distinctSuccesses(receiver, bucket)}/${THROTTLE_EVENTS} delivered, ${orderBreaks(arrivals(receiver, bucket).map((a) => a.n))} order breaks`,
  });
  return [figure("throttle-limited", `deliveries/s, limited to ${THROTTLE_RATE}/s`), figure("throttle-unlimited", "deliveries/s, the unlimited webhook beside it")];
}

/** Every scenario by name, in the order they run. */
export const SCENARIOS = { ingest, e2e: endToEnd, quiet, ordered, storm: retryStorm, fanout, ceiling, throttle } satisfies Record<string, (bench: Bench) => Promise<Figure[]>>;
