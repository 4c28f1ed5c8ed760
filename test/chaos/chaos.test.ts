// Loses nothing, keeps order, logs every attempt: thousands of events to webhooks whose receivers
// answer at random (200, 503, hang past the timeout, reset, 400, or 200 too late), on the real
// `wrangler dev`, first as is and then with faults injected into the platform by the harness entry
// (test/harness/worker.ts, faults.ts). Sizes come from the environment (CHAOS_EVENTS,
// CHAOS_FAULT_EVENTS, CHAOS_WEBHOOKS); the figures of each run go to test-output/chaos.json.
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { HARNESS_SCRIPT, startDevServer, seedTenant, type DevServer } from "../support/dev-server";
import { startReceiver, type Receiver, type Received } from "../support/receiver";

const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const WEBHOOKS = setting("CHAOS_WEBHOOKS", 20);
const BATCH = 100;
const MAX_ATTEMPTS = 4;
const FINAL = new Set(["succeeded", "failed", "cancelled"]);
const OUTPUT = new URL("../../test-output/chaos.json", import.meta.url).pathname;

interface Scenario {
  name: string;
  events: number;
  /** The receivers' answers and their weights (test/support/receiver.ts `mix`). */
  mix: string;
  /** CHAOS_FAULTS for the platform, or none. */
  faults?: string;
  /** Post the second half of the events while D1 is down (the faults name its window), and check what answers meanwhile. */
  duringD1Outage?: boolean;
  drainTimeoutMs: number;
}

const scenarios: Scenario[] = [
  {
    name: "receivers at random",
    events: setting("CHAOS_EVENTS", 300),
    mix: "200:60,503:20,hang:10,reset:5,400:5",
    drainTimeoutMs: setting("CHAOS_DRAIN_TIMEOUT_MS", 15 * 60_000),
  },
  {
    name: "receivers at random, faults in the platform",
    events: setting("CHAOS_FAULT_EVENTS", 60),
    // Half the hangs become a 200 sent after the platform gave up (3 s).
    mix: "200:60,503:20,hang:5,slow:3500:5,reset:5,400:5",
    // A crash leaves its delivery to the sequencer's lease (LEASE_SECONDS), so crashes are kept rare.
    faults: "crash-mid-delivery:0.03,duplicate-job:0.05,evict-sequencer:0.05,evict-event-log:0.5",
    drainTimeoutMs: setting("CHAOS_DRAIN_TIMEOUT_MS", 15 * 60_000),
  },
  {
    name: "D1 unavailable for a minute",
    events: setting("CHAOS_OUTAGE_EVENTS", 100),
    mix: "200:80,503:20",
    // From 40 s after the platform started (set-up is done by then) to 100 s.
    faults: "d1-unavailable:40000-100000",
    duringD1Outage: true,
    drainTimeoutMs: setting("CHAOS_DRAIN_TIMEOUT_MS", 15 * 60_000),
  },
  {
    name: "the queue refusing every send for two minutes",
    events: setting("CHAOS_OUTAGE_EVENTS", 100),
    // From the platform's first request for 130 s: ingest and a first attempt need no queue; every
    // retry does, and so does the event log's re-drive of a fan-out.
    mix: "200:70,503:30",
    faults: "queue-refuses:0-130000",
    drainTimeoutMs: setting("CHAOS_DRAIN_TIMEOUT_MS", 15 * 60_000),
  },
];

/**
 * Retries 1 s apart, and a dead drain's delivery taken over after 15 s instead of 60 (LEASE_SECONDS
 * must be at least twice the 6 s an attempt can take with both timeouts).
 */
const CHAOS_VARS = { RETRY_DELAY_SECONDS: "1", LEASE_SECONDS: "15" };

const figures: Record<string, unknown>[] = [];

afterAll(() => {
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, `${JSON.stringify({ webhooks: WEBHOOKS, scenarios: figures }, null, 2)}\n`);
});

/** Webhook i listens to event type i; webhook 0 to type 1 as well, so those events have two webhooks to reach. */
const eventType = (i: number) => `chaos.t${i % WEBHOOKS}`;
const listensTo = (webhook: number) => (webhook === 0 ? [eventType(0), eventType(1)] : [eventType(webhook)]);

async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}

/** Counts the batches wrangler's local queue has dispatched (its "QUEUE <name> n/m" lines) and when it last did. */
function queueWatch(server: DevServer) {
  const marker = "QUEUE edge-webhooks-jobs ";
  const watch = { batches: 0, lastAt: Date.now(), scanned: 0, update };
  function update() {
    const output = server.output();
    const fresh = output.slice(watch.scanned).split(marker).length - 1;
    // A marker cut off at the end is read again next time; a whole one never is.
    watch.scanned = Math.max(0, output.length - (marker.length - 1));
    if (fresh > 0) {
      watch.batches += fresh;
      watch.lastAt = Date.now();
    }
  }
  return watch;
}

/** What the platform should have logged for what the receiver did with one request. */
function expectedAttempt(answer: string): { statusCode: number | null; errorKind: string | null } {
  if (answer === "hang" || answer.startsWith("slow:")) return { statusCode: null, errorKind: "timeout" };
  if (answer === "reset") return { statusCode: null, errorKind: "connection" };
  return { statusCode: Number(answer), errorKind: null };
}

const answeredOk = (r: Received) => r.answer === "200" || r.answer.startsWith("slow:");

async function waitUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function run(scenario: Scenario) {
  const [server, receiver] = await Promise.all([
    startDevServer(scenario.faults ? { script: HARNESS_SCRIPT, vars: { ...CHAOS_VARS, CHAOS_FAULTS: scenario.faults } } : { vars: CHAOS_VARS }),
    startReceiver(),
  ]);
  try {
    return await exercise(scenario, server, receiver);
  } finally {
    await Promise.all([server.stop(), receiver.close()]);
  }
}

async function exercise(scenario: Scenario, server: DevServer, receiver: Receiver) {
  const types = Array.from({ length: WEBHOOKS }, (_, i) => eventType(i));
  const { org, adminKey, producerKey } = await seedTenant(server, "chaos", types);
  const webhooks: { id: string; bucket: string; types: string[] }[] = [];
  for (let i = 0; i < WEBHOOKS; i++) {
    const bucket = `w${i}`;
    const created = await server.api("POST", `/v1/mint/organizations/${org}/webhooks`, {
      auth: adminKey,
      body: { name: bucket, postURL: `${receiver.url(bucket)}?mix=${scenario.mix}`, source: "wink", events: listensTo(i), enabled: true },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    webhooks.push({ id: created.body.id, bucket, types: listensTo(i) });
  }

  // Ingest order is the order of the batches and of the events in each. Each event has the
  // producer's id, so a batch whose answer was lost (the event log reset mid-call) is posted again
  // and stored once.
  const started = Date.now();
  const ingestOrder = new Map<string, { index: number; type: string }>();
  const postBatch = async (first: number) => {
    const batch = Array.from({ length: Math.min(BATCH, scenario.events - first) }, (_, k) => ({
      type: eventType(Math.floor(Math.random() * WEBHOOKS)),
      data: { n: first + k },
      id: `event-${first + k}`,
    }));
    let posted = await server.api("POST", `/v1/organizations/${org}/events`, { auth: producerKey, body: { events: batch } });
    for (let retry = 0; posted.status >= 500 && retry < 5; retry++) {
      posted = await server.api("POST", `/v1/organizations/${org}/events`, { auth: producerKey, body: { events: batch } });
    }
    expect(posted.status, `${JSON.stringify(posted.body)}\n${server.output().slice(-4000)}`).toBe(202);
    posted.body.events.forEach((e: { id: string; duplicate: boolean }, k: number) => {
      if (!ingestOrder.has(e.id)) ingestOrder.set(e.id, { index: first + k, type: batch[k]!.type });
    });
  };
  const batches = Array.from({ length: Math.ceil(scenario.events / BATCH) }, (_, b) => b * BATCH);
  const beforeOutage = scenario.duringD1Outage ? batches.slice(0, Math.ceil(batches.length / 2)) : batches;
  for (const first of beforeOutage) await postBatch(first);
  if (scenario.duringD1Outage) {
    // Management calls answer a clear 503 while D1 is down; ingest and delivery go on from caches.
    const down = await waitUntil(async () => {
      const answer = await server.api("GET", `/v1/mint/organizations/${org}/webhooks`, { auth: adminKey });
      return answer.status === 503 ? answer : undefined;
    }, 90_000);
    expect(down.body.error.code).toBe("unavailable");
    const deliveredWhenDown = webhooks.reduce((sum, w) => sum + receiver.received(w.bucket).length, 0);
    for (const first of batches.slice(beforeOutage.length)) await postBatch(first);
    await waitUntil(async () => webhooks.reduce((sum, w) => sum + receiver.received(w.bucket).length, 0) > deliveredWhenDown, 20_000);
    const stillDown = await server.api("POST", `/v1/mint/organizations/${org}/webhooks`, {
      auth: adminKey,
      body: { name: "while down", postURL: receiver.url("unused"), source: "wink", events: [eventType(0)] },
    });
    expect(stillDown.status, "D1 came back before the events posted during the outage were delivered").toBe(503);
  }
  const ingestedMs = Date.now() - started;
  const expected = webhooks.map((w) => [...ingestOrder].filter(([, e]) => w.types.includes(e.type)).length);

  const listAll = async (webhookId: string) => {
    const deliveries: any[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await server.api("GET", `/v1/mint/organizations/${org}/webhooks/${webhookId}/deliveries?limit=1000&offset=${offset}`, { auth: adminKey });
      expect(page.status).toBe(200);
      deliveries.push(...page.body.deliveries);
      if (deliveries.length >= page.body.totalRecords) return deliveries;
    }
  };
  const finalCount = async (webhookId: string) => {
    let n = 0;
    for (const status of FINAL) {
      const page = await server.api("GET", `/v1/mint/organizations/${org}/webhooks/${webhookId}/deliveries?limit=1&status=${status}`, { auth: adminKey });
      n += page.body.totalRecords;
    }
    return n;
  };

  const deadline = started + scenario.drainTimeoutMs;
  const total = expected.reduce((a, b) => a + b, 0);
  let reported = started;
  // When progress stops, whether the local queue still hands out batches tells a platform stall
  // (leases, alarms, watermark) from the local queue having stopped dispatching.
  const queue = queueWatch(server);
  let progress = { final: -1, at: started };
  for (;;) {
    const finals = await Promise.all(webhooks.map((w) => finalCount(w.id)));
    if (finals.every((n, i) => n >= expected[i]!)) break;
    const final = finals.reduce((a, b) => a + b, 0);
    if (final !== progress.final) progress = { final, at: Date.now() };
    queue.update();
    if (Date.now() > deadline) {
      const behind = webhooks.flatMap((w, i) => (finals[i]! < expected[i]! ? [`${w.bucket}: ${finals[i]}/${expected[i]} final, ${receiver.received(w.bucket).length} requests`] : []));
      const since = (at: number) => Math.round((Date.now() - at) / 1000);
      throw new Error(
        `not drained after ${scenario.drainTimeoutMs} ms; no delivery became final for ${since(progress.at)} s; ` +
          `the queue dispatched ${queue.batches} batches, the last ${since(queue.lastAt)} s ago; behind: ${behind.join("; ")}\n` +
          server.output().split("\n").filter((l) => !l.includes("GET /v1")).slice(-40).join("\n"),
      );
    }
    if (Date.now() - reported > 10_000) {
      reported = Date.now();
      const requests = webhooks.reduce((sum, w) => sum + receiver.received(w.bucket).length, 0);
      console.log(`chaos: ${Math.round((reported - started) / 1000)} s, ${final}/${total} deliveries final, ${requests} requests received, ${queue.batches} queue batches`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  const drainMs = Date.now() - started;

  let attempts = 0;
  let duplicates = 0;
  let interrupted = 0;
  const outcomes: Record<string, number> = {};
  for (const [i, webhook] of webhooks.entries()) {
    const requests = receiver.received(webhook.bucket);
    attempts += requests.length;

    // Order: once a receiver saw an event, it never sees an earlier one.
    const seen = requests.map((r) => ingestOrder.get(r.headers["webhook-id"]!)!.index);
    const backwards = seen.findIndex((index, k) => k > 0 && index < seen[k - 1]!);
    expect(backwards, `${webhook.bucket}: event ${seen[backwards]} after ${seen[backwards - 1]}`).toBe(-1);

    const byEvent = new Map<string, Received[]>();
    for (const r of requests) byEvent.set(r.headers["webhook-id"]!, [...(byEvent.get(r.headers["webhook-id"]!) ?? []), r]);
    for (const got of byEvent.values()) {
      const firstOk = got.findIndex(answeredOk);
      if (firstOk >= 0) duplicates += got.length - firstOk - 1;
    }

    // Nothing lost: one final delivery per matching event, its attempts on record.
    const deliveries = await listAll(webhook.id);
    const mine = [...ingestOrder].filter(([, e]) => webhook.types.includes(e.type)).map(([id]) => id);
    expect(deliveries.map((d) => d.eventId).sort(), webhook.bucket).toEqual(mine.sort());
    expect(expected[i]).toBe(mine.length);
    const details = await mapLimit(deliveries, 16, async (d) => {
      const detail = await server.api("GET", `/v1/mint/organizations/${org}/webhooks/${webhook.id}/deliveries/${d.id}`, { auth: adminKey });
      return detail.body;
    });
    for (const delivery of details) {
      const label = `${webhook.bucket} event ${ingestOrder.get(delivery.eventId)!.index}`;
      outcomes[delivery.status] = (outcomes[delivery.status] ?? 0) + 1;
      expect(FINAL.has(delivery.status), label).toBe(true);
      expect(delivery.attempts, label).toBeGreaterThan(0);
      expect(delivery.attempts, label).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(delivery.attemptLog, label).toHaveLength(delivery.attempts);
      // The API's log is what the receiver saw, attempt by attempt. An attempt whose worker died
      // before recording its answer is logged as interrupted, whatever the receiver said.
      const got = byEvent.get(delivery.eventId) ?? [];
      expect(got.map((r) => r.answer), label).toHaveLength(delivery.attemptLog.length);
      delivery.attemptLog.forEach((attempt: any, k: number) => {
        if (/interrupted/.test(attempt.error ?? "")) {
          interrupted += 1;
          return;
        }
        expect({ statusCode: attempt.statusCode, errorKind: attempt.errorKind }, `${label} attempt ${k + 1}`).toEqual(expectedAttempt(got[k]!.answer));
      });
      const last = delivery.attemptLog.at(-1);
      if (delivery.status === "succeeded") expect(last.statusCode, label).toBe(200);
      if (delivery.status === "failed") expect(last.outcome, label).toBe("failed");
    }
  }

  const result = {
    scenario: scenario.name,
    receivers: scenario.mix,
    faults: scenario.faults ?? null,
    events: scenario.events,
    webhooks: WEBHOOKS,
    deliveries: total,
    outcomes,
    attempts,
    interruptedAttempts: interrupted,
    faultsInjected: Object.fromEntries(
      ["crash-mid-delivery", "duplicate-job", "evict-sequencer", "evict-event-log"].map((fault) => [fault, server.output().split(`chaos fault injected: ${fault}`).length - 1]),
    ),
    duplicatesSeenByReceivers: duplicates,
    ingestMs: ingestedMs,
    drainMs,
    deliveriesPerSecond: Math.round((total / drainMs) * 10_000) / 10,
  };
  console.log(`chaos: ${JSON.stringify(result)}`);
  figures.push(result);
  return result;
}

// The scenarios run side by side, each on its own wrangler dev, to keep the suite's wall time down.
describe.concurrent("chaos on wrangler dev", () => {
  for (const scenario of scenarios) {
    it(`${scenario.name}: every delivery final, none lost, at most ${MAX_ATTEMPTS} attempts, in order, logged as received`, async () => {
      const result = await run(scenario);
      expect(result.attempts).toBeGreaterThanOrEqual(result.deliveries);
      if (scenario.faults?.includes(":0.")) expect(Object.values(result.faultsInjected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    });
  }
});
