// Operational events (source `operational`): a built-in catalog tenants subscribe to without
// registering it and cannot add to, delivered like any event to the organization's subscribed
// webhooks only, never to the webhook they are about, and never about an operational event's own
// delivery (two failing operational webhooks cannot feed each other).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { admin, call, createTenant, entitiesPath, eventTypesPath, expectError, reasonFor, webhooksPath } from "./helpers";
import { enabledWebhook, finalDeliveries, postEvent, producerTenant, received, receivedCount, receiverUrl, storedEvents } from "./delivery-helpers";
import { eventLog } from "../../src/ingest/event-log-client";

const bucket = () => crypto.randomUUID();

describe("the operational catalog", () => {
  it("lets a webhook subscribe to the operational event types without registering them", async () => {
    const tenant = await createTenant();
    const created = await call("POST", webhooksPath(tenant.org), {
      auth: tenant.auth,
      body: { name: "ops", postURL: "https://ops.example.com/hook", source: "operational", events: ["webhook.disabled", "delivery.failed", "webhook.enabled"] },
    });
    expect(created.status).toBe(201);
    const wildcard = await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body: { name: "ops 2", postURL: "https://ops.example.com/2", source: "operational", events: ["webhook.*"] } });
    expect(wildcard.status).toBe(201);
  });

  it("refuses an operational event type that is not built in, naming it", async () => {
    const tenant = await createTenant();
    const refused = await call("POST", webhooksPath(tenant.org), {
      auth: tenant.auth,
      body: { name: "ops", postURL: "https://ops.example.com/hook", source: "operational", events: ["webhook.disabled", "webhook.deleted"] },
    });
    expect(expectError(refused, 400, "invalid_request")).toEqual(["events.1"]);
    expect(reasonFor(refused, "events.1")).toBe("webhook.deleted is not an event type of operational in the catalog");
  });

  it("refuses operational as the source of an entity, an event type or a producer key: the source is the platform's", async () => {
    const tenant = await createTenant();
    const calls = [
      await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "operational", name: "Cool Account" } }),
      await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body: { source: "operational", name: "webhook.deleted" } }),
      await call("POST", `/v1/admin/organizations/${tenant.org}/keys`, { auth: admin, body: { email: "p@example.com", role: "producer", source: "operational" } }),
    ];
    for (const refused of calls) {
      expect(expectError(refused, 400, "invalid_request")).toEqual(["source"]);
      expect(reasonFor(refused, "source")).toMatch(/^operational is the platform's own source/);
    }
  });
});

describe.concurrent("operational events", () => {
  it("delivers delivery.failed to the organization's operational webhook, signed, with the delivery's ids, event type, attempts and last status", async () => {
    const tenant = await producerTenant();
    const ops = bucket();
    const opsHook = await enabledWebhook(tenant, receiverUrl(ops), { name: "ops", source: "operational", events: ["delivery.failed"] });
    const hook = await enabledWebhook(tenant, receiverUrl(bucket(), "404"));
    const posted = await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    const [delivery] = await finalDeliveries(tenant, hook.id, 1);
    const [request] = await receivedCount(ops, 1);
    const secret = (await call("GET", `${webhooksPath(tenant.org, opsHook.id)}/secret`, { auth: tenant.auth })).body.key;
    expect(new Webhook(secret).verify(request!.body, request!.headers)).toMatchObject({
      type: "delivery.failed",
      source: "operational",
      data: { webhookId: hook.id, deliveryId: delivery.id, eventId: posted.body.id, eventType: "booking.created", attempts: 1, lastStatusCode: 404, lastError: null },
    });
  });

  it("lists them among the organization's events, kind and source operational", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket(), "404"));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    const [delivery] = await finalDeliveries(tenant, hook.id, 1);
    const listed = await call("GET", `/v1/organizations/${tenant.org}/events?source=operational`, { auth: tenant.auth });
    expect(listed.body.events).toMatchObject([{ kind: "operational", source: "operational", type: "delivery.failed", data: { deliveryId: delivery.id }, webhookIds: [] }]);
  });

  it("stores no delivery.failed about the delivery of an operational event", async () => {
    const tenant = await producerTenant();
    const ops = bucket();
    const opsHook = await enabledWebhook(tenant, receiverUrl(ops, "404"), { name: "ops", source: "operational", events: ["*"] });
    const hook = await enabledWebhook(tenant, receiverUrl(bucket(), "404"));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await finalDeliveries(tenant, hook.id, 1);
    const [opsDelivery] = await finalDeliveries(tenant, opsHook.id, 1);
    expect(opsDelivery).toMatchObject({ eventType: "delivery.failed", status: "failed" });
    const operational = (await storedEvents(tenant.org)).filter((e) => e.source === "operational");
    expect(operational.map((e) => [e.type, JSON.parse(e.data).webhookId])).toEqual([["delivery.failed", hook.id]]);
  });

  it("never addresses one to the webhook it is about", async () => {
    const tenant = await producerTenant();
    const about = await enabledWebhook(tenant, receiverUrl(bucket()), { name: "ops", source: "operational", events: ["webhook.disabled"] });
    const other = await enabledWebhook(tenant, receiverUrl(bucket()), { name: "other ops", source: "operational", events: ["webhook.disabled"] });
    const stored = await eventLog(env, tenant.org).storeOperational(tenant.org, [
      { type: "webhook.disabled", about: about.id, key: `test:${crypto.randomUUID()}`, data: { webhookId: about.id } },
    ]);
    expect(stored).toEqual({ ok: true, value: { stored: 1 } });
    const [event] = (await storedEvents(tenant.org)).filter((e) => e.source === "operational");
    expect(event!.webhookIds).toEqual([other.id]);
  });

  it("goes to no webhook of another organization", async () => {
    const tenant = await producerTenant();
    const elsewhere = await producerTenant();
    const theirs = bucket();
    await enabledWebhook(elsewhere, receiverUrl(theirs), { name: "their ops", source: "operational", events: ["*"] });
    const ours = bucket();
    await enabledWebhook(tenant, receiverUrl(ours), { name: "ops", source: "operational", events: ["*"] });
    await enabledWebhook(tenant, receiverUrl(bucket(), "404"));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await receivedCount(ours, 1);
    expect(await received(theirs)).toEqual([]);
  });
});
