// Auto-disable against a real receiver, with the production rule (20 failed deliveries in a row
// over 120 hours; the hours are reached by dating the run back in the sequencer's storage): a 410
// disables at once, waiting deliveries are cancelled, the organization hears webhook.disabled, and
// enabling again clears the reason, re-arms the count and delivers again (Recover sends what was cancelled).
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { call, webhooksPath } from "./helpers";
import { deliveriesOf, enabledWebhook, finalDeliveries, postEvent, producerTenant, received, receivedCount, receiverUrl, recoveryKept, recoveryUnderWay, waitFor, type Producer } from "./delivery-helpers";
import { sequencer } from "../../src/delivery/sequencer-client";
import type { WebhookSequencer } from "../../src/sequencer/webhook-sequencer";
import type { AttemptResult, NextStep } from "../../src/sequencer/records";

const bucket = () => crypto.randomUUID();

async function webhookOf(tenant: Producer, id: string) {
  return (await call("GET", webhooksPath(tenant.org, id), { auth: tenant.auth })).body;
}

async function disabled(tenant: Producer, id: string) {
  return waitFor(async () => {
    const webhook = await webhookOf(tenant, id);
    return !webhook.enabled && webhook;
  }, 20_000, "the webhook disabled");
}

/** An enabled webhook of the organization subscribed to the operational events, posting to `b`. */
function operationalWebhook(tenant: Producer, b: string, events: string[]) {
  return enabledWebhook(tenant, receiverUrl(b), { name: "ops", source: "operational", events });
}

describe.concurrent("auto-disable", () => {
  it("disables a webhook at once when its receiver answers 410 Gone, with the reason and time in the API", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket(), "410"));
    const before = Date.now();
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    const webhook = await disabled(tenant, hook.id);
    expect(webhook).toMatchObject({ enabled: false, disabledReason: "the receiver answered 410 Gone", updatedBy: "auto-disable" });
    expect(webhook.disabledAt).toBeGreaterThanOrEqual(before);
    expect(webhook.disabledAt).toBeLessThanOrEqual(Date.now());
  });

  it("stops a recovery that goes on when it disables the webhook", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket(), "410"));
    await recoveryUnderWay(hook.id);
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await disabled(tenant, hook.id);
    await waitFor(async () => !(await recoveryKept(hook.id)), 20_000, "the recovery stopped");
  });

  it("cancels the deliveries that were waiting behind the one that disabled it, sending none of them", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "410"));
    await postEvent(tenant, { events: [1, 2, 3].map((n) => ({ type: "booking.created", data: { n } })) });
    const deliveries = await finalDeliveries(tenant, hook.id, 3);
    expect(deliveries.map((d: any) => d.status)).toEqual(["cancelled", "cancelled", "failed"]);
    expect(deliveries[0].lastError).toBe("the webhook is disabled");
    expect(await received(b)).toHaveLength(1);
  });

  it("tells the organization's operational webhook webhook.disabled once, signed, naming the webhook, its URL and why", async () => {
    const tenant = await producerTenant();
    const ops = bucket();
    const opsHook = await operationalWebhook(tenant, ops, ["webhook.disabled"]);
    const gone = receiverUrl(bucket(), "410");
    const hook = await enabledWebhook(tenant, gone, { name: "Gone Hook" });
    await postEvent(tenant, { events: [1, 2].map((n) => ({ type: "booking.created", data: { n } })) });
    const webhook = await disabled(tenant, hook.id);
    const [request] = await receivedCount(ops, 1);
    const secret = (await call("GET", `${webhooksPath(tenant.org, opsHook.id)}/secret`, { auth: tenant.auth })).body.key;
    const event = new Webhook(secret).verify(request!.body, request!.headers) as any;
    expect(event).toMatchObject({
      type: "webhook.disabled",
      source: "operational",
      entity: null,
      data: { webhookId: hook.id, name: "Gone Hook", url: gone, reason: "the receiver answered 410 Gone", disabledAt: webhook.disabledAt, failedDeliveries: 1, lastStatusCode: 410 },
    });
    expect(event.data.failingSince).toBeLessThanOrEqual(webhook.disabledAt);
    await finalDeliveries(tenant, hook.id, 2);
    expect(await received(ops)).toHaveLength(1);
  });

  it("keeps a webhook enabled while its run of failures is younger than DISABLE_AFTER_FAILING_HOURS, however long", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket(), "404"));
    await postEvent(tenant, { events: Array.from({ length: 21 }, (_, n) => ({ type: "booking.created", data: { n } })) });
    const deliveries = await finalDeliveries(tenant, hook.id, 21);
    expect(deliveries.every((d: any) => d.status === "failed")).toBe(true);
    expect(await webhookOf(tenant, hook.id)).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
  });

  it("disables a webhook at the failure that makes its run both DISABLE_AFTER_FAILED_DELIVERIES long and DISABLE_AFTER_FAILING_HOURS old", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket(), "404"));
    await postEvent(tenant, { events: Array.from({ length: 18 }, (_, n) => ({ type: "booking.created", data: { n } })) });
    await finalDeliveries(tenant, hook.id, 18);
    // The run began 121 hours ago, as far as the sequencer knows.
    const since = Date.now() - 121 * 60 * 60 * 1000;
    await runInDurableObject(sequencer(env, hook.id), (_instance, state) => {
      state.storage.sql.exec(`UPDATE state SET value = json_set(value, '$.since', ?) WHERE key = 'failure_run'`, since);
    });
    await evictDurableObject(sequencer(env, hook.id));
    await postEvent(tenant, { type: "booking.created", data: { n: 18 } });
    await finalDeliveries(tenant, hook.id, 19);
    expect(await webhookOf(tenant, hook.id)).toMatchObject({ enabled: true });
    await postEvent(tenant, { type: "booking.created", data: { n: 19 } });
    const webhook = await disabled(tenant, hook.id);
    expect(webhook.disabledReason).toBe(`20 deliveries in a row ended failed since ${new Date(since).toISOString()}; the last answered 404`);
  });

  it("clears the reason when the webhook is enabled again, and delivers new events", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "410,200"));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await disabled(tenant, hook.id);
    const enabled = await call("POST", webhooksPath(tenant.org, hook.id), { auth: tenant.auth, body: { enabled: "true" } });
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
    await postEvent(tenant, { type: "booking.created", data: { n: 2 } });
    const requests = await receivedCount(b, 2);
    expect(requests.map((r) => [JSON.parse(r.body).data.n, r.answer])).toEqual([
      [1, "410"],
      [2, "200"],
    ]);
  });

  it("sends the failed delivery and the cancelled ones again, in order, with Recover once the webhook is enabled", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const since = Date.now();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "410,200"));
    await postEvent(tenant, { events: [1, 2, 3].map((n) => ({ type: "booking.created", data: { n } })) });
    expect((await finalDeliveries(tenant, hook.id, 3)).map((d: any) => d.status)).toEqual(["cancelled", "cancelled", "failed"]);
    await call("POST", webhooksPath(tenant.org, hook.id), { auth: tenant.auth, body: { enabled: true } });
    const recovered = await call("POST", `${webhooksPath(tenant.org, hook.id)}/recover`, { auth: tenant.auth, body: { since } });
    expect(recovered.body).toEqual({ redelivered: 3, complete: true });
    const requests = await receivedCount(b, 4);
    expect(requests.map((r) => [JSON.parse(r.body).data.n, r.answer])).toEqual([
      [1, "410"],
      [1, "200"],
      [2, "200"],
      [3, "200"],
    ]);
  });

  it("re-arms the count when the webhook is enabled again: the next 410 disables it again", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket(), "410"));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    const first = await disabled(tenant, hook.id);
    await call("POST", webhooksPath(tenant.org, hook.id), { auth: tenant.auth, body: { enabled: "true" } });
    await postEvent(tenant, { type: "booking.created", data: { n: 2 } });
    const second = await disabled(tenant, hook.id);
    expect(second.disabledAt).toBeGreaterThan(first.disabledAt);
    expect((await deliveriesOf(tenant, hook.id, "?status=failed")).totalRecords).toBe(2);
  });

  it("tells the organization webhook.enabled when a disabled webhook is enabled again, with who enabled it and why it had been disabled", async () => {
    const tenant = await producerTenant();
    const ops = bucket();
    await operationalWebhook(tenant, ops, ["webhook.enabled"]);
    const hook = await enabledWebhook(tenant, receiverUrl(bucket(), "410"));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    const webhook = await disabled(tenant, hook.id);
    await call("POST", webhooksPath(tenant.org, hook.id), { auth: tenant.auth, body: { enabled: true } });
    const [request] = await receivedCount(ops, 1);
    expect(JSON.parse(request!.body)).toMatchObject({
      type: "webhook.enabled",
      source: "operational",
      data: { webhookId: hook.id, enabledBy: "joe@example.com", disabledReason: "the receiver answered 410 Gone", disabledAt: webhook.disabledAt },
    });
  });
});

describe("the news a sequencer owes", () => {
  const gone: AttemptResult = { started: 0, durationMs: 1, statusCode: 410, errorKind: null, error: null, responseBody: null };

  it("is handed to its drain before anything else, again until the drain says it was told, and then makes the drain read the webhook again", async () => {
    const webhookId = crypto.randomUUID();
    await runInDurableObject(sequencer(env, webhookId), async (instance: WebhookSequencer) => {
      const items = [1, 2].map((seq) => ({ eventId: `event-${seq}`, eventType: "booking.created", seq }));
      const claim = (await instance.append(webhookId, "org-news-test", items, 2, true))!;
      const first = claim.first!;
      const tell = await instance.next(claim.lease, { report: { deliveryId: first.delivery.id, outcome: "failed", attempt: gone } });
      expect(tell).toMatchObject({
        action: "tell",
        news: { failed: [{ deliveryId: first.delivery.id, eventId: "event-1", attempts: 1, lastStatusCode: 410 }], disabling: { reason: "the receiver answered 410 Gone" } },
      });
      // A drain that died before telling: the next call is answered the same news.
      expect(await instance.next(claim.lease)).toEqual(tell);
      const told = await instance.next(claim.lease, { told: (tell as Extract<NextStep, { action: "tell" }>).news });
      expect(told).toMatchObject({ action: "deliver", delivery: { eventId: "event-2" }, webhookVersion: first.webhookVersion + 1 });
    });
  });
});
