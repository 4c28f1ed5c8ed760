// At-least-once without double work: duplicate jobs, a consumer that throws mid-batch, a holder
// that dies mid-delivery, an evicted sequencer; and the production retry delay.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createMessageBatch, createExecutionContext, evictDurableObject, getQueueResult, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import worker from "../../src/index";
import type { Job } from "../../src/queue/jobs";
import { drain } from "../../src/delivery/drain";
import { sequencer } from "../../src/delivery/sequencer-client";
import { crashingMidDelivery, injectFault } from "../harness/faults";
import { seqOfEventId } from "../../src/ingest/event-ids";
import { eventLog } from "../../src/ingest/event-log-client";
import { call } from "./helpers";
import { deliveryDetail, enabledWebhook, finalDeliveries, postEvent, producerTenant, received, receivedCount, receiverUrl } from "./delivery-helpers";

const bucket = () => crypto.randomUUID();
const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

const seqOf = (eventId: string) => seqOfEventId(eventId)!;

/**
 * Puts a delivery in a webhook's sequencer as if the fan-out had, its lease `lease` handed to a drain
 * job that was not sent; `inFlight`: the delivery went out under that lease a lease term before `leaseUntil`.
 */
async function heldDelivery(webhookId: string, orgId: string, eventId: string, seq: number, lease: string, { inFlight = false, leaseUntil = Date.now() + 60_000 } = {}) {
  await runInDurableObject(sequencer(env, webhookId), async (_instance, state) => {
    const handedOut = leaseUntil - 60_000;
    state.storage.sql.exec(
      `INSERT INTO deliveries (seq, position, nonce, event_id, event_type, origin, status, lease, created, updated) VALUES (?, 1, 0, ?, 'booking.created', 'event', ?, ?, ?, ?)`,
      seq, eventId, inFlight ? "in_flight" : "pending", inFlight ? lease : null, handedOut, handedOut,
    );
    for (const [key, value] of Object.entries({ webhook_id: webhookId, org_id: orgId, lease: JSON.stringify({ token: lease, until: leaseUntil }) })) {
      state.storage.sql.exec(`INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)`, key, value);
    }
    await state.storage.setAlarm(leaseUntil);
  });
  // The object keeps its FIFO's head and lease in memory: a fresh instance reads what was written behind its back.
  await evictDurableObject(sequencer(env, webhookId));
}

/** The delivery succeeded on its second attempt, the first logged as interrupted. */
async function expectSentAgainAfterInterruption(tenant: Awaited<ReturnType<typeof producerTenant>>, webhookId: string, deliveryId: string) {
  const detail = await deliveryDetail(tenant, webhookId, deliveryId);
  expect(detail).toMatchObject({ status: "succeeded", attempts: 2 });
  expect(detail.attemptLog.map((a: any) => a.outcome)).toEqual(["retry", "succeeded"]);
  expect(detail.attemptLog[0].error).toMatch(/interrupted/);
}

/** Whether the webhook's sequencer has a lease out (the object keeps it in memory while a holder works). */
async function leaseHeld(webhookId: string): Promise<boolean> {
  return runInDurableObject(sequencer(env, webhookId), (instance) => (instance as unknown as { lease: unknown }).lease !== null);
}

/** An event in the log, for a test that drives the pipeline by hand; addressed to `webhookIds`, it waits for its fan-out (with none, it is fanned out as it is stored). */
async function storedEvent(orgId: string, webhookIds: string[] = []) {
  const stored = await eventLog(env, orgId).storeAddressed(orgId, [{ kind: "test", source: "wink", type: "booking.created", data: '{"n":1}', webhookIds }]);
  if (!stored.ok) throw new Error(stored.refusal.message);
  const [item] = stored.value;
  return { id: item!.eventId, seq: item!.seq };
}

describe.concurrent("faults", () => {
  it("delivers once when the same fan-out job arrives three times", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const posted = await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    const job: Job = { kind: "fanout", orgId: tenant.org, seqs: [await seqOf(posted.body.id)] };
    await Promise.all([env.JOBS.send(job), env.JOBS.send(job), env.JOBS.send(job)]);
    await receivedCount(b, 1);
    await settle();
    expect(await received(b)).toHaveLength(1);
    expect((await finalDeliveries(tenant, hook.id, 1)).length).toBe(1);
  });

  it("sends a delivery once when two copies of its drain job arrive together", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "slow:300"));
    const event = await storedEvent(tenant.org);
    await heldDelivery(hook.id, tenant.org, event.id, event.seq, "lease-1");
    const job: Job = { kind: "drain", webhookId: hook.id, orgId: tenant.org, lease: "lease-1" };
    await Promise.all([env.JOBS.send(job), env.JOBS.send(job)]);
    await receivedCount(b, 1);
    await settle();
    expect(await received(b)).toHaveLength(1);
    const [delivery] = await finalDeliveries(tenant, hook.id, 1);
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("leaves the lease's alarm set when a webhook goes idle, and the alarm then does nothing", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await finalDeliveries(tenant, hook.id, 1);
    expect(await leaseHeld(hook.id)).toBe(false);
    expect(await runInDurableObject(sequencer(env, hook.id), (_instance, state) => state.storage.getAlarm())).not.toBeNull();
    expect(await runDurableObjectAlarm(sequencer(env, hook.id))).toBe(true);
    await settle();
    expect(await received(b)).toHaveLength(1);
    expect(await leaseHeld(hook.id)).toBe(false);
  });

  it("acks the good jobs of a batch and retries only the one that threw", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const event = await storedEvent(tenant.org);
    await heldDelivery(hook.id, tenant.org, event.id, event.seq, "lease-2");
    const batch = createMessageBatch<Job>("edge-webhooks-jobs", [
      { id: "good", timestamp: new Date(), attempts: 1, body: { kind: "drain", webhookId: hook.id, orgId: tenant.org, lease: "lease-2" } },
      // A fan-out job whose seqs are not a list: the handler throws.
      { id: "bad", timestamp: new Date(), attempts: 1, body: { kind: "fanout", orgId: tenant.org, seqs: "1" as unknown as number[] } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["good"]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["bad"]);
    expect(await received(b)).toHaveLength(1);
  });

  it("delivers an event whose fan-out claimed the lease just before the sequencer was evicted", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const event = await storedEvent(tenant.org);
    // Claimed without a watermark, so nothing is handed out with the append.
    const claim = await runInDurableObject(sequencer(env, hook.id), (instance) =>
      instance.append(hook.id, tenant.org, [{ eventId: event.id, eventType: "booking.created", seq: event.seq }], undefined, true),
    );
    await evictDurableObject(sequencer(env, hook.id));
    // The fan-out's drain finds its token gone with the object; the lease's alarm hands the head on.
    expect(await sequencer(env, hook.id).next(claim!.lease, { watermark: event.seq })).toEqual({ action: "stale" });
    expect(await runDurableObjectAlarm(sequencer(env, hook.id))).toBe(true);
    await receivedCount(b, 1);
    const [delivery] = await finalDeliveries(tenant, hook.id, 1);
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("sends again, counting the lost attempt, a delivery whose worker died mid-attempt", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const event = await storedEvent(tenant.org);
    // In flight under a lease that ran out: its holder is gone.
    await heldDelivery(hook.id, tenant.org, event.id, event.seq, "dead-holder", { inFlight: true, leaseUntil: Date.now() - 1 });
    expect(await runDurableObjectAlarm(sequencer(env, hook.id))).toBe(true);
    await receivedCount(b, 1);
    const [delivery] = await finalDeliveries(tenant, hook.id, 1);
    await expectSentAgainAfterInterruption(tenant, hook.id, delivery.id);
  });

  it("sends again, counting the lost attempt, a delivery handed out beside its predecessor's outcome whose worker died", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const first = await storedEvent(tenant.org);
    const second = await storedEvent(tenant.org);
    // The second went out in the call that recorded the first's outcome, under a lease that ran out.
    await heldDelivery(hook.id, tenant.org, second.id, second.seq, "dead-holder", { leaseUntil: Date.now() - 1 });
    await runInDurableObject(sequencer(env, hook.id), (_instance, state) => {
      const handedNext = JSON.stringify({ seq: second.seq, position: 1, attempt: 1, lease: "dead-holder" });
      state.storage.sql.exec(
        `INSERT INTO deliveries (seq, position, nonce, event_id, event_type, origin, status, attempts, created, updated, handed_next)
         VALUES (?, 1, 0, ?, 'booking.created', 'event', 'succeeded', 1, ?, ?, ?)`,
        first.seq, first.id, Date.now() - 61_000, Date.now() - 61_000, handedNext,
      );
    });
    await evictDurableObject(sequencer(env, hook.id));
    expect(await runDurableObjectAlarm(sequencer(env, hook.id))).toBe(true);
    await receivedCount(b, 1);
    const deliveries = await finalDeliveries(tenant, hook.id, 2);
    await expectSentAgainAfterInterruption(tenant, hook.id, deliveries.find((d: any) => d.eventId === second.id).id);
  });

  it("hands out again, before sending, a claimed delivery that waited past half its lease: sent once", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const event = await storedEvent(tenant.org);
    const claim = await runInDurableObject(sequencer(env, hook.id), (instance) =>
      instance.append(hook.id, tenant.org, [{ eventId: event.id, eventType: "booking.created", seq: event.seq }], event.seq, true),
    );
    const first = claim!.first!;
    // It waited its turn among a fan-out's drains until its lease ran out: the lease's alarm handed
    // the delivery to a fresh drain, which sends it (counting the wait as an interrupted attempt).
    await runInDurableObject(sequencer(env, hook.id), (instance) => {
      (instance as unknown as { leaseKeeper: { current: { until: number } } }).leaseKeeper.current.until = Date.now() - 1;
    });
    expect(await runDurableObjectAlarm(sequencer(env, hook.id))).toBe(true);
    await receivedCount(b, 1);
    // The first holder, its turn come at last, asks before sending and is told it is stale.
    await drain(env, { kind: "drain", webhookId: hook.id, orgId: tenant.org, lease: claim!.lease, first: { ...first, handedOutAt: Date.now() - 60_000 } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await received(b)).toHaveLength(1);
  });

  it("finishes a delivery once when its sequencer is evicted while the attempt is on the wire", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "slow:800"));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await postEvent(tenant, { type: "booking.created", data: { n: 2 } });
    await receivedCount(b, 1);
    await evictDurableObject(sequencer(env, hook.id));
    const deliveries = await finalDeliveries(tenant, hook.id, 2);
    expect(deliveries.map((d: any) => [d.status, d.attempts])).toEqual([
      ["succeeded", 1],
      ["succeeded", 1],
    ]);
    expect((await received(b)).map((r) => JSON.parse(r.body).data.n)).toEqual([1, 2]);
  });

  it("re-enqueues a retry with the production delay of 300 seconds", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "500"));
    const event = await storedEvent(tenant.org);
    await heldDelivery(hook.id, tenant.org, event.id, event.seq, "lease-3");
    const sent: { body: Job; delaySeconds?: number }[] = [];
    const production = {
      ...env,
      RETRY_DELAY_SECONDS: "300",
      JOBS: { send: async (body: Job, options?: { delaySeconds?: number }) => void sent.push({ body, ...options }) } as unknown as Queue<Job>,
    };
    await drain(production, { kind: "drain", webhookId: hook.id, orgId: tenant.org, lease: "lease-3" });
    expect(sent).toEqual([{ body: { kind: "drain", webhookId: hook.id, orgId: tenant.org, lease: expect.any(String) }, delaySeconds: 300 }]);
    const list = await call("GET", `/v1/mint/organizations/${tenant.org}/webhooks/${hook.id}/deliveries`, { auth: tenant.auth });
    const [delivery] = list.body.deliveries;
    expect(delivery.status).toBe("retrying");
    expect(delivery.nextAttemptAt - Date.now()).toBeGreaterThan(295_000);
  });

  it("drops no event when its fan-out job dies: the log keeps it waiting, shows the failure and re-drives it", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const event = await storedEvent(tenant.org, [hook.id]);
    const batch = createMessageBatch<Job>("edge-webhooks-dead", [
      { id: `dead-${event.seq}`, timestamp: new Date(), attempts: 6, body: { kind: "fanout", orgId: tenant.org, seqs: [event.seq] } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([`dead-${event.seq}`]);
    const status = await call("GET", `/v1/admin/organizations/${tenant.org}/event-log`, { auth: { bearer: "test-admin-token" } });
    expect(status.body).toMatchObject({ behind: 1, oldestWaiting: { seq: event.seq, eventId: event.id }, lastFanoutError: { message: expect.stringMatching(/failed 6 times/) } });
    const redriven = await call("POST", `/v1/admin/organizations/${tenant.org}/event-log/redrive`, { auth: { bearer: "test-admin-token" } });
    expect(redriven).toMatchObject({ status: 202, body: { redriven: 1 } });
    await expect.poll(async () => (await eventLog(env, tenant.org).status()).behind, { timeout: 10_000 }).toBe(0);
    await receivedCount(b, 1);
  });
});

describe("an event log reset after storing, before answering", () => {
  it("stores and delivers once the batch its producer posts again", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const events = [1, 2, 3].map((n) => ({ type: "booking.created", data: n, id: `reset-${n}` }));
    // What the log stored before it was reset: the producer never got the answer.
    const first = await eventLog(env, tenant.org).ingest({
      orgId: tenant.org,
      keyId: tenant.producerKey.split("_")[1]!,
      source: "wink",
      batch: true,
      events: events.map((e) => ({ type: e.type, entity: null, data: JSON.stringify({ n: e.data }), producerId: e.id })),
    });
    if (!first.ok) throw new Error(first.refusal.message);
    await evictDurableObject(eventLog(env, tenant.org));
    const again = await postEvent(tenant, { events: events.map((e) => ({ type: e.type, data: { n: e.data }, id: e.id })) });
    expect(again.body.events).toEqual(first.value.events.map(({ id }) => ({ id, duplicate: true })));
    // Nobody fanned the first call out: the restarted log re-drives it.
    await receivedCount(b, 3, 20_000);
    await settle();
    expect((await received(b)).map((r) => JSON.parse(r.body).data.n)).toEqual([1, 2, 3]);
    expect(await finalDeliveries(tenant, hook.id, 3)).toHaveLength(3);
  });
});

describe("a fan-out that keeps failing", () => {
  it("is retried with growing delays, its event kept waiting and shown, and delivered once a run succeeds", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const stored = await eventLog(env, tenant.org).storeAddressed(tenant.org, [{ kind: "test", source: "wink", type: "booking.created", data: '{"n":1}', webhookIds: [hook.id] }]);
    if (!stored.ok) throw new Error(stored.refusal.message);
    const [event] = stored.value;
    // Sequencers that cannot be reached: every fan-out of the event fails.
    const unreachable = { ...env, SEQUENCER: { ...env.SEQUENCER, idFromName: (name: string) => env.SEQUENCER.idFromName(name), get: () => { throw new Error("sequencer unreachable"); } } } as unknown as typeof env;
    // A batch that records what the consumer does with its message: the test plugin's batches do not keep a retry's delay.
    const run = async (attempts: number, bindings: typeof env) => {
      const outcome: { acked: boolean; retryDelay?: number } = { acked: false };
      const message = {
        id: `f${attempts}`,
        timestamp: new Date(),
        attempts,
        body: { kind: "fanout", orgId: tenant.org, seqs: [event!.seq] } satisfies Job,
        ack: () => void (outcome.acked = true),
        retry: (options?: { delaySeconds?: number }) => void (outcome.retryDelay = options?.delaySeconds),
      };
      await worker.queue({ queue: "edge-webhooks-jobs", messages: [message], ackAll() {}, retryAll() {} } as unknown as MessageBatch<Job>, bindings);
      return outcome;
    };
    const delays: (number | undefined)[] = [];
    for (let attempts = 1; attempts <= 10; attempts++) {
      const outcome = await run(attempts, unreachable);
      expect(outcome.acked).toBe(false);
      delays.push(outcome.retryDelay);
    }
    expect(delays).toEqual([10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]);
    expect(await eventLog(env, tenant.org).status()).toMatchObject({ behind: 1, lastFanoutError: { message: expect.stringMatching(/sequencer unreachable/) } });
    expect(await run(11, env)).toEqual({ acked: true });
    const [request] = await receivedCount(b, 1);
    expect(request!.headers["webhook-id"]).toBe(event!.eventId);
  });
});

describe("fault injection (the chaos suite's harness, test/harness/)", () => {
  it("injects nothing unless CHAOS_FAULTS names the fault, and wrangler.toml never sets it", () => {
    expect("CHAOS_FAULTS" in env).toBe(false);
    for (const spec of [undefined, "", "evict-sequencer:1", "duplicate-job:0"]) expect(injectFault(spec, "duplicate-job")).toBe(false);
    expect(injectFault("evict-sequencer:0.5,duplicate-job:1", "duplicate-job")).toBe(true);
  });

  it("crash-mid-delivery: the attempt goes out, its outcome is never recorded and the drain dies", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const event = await storedEvent(tenant.org);
    await heldDelivery(hook.id, tenant.org, event.id, event.seq, "lease-crash");
    const crashing = crashingMidDelivery(env, "crash-mid-delivery:1");
    await expect(drain(crashing, { kind: "drain", webhookId: hook.id, orgId: tenant.org, lease: "lease-crash" })).rejects.toThrow(/crashed before recording its attempt/);
    expect(await received(b)).toHaveLength(1);
    const list = await call("GET", `/v1/mint/organizations/${tenant.org}/webhooks/${hook.id}/deliveries`, { auth: tenant.auth });
    expect(list.body.deliveries).toMatchObject([{ status: "in_flight", attempts: 0 }]);
  });
});
