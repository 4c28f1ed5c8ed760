// The sequencer's storage: what a delivery costs in rows written, ids that are keys, the FIFO's order
// when appends race, and retention. Driven inside the object (runInDurableObject), as a drain would
// drive it, with time injected into the purge.
import { afterEach, describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { RECOVER_PER_TURN, WebhookSequencer } from "../../src/sequencer/webhook-sequencer";
import { sequencer } from "../../src/delivery/sequencer-client";
import { parseDeliveryId } from "../../src/sequencer/delivery-id";
import { config } from "../../src/config";
import { CANCELLED_BECAUSE, type AttemptReport, type AttemptResult } from "../../src/sequencer/records";
import { OPS_LOG_PREFIX, type OpCounts } from "../harness/ops-counts";
import { WebhookSequencer as MeteredSequencer } from "../harness/worker";
import type { Claim, DeliveryRecord, NextStep } from "../../src/sequencer/records";
import { countedSql, withSql } from "./sql-reads";

const ORG = "org-sequencer-test";
const RETENTION_MS = config(env).retentionMs;
const answered200: AttemptResult = { started: 0, durationMs: 1, statusCode: 200, errorKind: null, error: null, responseBody: "ok" };

/**
 * Every sequencer a test made, erased after it. Their webhooks exist nowhere else, so a backlog left
 * behind would be drained in the background (each delivery cancelled on its own call) while the
 * tests that follow run in the same workerd: thousands of them took 20 s of the next tests' time.
 */
const made: DurableObjectStub<WebhookSequencer>[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((stub) => stub.erase()));
});

function newWebhook() {
  const webhookId = crypto.randomUUID();
  const stub = sequencer(env, webhookId);
  made.push(stub);
  return { webhookId, stub };
}

/** A report as the drain makes it, but for the delivery it names. */
type AttemptReportWithoutId = AttemptReport extends infer Report ? (Report extends unknown ? Omit<Report, "deliveryId"> : never) : never;

const eventAt = (seq: number) => ({ eventId: `event-${seq}`, eventType: "booking.created", seq });

/**
 * Sends what the sequencer hands out, each answered 200, as the drain does: from `lease` until it
 * stops (or after `limit` deliveries, leaving the last one in flight). Returns the events sent.
 */
async function drain(sequencer: WebhookSequencer, claim: Claim, watermark: number, limit = Infinity): Promise<string[]> {
  const { lease } = claim;
  const sent: string[] = [];
  // The append that claimed the lease may have handed the first delivery out already.
  let step: NextStep = claim.first ?? (await sequencer.next(lease, { watermark }));
  while (step.action === "deliver") {
    sent.push(step.delivery.eventId);
    if (sent.length === limit) return sent;
    step = await sequencer.next(lease, { report: { deliveryId: step.delivery.id, outcome: "succeeded", attempt: answered200 } });
  }
  expect(step.action).toBe("idle");
  return sent;
}

/** Appends events `from`..`to` in one call and delivers them all. */
async function deliverBatch(sequencer: WebhookSequencer, webhookId: string, from: number, to: number) {
  const items = Array.from({ length: to - from + 1 }, (_, i) => eventAt(from + i));
  const claim = await sequencer.append(webhookId, ORG, items, to, true);
  await drain(sequencer, claim!, to);
}

/** Events `from`..`to` to an idle webhook one at a time, each handed out with its append and delivered before the next. */
async function deliverOneByOne(sequencer: WebhookSequencer, webhookId: string, from: number, to: number) {
  for (let seq = from; seq <= to; seq++) {
    const claim = await sequencer.append(webhookId, ORG, [eventAt(seq)], seq, true);
    expect(claim!.first).toMatchObject({ action: "deliver", delivery: { eventId: `event-${seq}` } });
    expect(await drain(sequencer, claim!, seq)).toEqual([`event-${seq}`]);
  }
}

/** The storage operations `work` makes through a sequencer metered as the benchmark meters it. */
async function metered(state: DurableObjectState, work: (sequencer: WebhookSequencer) => Promise<void>): Promise<OpCounts> {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    await work(new MeteredSequencer(state, { ...env, OPS_METER: "log" }));
    const totals: Record<string, number> = {};
    for (const [line] of log.mock.calls) {
      if (typeof line !== "string" || !line.startsWith(OPS_LOG_PREFIX)) continue;
      for (const [op, n] of Object.entries(JSON.parse(line.slice(OPS_LOG_PREFIX.length)) as Record<string, number>)) totals[op] = (totals[op] ?? 0) + n;
    }
    return totals;
  } finally {
    log.mockRestore();
  }
}

/**
 * A sequencer on `state`'s storage (a fresh object, as after an eviction) whose SQL is counted:
 * `measured(work)` runs `work` and answers its value, the statements it ran and the rows they read
 * (what Cloudflare bills as rows read), what the object read before it aside.
 */
function countedSequencer(state: DurableObjectState) {
  const counted = countedSql(state.storage.sql);
  const sequencer = new WebhookSequencer(state, env, withSql(state.storage, counted.sql));
  const measured = async <T,>(work: () => T | Promise<T>): Promise<{ value: T; statements: number; rowsRead: number }> => {
    counted.reset();
    const value = await work();
    return { value, statements: counted.statements(), rowsRead: counted.rowsRead() };
  };
  return { sequencer, measured };
}

/** The SQL statements `work` runs through a fresh sequencer on `state`'s storage, and the rows they read. */
async function measure(state: DurableObjectState, work: (sequencer: WebhookSequencer) => Promise<unknown>): Promise<{ statements: number; rowsRead: number }> {
  const { sequencer, measured } = countedSequencer(state);
  return measured(() => work(sequencer));
}

const countStatements = async (state: DurableObjectState, work: (sequencer: WebhookSequencer) => Promise<unknown>) => (await measure(state, work)).statements;

/**
 * Rings the lease's alarm (the webhook idle or waiting, it notes where the open deliveries start),
 * evicts the object and wakes a fresh one, which must find `open` deliveries open: the rows it reads.
 */
async function rowsReadWaking(stub: DurableObjectStub<WebhookSequencer>, open: number): Promise<number> {
  expect(await runDurableObjectAlarm(stub)).toBe(true);
  await evictDurableObject(stub);
  const ops = await runInDurableObject(stub, (_sequencer, state) => metered(state, async () => {}));
  expect(await runInDurableObject(stub, (sequencer) => sequencer.openCount())).toBe(open);
  return ops.doRowsRead ?? 0;
}

describe("sequencer storage", () => {
  it("writes two rows per delivery to an idle webhook that gets events one at a time: handed out with its insert, then its outcome", async () => {
    const { webhookId, stub } = newWebhook();
    const events = 50;
    const ops = await runInDurableObject(stub, async (unmetered, state) => {
      // The first event also records the webhook's ids and sets the lease's alarm, once per webhook.
      await deliverBatch(unmetered, webhookId, 1, 1);
      unmetered.stats("24h"); // its statistics written: the next object has no attempt to count again
      return metered(state, (sequencer) => deliverOneByOne(sequencer, webhookId, 2, events + 1));
    });
    const written = ((ops.doRowsWritten ?? 0) + (ops.doAlarmWrites ?? 0)) / events;
    console.info(`rows written per delivery, one event per turn: ${written}; rows read: ${(ops.doRowsRead ?? 0) / events}`);
    expect(written).toBeLessThanOrEqual(2);
  });

  it("writes two rows per delivery when a turn sends a batch: its insert, then its outcome with the next one's hand-out", async () => {
    const { webhookId, stub } = newWebhook();
    const ops = await runInDurableObject(stub, async (unmetered, state) => {
      await deliverBatch(unmetered, webhookId, 1, 1);
      unmetered.stats("24h"); // its statistics written: the next object has no attempt to count again
      return metered(state, (sequencer) => deliverBatch(sequencer, webhookId, 2, 101));
    });
    const written = ((ops.doRowsWritten ?? 0) + (ops.doAlarmWrites ?? 0)) / 100;
    console.info(`rows written per delivery, 100 events in one turn: ${written}; rows read: ${(ops.doRowsRead ?? 0) / 100}`);
    // The turn's first hand-out has no outcome beside it: one row more per turn.
    expect(written).toBeLessThanOrEqual(2.01);
  });

  it("runs two statements per event to an idle webhook: the insert that hands it out, then its outcome", async () => {
    const { webhookId, stub } = newWebhook();
    const events = 20;
    const statements = await runInDurableObject(stub, async (unmetered, state) => {
      await deliverBatch(unmetered, webhookId, 1, 1);
      unmetered.stats("24h"); // its statistics written: the next object has no attempt to count again
      return countStatements(state, (sequencer) => deliverOneByOne(sequencer, webhookId, 2, events + 1));
    });
    expect(statements / events).toBe(2);
  });

  it("hands out each delivery of a backlog with one statement, its predecessor's outcome, reading the next ones a window at a time", async () => {
    const { webhookId, stub } = newWebhook();
    const statements = await runInDurableObject(stub, async (unmetered, state) => {
      await deliverBatch(unmetered, webhookId, 1, 1);
      unmetered.stats("24h"); // its statistics written: the next object has no attempt to count again
      return countStatements(state, (sequencer) => deliverBatch(sequencer, webhookId, 2, 201));
    });
    // 200 inserts and 200 outcomes, and a read of the window now and then.
    expect(statements).toBeLessThanOrEqual(400 + 5);
  });

  it("keeps its window of open deliveries in key order when appends race into it and past it", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      const evens = Array.from({ length: 100 }, (_, i) => eventAt(2 + 2 * i));
      const claim = (await sequencer.append(webhookId, ORG, evens, 200, true))!;
      // 2..20 sent, 20 still on the wire when the odd seqs arrive: before the head, inside the window and past it.
      const sent = await drain(sequencer, claim, 200, 10);
      await sequencer.append(webhookId, ORG, Array.from({ length: 99 }, (_, i) => eventAt(3 + 2 * i)), 200);
      const onWire = sequencer.list({ status: "in_flight", limit: 1, offset: 0 }).deliveries[0]!;
      let step = await sequencer.next(claim.lease, { report: { deliveryId: onWire.id, outcome: "succeeded", attempt: answered200 } });
      while (step.action === "deliver") {
        sent.push(step.delivery.eventId);
        step = await sequencer.next(claim.lease, { report: { deliveryId: step.delivery.id, outcome: "succeeded", attempt: answered200 } });
      }
      const seqsAfter = (n: number) => Array.from({ length: 199 }, (_, i) => 2 + i).filter((seq) => seq > n || seq % 2 === 1);
      expect(sent.map((id) => Number(id.slice("event-".length)))).toEqual([...evens.slice(0, 10).map((e) => e.seq), ...seqsAfter(20)]);
    });
  });

  it("keeps a delivery handed out beside its predecessor's outcome in flight across an eviction: its holder's report counts, a duplicate call is stale", async () => {
    const { webhookId, stub } = newWebhook();
    const { lease, onWire } = await runInDurableObject(stub, async (sequencer) => {
      const claim = await sequencer.append(webhookId, ORG, [eventAt(1), eventAt(2), eventAt(3)], 3, true);
      // 1 succeeds and hands out 2 on its own row; 2 is on the wire.
      await drain(sequencer, claim!, 3, 2);
      const [onWire] = sequencer.list({ status: "in_flight", limit: 10, offset: 0 }).deliveries;
      return { lease: claim!.lease, onWire: onWire! };
    });
    expect(onWire.eventId).toBe("event-2");
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (sequencer) => {
      expect(sequencer.list({ limit: 10, offset: 0 }).deliveries.map((d) => [d.eventId, d.status])).toEqual([
        ["event-3", "pending"],
        ["event-2", "in_flight"],
        ["event-1", "succeeded"],
      ]);
      expect(sequencer.list({ status: "pending", limit: 10, offset: 0 }).total).toBe(1);
      expect(await sequencer.next(lease)).toEqual({ action: "stale" });
      const report = { deliveryId: onWire.id, outcome: "succeeded" as const, attempt: answered200 };
      // A fresh object knows no watermark: the drain passes the one it read.
      expect(await sequencer.next(lease, { report, watermark: 3 })).toMatchObject({ action: "deliver", delivery: { eventId: "event-3", attempt: 1 } });
      expect(sequencer.get(onWire.id)).toMatchObject({ status: "succeeded", attempts: 1 });
    });
  });

  it("gives each delivery a version 8 UUID that finds it, and finds nothing for any other id", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      await deliverBatch(sequencer, webhookId, 2 ** 40, 2 ** 40);
      const [delivery] = sequencer.list({ limit: 10, offset: 0 }).deliveries;
      expect(delivery!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(sequencer.get(delivery!.id)).toMatchObject({ id: delivery!.id, eventId: `event-${2 ** 40}`, status: "succeeded" });
      // The same key with other random bits is not this delivery.
      const otherNonce = delivery!.id.slice(0, 15) + (delivery!.id[15] === "0" ? "1" : "0") + delivery!.id.slice(16);
      expect(sequencer.get(otherNonce)).toBeNull();
      expect(sequencer.get(crypto.randomUUID())).toBeNull();
      expect(await sequencer.redeliver("not-a-delivery", 1)).toBeNull();
    });
  });

  it("ignores an event appended again", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      await sequencer.append(webhookId, ORG, [eventAt(1), eventAt(2)], 0);
      await sequencer.append(webhookId, ORG, [eventAt(2), eventAt(1)], 0);
      expect(sequencer.openCount()).toBe(2);
    });
  });

  it("appends a batch of events in one statement, each after a redelivery already at its seq", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer, state) => {
      await deliverBatch(sequencer, webhookId, 1, 2);
      const [second] = sequencer.list({ event: { id: "event-2", seq: 2 }, limit: 1, offset: 0 }).deliveries;
      await sequencer.redeliver(second!.id, 3); // before event 3 reached this webhook
      const items = Array.from({ length: 100 }, (_, i) => eventAt(3 + i));
      expect(await countStatements(state, (fresh) => fresh.append(webhookId, ORG, items, 0).then(() => {}))).toBe(1);
    });
    await runInDurableObject(stub, (sequencer) => {
      const fifo = sequencer.list({ limit: 200, offset: 0 }).deliveries.reverse();
      expect(fifo.map((delivery) => delivery.eventId)).toEqual(["event-1", "event-2", "event-2", ...Array.from({ length: 100 }, (_, i) => `event-${3 + i}`)]);
    });
  });

  it("delivers in seq order events whose appends arrived out of order, after the FIFO had moved on", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      await deliverBatch(sequencer, webhookId, 1, 5);
      // Two fan-outs racing: 8 is appended before 6 and 7.
      const claim = await sequencer.append(webhookId, ORG, [eventAt(8)], 5, true);
      expect(claim!.first).toBeUndefined();
      expect(await sequencer.next(claim!.lease, { watermark: 5 })).toMatchObject({ action: "blocked", seq: 8 });
      await sequencer.append(webhookId, ORG, [eventAt(7)], 5);
      await sequencer.append(webhookId, ORG, [eventAt(6)], 8);
      expect(await drain(sequencer, { lease: claim!.lease }, 8)).toEqual(["event-6", "event-7", "event-8"]);
    });
  });

  it("accepts a retry's drain job after the object was evicted while it waited", async () => {
    const { webhookId, stub } = newWebhook();
    const lease = await runInDurableObject(stub, async (sequencer) => {
      const claim = await sequencer.append(webhookId, ORG, [eventAt(1)], 1, true);
      const lease = claim!.lease;
      const step = claim!.first;
      if (step?.action !== "deliver") throw new Error(`expected a delivery handed out with the append`);
      const attempt = { ...answered200, statusCode: 503, responseBody: null };
      const report = { deliveryId: step.delivery.id, outcome: "retry" as const, attempt, retryAt: Date.now() };
      // A fresh object knows no watermark: the drain passes the one it read.
      expect(await sequencer.next(lease, { report, watermark: 3 })).toMatchObject({ action: "retry-scheduled" });
      return lease;
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (sequencer) => {
      expect(await sequencer.next(lease, { watermark: 1 })).toMatchObject({ action: "deliver", delivery: { eventId: "event-1", attempt: 2 } });
    });
  });

  it("hands out on its own row a delivery that does not directly follow the one just reported, and finds it in flight after an eviction", async () => {
    const { webhookId, stub } = newWebhook();
    const { lease, seven } = await runInDurableObject(stub, async (sequencer) => {
      await deliverBatch(sequencer, webhookId, 1, 2);
      await deliverBatch(sequencer, webhookId, 5, 6);
      // Event 4's fan-out raced behind: it arrives with 7, after 5 and 6 were delivered.
      const claim = await sequencer.append(webhookId, ORG, [eventAt(4), eventAt(7)], 7, true);
      const four = claim!.first;
      if (four?.action !== "deliver") throw new Error("expected event 4 handed out with the append");
      const seven = await sequencer.next(claim!.lease, { report: { deliveryId: four.delivery.id, outcome: "succeeded", attempt: answered200 } });
      if (seven.action !== "deliver") throw new Error(`expected event 7 handed out, got ${seven.action}`);
      expect(seven.delivery.eventId).toBe("event-7");
      return { lease: claim!.lease, seven };
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (sequencer) => {
      expect(sequencer.get(seven.delivery.id)).toMatchObject({ status: "in_flight" });
      expect(await sequencer.next(lease)).toEqual({ action: "stale" });
      const report = { deliveryId: seven.delivery.id, outcome: "succeeded" as const, attempt: answered200 };
      expect(await sequencer.next(lease, { report, watermark: 7 })).toEqual({ action: "idle" });
      expect(sequencer.get(seven.delivery.id)).toMatchObject({ status: "succeeded", attempts: 1 });
    });
  });

  it("hands out again, under a fresh deadline, a delivery its holder says it has not sent", async () => {
    const { webhookId, stub } = newWebhook();
    const { lease, again } = await runInDurableObject(stub, async (sequencer) => {
      const claim = await sequencer.append(webhookId, ORG, [eventAt(1)], 1, true);
      const first = claim!.first!;
      const again = await sequencer.next(claim!.lease, { unsent: first.delivery.id });
      expect(again).toMatchObject({ action: "deliver", delivery: { id: first.delivery.id, attempt: 1 } });
      expect((again as typeof first).handedOutAt).toBeGreaterThanOrEqual(first.handedOutAt);
      return { lease: claim!.lease, again: again as typeof first };
    });
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (sequencer) => {
      expect(sequencer.get(again.delivery.id)).toMatchObject({ status: "in_flight", attempts: 0 });
      const report = { deliveryId: again.delivery.id, outcome: "succeeded" as const, attempt: answered200 };
      expect(await sequencer.next(lease, { report, watermark: 1 })).toEqual({ action: "idle" });
    });
  });

  it("keeps one delivery on the wire when a raced append puts another before it", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      await deliverBatch(sequencer, webhookId, 1, 2);
      const claim = await sequencer.append(webhookId, ORG, [eventAt(10)], 10, true);
      const ten = claim!.first;
      if (ten?.action !== "deliver") throw new Error("expected event 10 handed out with the append");
      await sequencer.append(webhookId, ORG, [eventAt(4)], 10);
      // A duplicate of the drain, with nothing to report, gets nothing while 10 is on the wire.
      expect(await sequencer.next(claim!.lease)).toEqual({ action: "stale" });
      const report = { deliveryId: ten.delivery.id, outcome: "succeeded" as const, attempt: answered200 };
      expect(await sequencer.next(claim!.lease, { report })).toMatchObject({ action: "deliver", delivery: { eventId: "event-4" } });
    });
  });

  it("keeps a delivery that raced in before the one handed out again within reach after an eviction", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      const claim = (await sequencer.append(webhookId, ORG, [eventAt(10)], 10, true))!;
      await sequencer.append(webhookId, ORG, [eventAt(5)], 10);
      // Its holder had not sent it yet: handed out again, which must not move the start of the open deliveries past event 5.
      expect(await sequencer.next(claim.lease, { unsent: claim.first!.delivery.id })).toMatchObject({ action: "deliver", delivery: { eventId: "event-10" } });
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true); // writes the bound where the open deliveries start
    await evictDurableObject(stub);
    await runInDurableObject(stub, (sequencer) => {
      const { deliveries } = sequencer as unknown as { deliveries: { head(): { event_id: string } | undefined } };
      expect(deliveries.head()?.event_id).toBe("event-5");
    });
  });

  it("finds its head on waking without reading the final deliveries kept for the log", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, (sequencer) => deliverBatch(sequencer, webhookId, 1, 300));
    expect(await rowsReadWaking(stub, 0)).toBeLessThan(30);
    // And an event appended after it wakes is its head.
    await runInDurableObject(stub, async (sequencer) => {
      const claim = await sequencer.append(webhookId, ORG, [eventAt(301)], 301, true);
      expect(claim!.first).toMatchObject({ action: "deliver", delivery: { eventId: "event-301" } });
    });
  });

  it("finds its head on waking, and whether the delivery before it handed it out, without reading the final deliveries kept", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      await deliverBatch(sequencer, webhookId, 1, 300);
      await sequencer.append(webhookId, ORG, [eventAt(301)], 301);
    });
    expect(await rowsReadWaking(stub, 1)).toBeLessThan(30);
  });

  it("stores that an append raced at once, and clears it with the alarm rather than each time the webhook goes idle", async () => {
    const { webhookId, stub } = newWebhook();
    const raceMark = (state: DurableObjectState) => state.storage.sql.exec(`SELECT value FROM state WHERE key = 'raced'`).toArray().length;
    await runInDurableObject(stub, async (sequencer, state) => {
      await deliverBatch(sequencer, webhookId, 2, 2);
      expect(raceMark(state)).toBe(0);
      // Event 1's fan-out arrives after event 2's: inserted before the last delivery.
      await deliverBatch(sequencer, webhookId, 1, 1);
      expect(raceMark(state)).toBe(1);
      expect(sequencer.openCount()).toBe(0);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_sequencer, state) => raceMark(state))).toBe(0);
  });

  it("wakes behind a long backlog without reading it", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      // The first delivery failed once and waits for its retry: its attempt is the one to count again.
      const claim = (await sequencer.append(webhookId, ORG, Array.from({ length: 2_000 }, (_, i) => eventAt(i + 1)), 2_000, true))!;
      const report = { deliveryId: claim.first!.delivery.id, outcome: "retry" as const, attempt: { ...answered200, started: Date.now(), statusCode: 503 }, retryAt: Date.now() + 60_000 };
      expect(await sequencer.next(claim.lease, { report })).toMatchObject({ action: "retry-scheduled" });
    });
    // Evicted before its statistics were written: the fresh object counts the attempt again.
    await evictDurableObject(stub);
    const ops = await runInDurableObject(stub, (_sequencer, state) => metered(state, async () => {}));
    // Looking for a final delivery behind the head, and for attempts to count again, read all 2,000.
    expect(ops.doRowsRead ?? 0).toBeLessThan(100);
    await runInDurableObject(stub, (sequencer) => {
      expect(sequencer.stats("24h")).toMatchObject({ totals: { attempts: 1 }, backlog: { pending: 2_000 } });
    });
  });

  it("finds on waking a delivery appended before where its open deliveries started when last noted", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      await deliverBatch(sequencer, webhookId, 1, 2);
      await deliverBatch(sequencer, webhookId, 5, 5);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // A fan-out that raced behind: event 4 arrives after event 5 was delivered.
    await runInDurableObject(stub, (sequencer) => sequencer.append(webhookId, ORG, [eventAt(4)], 0));
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (sequencer) => {
      expect(sequencer.openCount()).toBe(1);
      expect(sequencer.list({ status: "pending", limit: 10, offset: 0 }).deliveries.map((d) => d.eventId)).toEqual(["event-4"]);
    });
  });

  it("finds its last outcome without reading the backlog behind its head", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer, state) => {
      await deliverBatch(sequencer, webhookId, 1, 1);
      await sequencer.append(webhookId, ORG, Array.from({ length: 2_000 }, (_, i) => eventAt(i + 2)), 2_001);
      let last: DeliveryRecord | null = null;
      const { rowsRead } = await measure(state, async (fresh) => {
        last = fresh.lastOutcome();
      });
      expect(last).toMatchObject({ eventId: "event-1", status: "succeeded" });
      expect(rowsRead).toBeLessThan(20); // walking back from the end read the 2,000 waiting
    });
  });

  it("lists an event's deliveries without reading those of the events before it", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer, state) => {
      await deliverBatch(sequencer, webhookId, 1, 2_000);
      let listed: string[] = [];
      const { rowsRead } = await measure(state, async (fresh) => {
        listed = fresh.list({ event: { id: "event-1995", seq: 1_995 }, limit: 100, offset: 0 }).deliveries.map((delivery) => delivery.eventId);
      });
      expect(listed).toEqual(["event-1995"]);
      expect(rowsRead).toBeLessThan(30); // its count and its page each read all 2,000
    });
  });

  it("counts its deliveries and the bytes its database takes", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      const empty = sequencer.storageStats();
      await deliverBatch(sequencer, webhookId, 1, 300);
      const stats = sequencer.storageStats();
      expect(stats.rows).toBe(300);
      expect(stats.bytes).toBeGreaterThan(empty.bytes);
    });
  });
});

const answered404: AttemptResult = { ...answered200, statusCode: 404 };
/** Zero-padded, so the ids sort as the events were ingested, as real event ids do. */
const paddedEventAt = (seq: number) => ({ eventId: `event-${String(seq).padStart(5, "0")}`, eventType: "booking.created", seq });

/** Appends events 1..count and ends each delivery as `end(seq)` says, as the drain reports it. */
async function endEach(sequencer: WebhookSequencer, webhookId: string, count: number, end: (seq: number) => AttemptReportWithoutId) {
  const claim = (await sequencer.append(webhookId, ORG, Array.from({ length: count }, (_, i) => paddedEventAt(i + 1)), count, true))!;
  let step: NextStep = claim.first!;
  for (;;) {
    if (step.action === "deliver") step = await sequencer.next(claim.lease, { report: { deliveryId: step.delivery.id, ...end(step.delivery.seq) } });
    else if (step.action === "tell") step = await sequencer.next(claim.lease, { told: step.news }); // a failure's news, as if told
    else break;
  }
  expect(step.action).toBe("idle");
}

describe("listing", () => {
  it("lists and totals each status reading only what it must, not the month of deliveries that succeeded", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer, state) => {
      await endEach(sequencer, webhookId, 2_000, (seq) => (seq % 200 === 0 ? { outcome: "failed", attempt: answered404 } : { outcome: "succeeded", attempt: answered200 }));
      await sequencer.append(webhookId, ORG, [2_001, 2_002, 2_003].map(paddedEventAt), 2_003);
      const { sequencer: fresh, measured } = countedSequencer(state);
      fresh.list({ limit: 1, offset: 0 }); // a fresh object counts its table once
      const listed = [];
      for (const status of ["failed", "succeeded", "pending"] as const) {
        const { value: page, rowsRead } = await measured(() => fresh.list({ status, limit: 5, offset: 0 }));
        const stored = state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM deliveries WHERE status = ?", status).one().n;
        listed.push({ status, total: page.total, stored, shown: page.deliveries.every((delivery) => delivery.status === status) && page.deliveries.length, rowsRead });
      }
      expect(listed.map(({ status, total, stored, shown }) => ({ status, total, stored, shown }))).toEqual([
        { status: "failed", total: 10, stored: 10, shown: 5 },
        { status: "succeeded", total: 1_990, stored: 1_990, shown: 5 },
        { status: "pending", total: 3, stored: 3, shown: 3 },
      ]);
      // Each total was a count(*) of the 2,003 rows, and the failed page a walk back through the successes.
      for (const { rowsRead } of listed) expect(rowsRead).toBeLessThan(40);
    });
  });
});

describe("recovery", () => {
  it("sends again each failed or cancelled event, but not one cancelled past retention, which has nothing left to send", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      const endings: Record<number, AttemptReportWithoutId> = {
        1: { outcome: "failed", attempt: answered404 },
        2: { outcome: "cancelled", reason: CANCELLED_BECAUSE.webhookDisabled },
        3: { outcome: "cancelled", reason: CANCELLED_BECAUSE.eventGone },
        4: { outcome: "succeeded", attempt: answered200 },
      };
      await endEach(sequencer, webhookId, 4, (seq) => endings[seq]!);
      expect(await sequencer.recover(0, 4)).toEqual({ redelivered: 2, complete: true });
      const redeliveries = sequencer.list({ limit: 10, offset: 0 }).deliveries.filter((delivery) => delivery.origin === "redelivery");
      expect(redeliveries.map((delivery) => delivery.eventId).reverse()).toEqual(["event-00001", "event-00002"]);
    });
  });

  it("leaves out the event whose delivery is on the wire", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      const claim = (await sequencer.append(webhookId, ORG, [paddedEventAt(1), paddedEventAt(2)], 2, true))!;
      const tell = await sequencer.next(claim.lease, { report: { deliveryId: claim.first!.delivery.id, outcome: "failed", attempt: answered404 } });
      expect(tell.action).toBe("tell");
      const second = await sequencer.next(claim.lease, { told: (tell as Extract<NextStep, { action: "tell" }>).news });
      expect(second).toMatchObject({ action: "deliver", delivery: { eventId: "event-00002" } });
      expect(await sequencer.recover(0, 2)).toEqual({ redelivered: 1, complete: true });
    });
  });

  /** 10,001 events cancelled while the webhook was disabled, then event 10,002 appended after the caller read the log's seq. */
  async function disabledBacklog(sequencer: WebhookSequencer, webhookId: string) {
    await endEach(sequencer, webhookId, 10_001, () => ({ outcome: "cancelled", reason: CANCELLED_BECAUSE.webhookDisabled }));
    await sequencer.append(webhookId, ORG, [paddedEventAt(10_002)], 10_002);
  }

  const redeliveriesOf = (sequencer: WebhookSequencer) =>
    sequencer
      .list({ limit: 30_000, offset: 0 })
      .deliveries.filter((delivery) => delivery.origin === "redelivery")
      .reverse()
      .map((delivery) => ({ eventId: delivery.eventId, ...parseDeliveryId(delivery.id)! }));

  it("queues a long backlog 10,000 events a turn, the rest at its next alarm, each turn after what is queued by then", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer, state) => {
      await disabledBacklog(sequencer, webhookId);
      expect(await sequencer.recover(0, 10_001)).toEqual({ redelivered: 10_000, complete: false });
      await sequencer.append(webhookId, ORG, [paddedEventAt(10_003)], 10_003);
      // A second recovery would mix its events with this one's; asked for, the alarm comes at once.
      await state.storage.deleteAlarm();
      expect(await sequencer.recover(0, 10_003)).toBeNull();
      expect(await state.storage.getAlarm()).toBeLessThanOrEqual(Date.now());
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, async (sequencer) => {
      const redeliveries = redeliveriesOf(sequencer);
      expect(redeliveries.map((delivery) => delivery.eventId)).toEqual(Array.from({ length: 10_001 }, (_, i) => paddedEventAt(i + 1).eventId));
      // The first turn after event 10,002 (appended past the seq the caller read), the second after 10,003.
      expect(redeliveries.slice(0, 10_000).every((delivery) => delivery.seq === 10_002 && delivery.position > 1)).toBe(true);
      expect(redeliveries.at(-1)).toMatchObject({ seq: 10_003, position: 2 });
    });
  });

  it("looks at a turn's worth of deliveries at a time, however many come before the ones it wants", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer, state) => {
      // A month of deliveries that succeeded, then two that failed: only those are sent again.
      await endEach(sequencer, webhookId, 12_002, (seq) => (seq <= 12_000 ? { outcome: "succeeded", attempt: answered200 } : { outcome: "failed", attempt: answered404 }));
      const { sequencer: fresh, measured } = countedSequencer(state);
      const { value: recovered, rowsRead } = await measured(() => fresh.recover(0, 12_002));
      expect(recovered).toEqual({ redelivered: 0, complete: false });
      // Before, one statement walked all 12,000 that succeeded before it met the first one wanted.
      expect(rowsRead).toBeLessThanOrEqual(RECOVER_PER_TURN + 50);
      await fresh.alarm();
      expect(redeliveriesOf(fresh).map((delivery) => delivery.eventId)).toEqual([paddedEventAt(12_001).eventId, paddedEventAt(12_002).eventId]);
    });
  });

  it("stops a recovery that goes on when the webhook is disabled", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      await disabledBacklog(sequencer, webhookId);
      expect(await sequencer.recover(0, 10_001)).toEqual({ redelivered: 10_000, complete: false });
      sequencer.webhookChanged({ disabled: true });
    });
    await runDurableObjectAlarm(stub);
    await runInDurableObject(stub, async (sequencer) => {
      expect(redeliveriesOf(sequencer)).toHaveLength(10_000);
      expect(await sequencer.recover(0, 10_002)).not.toBeNull();
    });
  });
});

describe("redelivery", () => {
  const answered404: AttemptResult = { ...answered200, statusCode: 404 };
  const EVENT = "event-1";

  /** The keys of `eventId`'s deliveries that nothing superseded: each event has one, its last delivery. */
  const lastDeliveries = (state: DurableObjectState, eventId: string) =>
    state.storage.sql.exec<{ seq: number; position: number }>(`SELECT seq, position FROM deliveries WHERE event_id = ? AND superseded_seq IS NULL`, eventId).toArray();

  /** Events 1..count delivered, the first failed; returns event 1's delivery. */
  async function deliveredWithFirstFailed(sequencer: WebhookSequencer, webhookId: string, count: number) {
    const claim = (await sequencer.append(webhookId, ORG, Array.from({ length: count }, (_, i) => eventAt(i + 1)), count, true))!;
    let step: NextStep = claim.first!;
    for (;;) {
      if (step.action === "deliver") {
        const report = step.delivery.seq === 1 ? { outcome: "failed" as const, attempt: answered404 } : { outcome: "succeeded" as const, attempt: answered200 };
        step = await sequencer.next(claim.lease, { report: { deliveryId: step.delivery.id, ...report } });
      } else if (step.action === "tell") step = await sequencer.next(claim.lease, { told: step.news });
      else break;
    }
    return sequencer.list({ event: { id: EVENT, seq: 1 }, limit: 1, offset: 0 }).deliveries[0]!;
  }

  it("makes the new delivery its event's last, reached from an earlier delivery in a few key lookups however many the webhook keeps", async () => {
    const { webhookId, stub } = newWebhook();
    const original = await runInDurableObject(stub, async (sequencer) => {
      const original = await deliveredWithFirstFailed(sequencer, webhookId, 2_000);
      await sequencer.redeliver(original.id, 2_000);
      return original;
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true); // notes where the open deliveries start, as it would by now
    await evictDurableObject(stub);
    await runInDurableObject(stub, async (_sequencer, state) => {
      let again: DeliveryRecord | null = null;
      const ops = await metered(state, async (woken) => {
        again = await woken.redeliver(original.id, 2_000);
      });
      // Waking and following two links; a scan for the event's deliveries would read all 2,001.
      expect(ops.doRowsRead).toBeLessThan(50);
      const key = parseDeliveryId(again!.id)!;
      expect(lastDeliveries(state, EVENT)).toEqual([{ seq: key.seq, position: key.position }]);
    });
  });
});

/** Events 1..`older` delivered, then `older`+1..`older`+`newer`: returns a moment strictly between the two stretches. */
async function deliveredInTwoStretches(sequencer: WebhookSequencer, webhookId: string, older: number, newer: number): Promise<number> {
  await deliverBatch(sequencer, webhookId, 1, older);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const between = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 5));
  await deliverBatch(sequencer, webhookId, older + 1, older + newer);
  return between;
}

describe("retention", () => {
  it("purges final deliveries older than the retention period and keeps open ones, and the row naming the one on the wire", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      const claim = await sequencer.append(webhookId, ORG, [eventAt(1), eventAt(2), eventAt(3), eventAt(4)], 4, true);
      // 1 and 2 succeed, 3 is on the wire (its hand-out written on 2's row), 4 waits behind it.
      await drain(sequencer, claim!, 4, 3);
      expect(await sequencer.purgeExpired(Date.now() + RETENTION_MS - 60_000)).toBe(0);
      expect(await sequencer.purgeExpired(Date.now() + RETENTION_MS + 1)).toBe(1);
      const left = sequencer.list({ limit: 10, offset: 0 }).deliveries;
      expect(left.map((d) => [d.eventId, d.status])).toEqual([
        ["event-4", "pending"],
        ["event-3", "in_flight"],
        ["event-2", "succeeded"],
      ]);
    });
  });

  it("deletes at most 500 deliveries at a time, and comes back soon while more remain", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer, state) => {
      await deliverBatch(sequencer, webhookId, 1, 700);
      const later = Date.now() + RETENTION_MS + 1;
      expect(await sequencer.purgeExpired(later)).toBe(500);
      expect(await state.storage.getAlarm()).toBeLessThanOrEqual(Date.now() + 1_000);
      expect(await sequencer.purgeExpired(later)).toBe(200);
      expect(sequencer.storageStats().rows).toBe(0);
    });
  });

  it("sets the alarm for when the oldest delivery kept expires once the webhook is idle", async () => {
    const { webhookId, stub } = newWebhook();
    const oldest = await runInDurableObject(stub, async (sequencer) => {
      await deliverBatch(sequencer, webhookId, 1, 3);
      return Math.min(...sequencer.list({ limit: 10, offset: 0 }).deliveries.map((d) => d.updated));
    });
    // The lease's alarm rings, finds nothing to do, and leaves the next purge due.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_sequencer, state) => state.storage.getAlarm())).toBe(oldest + RETENTION_MS);
  });

  it("finds the expired deliveries without reading the ones kept after them", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer, state) => {
      const endedBefore = await deliveredInTwoStretches(sequencer, webhookId, 10, 1_990);
      let purged = 0;
      const { rowsRead } = await measure(state, async (fresh) => {
        purged = await fresh.purgeExpired(endedBefore + RETENTION_MS);
      });
      expect(purged).toBe(10);
      // Walking the whole table, as the purge and the next alarm's time each did, reads all 2,000.
      expect(rowsRead).toBeLessThan(100);
    });
  });

  it("counts its deliveries once, then answers the total without reading them, exact through appends, redeliveries and purges", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer, state) => {
      const endedBefore = await deliveredInTwoStretches(sequencer, webhookId, 10, 1_990);
      const { sequencer: fresh, measured } = countedSequencer(state);
      expect(fresh.list({ limit: 10, offset: 0 }).total).toBe(2_000);
      expect(await fresh.purgeExpired(endedBefore + RETENTION_MS)).toBe(10);
      await deliverBatch(fresh, webhookId, 2_001, 2_005);
      const [newest] = fresh.list({ limit: 1, offset: 0 }).deliveries;
      await fresh.redeliver(newest!.id, 2_005);
      const { value: total, rowsRead } = await measured(() => fresh.list({ limit: 10, offset: 0 }).total);
      expect(total).toBe(1_996);
      expect(total).toBe(state.storage.sql.exec("SELECT count(*) AS n FROM deliveries").one().n);
      // count(*) read all of them, on every page.
      expect(rowsRead).toBeLessThan(30);
    });
  });

  it("comes back to purge no sooner than an hour later when less than a chunk expired", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer, state) => {
      const endedBefore = await deliveredInTwoStretches(sequencer, webhookId, 2, 2);
      await state.storage.deleteAlarm();
      const now = endedBefore + RETENTION_MS;
      // A fresh object, which knows of no alarm: the next expiry is milliseconds away.
      expect(await new WebhookSequencer(state, env).purgeExpired(now)).toBe(2);
      expect(await state.storage.getAlarm()).toBe(now + 60 * 60 * 1000);
    });
  });

  it("keeps storage flat under a steady stream", async () => {
    const { webhookId, stub } = newWebhook();
    await runInDurableObject(stub, async (sequencer) => {
      // Each round delivers 200 events; a retention period is taken to span 3 rounds, so each
      // round's purge runs at the time when the deliveries of 3 rounds before expire.
      const roundsKept = 3;
      const settledBy: number[] = [];
      const sizes: { rows: number; bytes: number }[] = [];
      for (let round = 0; round < 12; round++) {
        await deliverBatch(sequencer, webhookId, round * 200 + 1, round * 200 + 200);
        settledBy.push(Date.now());
        const expired = settledBy[round - roundsKept];
        if (expired !== undefined) while ((await sequencer.purgeExpired(expired + RETENTION_MS + 1)) > 0);
        sizes.push(sequencer.storageStats());
      }
      const steady = sizes.slice(roundsKept);
      expect(new Set(steady.map((s) => s.rows))).toEqual(new Set([roundsKept * 200]));
      // Freed pages are reused; the b-tree's fill still varies by a page or so. Unpurged, it would grow fourfold.
      expect(Math.max(...steady.map((s) => s.bytes))).toBeLessThanOrEqual(steady[0]!.bytes * 1.2);
    });
  });
});
