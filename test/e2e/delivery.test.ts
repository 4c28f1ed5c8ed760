// The whole platform as a user runs it: wrangler dev with RETRY_DELAY_SECONDS=1, events and usage
// reports posted over HTTP, a real receiver, and the API's account of every attempt.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { startDevServer, seedTenant, type DevServer, until } from "../support/dev-server";
import { startReceiver, type Receiver } from "../support/receiver";

let server: DevServer;
let receiver: Receiver;

beforeAll(async () => {
  [server, receiver] = await Promise.all([startDevServer({ vars: { RETRY_DELAY_SECONDS: "1" } }), startReceiver()]);
});

afterAll(async () => {
  await Promise.all([server?.stop(), receiver?.close()]);
});

describe("wrangler dev, end to end", () => {
  it("delivers posted events in order, retries a 503, and shows every attempt", async () => {
    const { org, adminKey, producerKey } = await seedTenant(server, "e2e");
    const created = await server.api("POST", `/v1/mint/organizations/${org}/webhooks`, {
      auth: adminKey,
      body: { name: "Wink Stalker", postURL: receiver.url("e2e", "503,200"), source: "wink", entity: "Cool Account", events: ["booking.created"] },
    });
    expect(created.status).toBe(201);
    expect(created.body.enabled).toBe(false);
    const id = created.body.id;
    expect((await server.api("POST", `/v1/mint/organizations/${org}/webhooks/${id}`, { auth: adminKey, body: { enabled: "true" } })).body.enabled).toBe(true);

    for (const n of [1, 2, 3]) {
      const posted = await server.api("POST", `/v1/organizations/${org}/events`, {
        auth: producerKey,
        body: { type: "booking.created", entity: "Cool Account", data: { n }, id: `booking-${n}` },
      });
      expect(posted.status).toBe(202);
    }
    const requests = await until(server, () => receiver.received("e2e").length >= 4 && receiver.received("e2e"));
    expect(requests.map((r) => JSON.parse(r.body).data.n)).toEqual([1, 1, 2, 3]);
    expect(requests[1]!.receivedAt - requests[0]!.receivedAt).toBeGreaterThanOrEqual(1000);
    const { key } = (await server.api("GET", `/v1/mint/organizations/${org}/webhooks/${id}/secret`, { auth: adminKey })).body;
    for (const request of requests) expect(() => new Webhook(key).verify(request.body, request.headers)).not.toThrow();

    const deliveries = await until(server, async () => {
      const list = await server.api("GET", `/v1/mint/organizations/${org}/webhooks/${id}/deliveries`, { auth: adminKey });
      return list.body.deliveries.length === 3 && list.body.deliveries.every((d: any) => d.status === "succeeded") && list.body.deliveries;
    });
    const first = deliveries.find((d: any) => d.attempts === 2);
    const detail = await server.api("GET", `/v1/mint/organizations/${org}/webhooks/${id}/deliveries/${first.id}`, { auth: adminKey });
    expect(detail.body.attemptLog.map((a: any) => [a.statusCode, a.outcome])).toEqual([
      [503, "retry"],
      [200, "succeeded"],
    ]);
  });

  it("fans one event out to 1,000 matching webhooks, every one of which receives it", async () => {
    const { org, adminKey, producerKey } = await seedTenant(server, "fanout");
    const webhookIds: string[] = [];
    const create = async (i: number) => {
      const created = await server.api("POST", `/v1/mint/organizations/${org}/webhooks`, {
        auth: adminKey,
        body: { name: `hook ${i}`, postURL: receiver.url(`fanout-${i}`), enabled: true, source: "wink", entity: "Cool Account", events: ["booking.*"] },
      });
      expect(created.status).toBe(201);
      webhookIds[i] = created.body.id;
    };
    for (let i = 0; i < 1000; i += 25) await Promise.all(Array.from({ length: 25 }, (_, j) => create(i + j)));

    const posted = await server.api("POST", `/v1/organizations/${org}/events`, { auth: producerKey, body: { type: "booking.created", entity: "Cool Account", data: {} } });
    expect(posted.status).toBe(202);
    // The receivers first (a local check); the API's list of the event's deliveries asks all 1,000
    // sequencers, so it is read only once they all have it, and then once a second.
    await until(server, () => webhookIds.every((_, i) => receiver.received(`fanout-${i}`).length > 0), 90_000);
    const deliveries = await until(server, async () => {
      const list = await server.api("GET", `/v1/organizations/${org}/events/${posted.body.id}/deliveries?limit=1000`, { auth: adminKey });
      if (list.body.deliveries.length === 1000 && list.body.deliveries.every((d: any) => d.status === "succeeded")) return list.body.deliveries;
      await new Promise((r) => setTimeout(r, 1000));
      return undefined;
    }, 20_000);
    // Every webhook got the event. A local workerd runs all 1,000 sequencers on one thread, so an
    // attempt can time out before its request leaves; the receiver then sees it again on the retry,
    // and never more often than the attempts on record.
    for (const [i, id] of webhookIds.entries()) {
      const delivery = deliveries.find((d: any) => d.webhookId === id);
      const seen = receiver.received(`fanout-${i}`).length;
      expect(seen, `webhook ${i}`).toBeGreaterThanOrEqual(1);
      expect(seen, `webhook ${i}`).toBeLessThanOrEqual(delivery.attempts);
    }
    // Most of the time goes to creating the 1,000 webhooks through the API, one D1 write and
    // announcement each; on 2 busy cores that alone has come near the default 120 s.
  }, 240_000);
});

const usage = (transactions: number) => ({
  developer: { email: "dev@example.com", firstName: "Ada", lastName: "Lovelace" },
  application: { name: "weather-app" },
  package: { id: "weather-package", name: "Weather API" },
  products: ["weather-forecast"],
  ratePlan: {
    id: "123456",
    name: "Adjustable notification plan",
    type: "STANDARD",
    published: true,
    startDate: Date.UTC(2025, 11, 1),
    nextBillingCycleStartDate: Date.UTC(2026, 0, 1),
  },
  quotaTarget: 1000,
  transactions,
});

describe("wrangler dev: usage notifications", () => {
  it("notifies the seed's condition's webhook at 80, 90, 100, 110, 120 % when usage jumps from 70 % to 130 %", async () => {
    const { org, adminKey, producerKey } = await seedTenant(server, "mint-e2e");
    const hook = await server.api("POST", `/v1/mint/organizations/${org}/webhooks`, {
      auth: adminKey,
      body: { name: "usage alerts", postURL: receiver.url("usage", "503,200") },
    });
    await server.api("POST", `/v1/mint/organizations/${org}/webhooks/${hook.body.id}`, { auth: adminKey, body: { enabled: "true" } });
    // The seed's example, with its stray "}" and trailing comma removed.
    const condition = await fetch(`${server.url}/v1/mint/organizations/${org}/notification-conditions`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa(`joe@example.com:${adminKey}`)}`, "content-type": "application/json" },
      body: `{ "notificationCondition": [ { "attribute": "RATEPLAN", "value": "123456" }, { "attribute": "PUBLISHED", "value": "TRUE" }, { "attribute": "UsageTarget", "value": "%= 80 to 120 by 10" } ], "actions": [{ "actionAttribute": "WEBHOOK", "value": "${hook.body.id}" }] }`,
    });
    expect(condition.status).toBe(201);
    expect(((await condition.json()) as { thresholds: number[] }).thresholds).toEqual([80, 90, 100, 110, 120]);

    expect((await server.api("POST", `/v1/organizations/${org}/usage`, { auth: producerKey, body: usage(700) })).body.fired).toEqual([]);
    const jump = await server.api("POST", `/v1/organizations/${org}/usage`, { auth: producerKey, body: usage(1300) });
    expect(jump.status).toBe(200);
    expect(jump.body.fired.map((f: any) => [f.threshold, f.status])).toEqual([80, 90, 100, 110, 120].map((t) => [t, "queued"]));

    // The first answer is a 503: it is retried before the next notification is sent.
    const requests = await until(server, () => receiver.received("usage").length >= 6 && receiver.received("usage"));
    const thresholds = requests.map((r) => Number(/crossed (\d+)%/.exec(JSON.parse(r.body).triggerReason)![1]));
    expect(thresholds).toEqual([80, 80, 90, 100, 110, 120]);
    const { key } = (await server.api("GET", `/v1/mint/organizations/${org}/webhooks/${hook.body.id}/secret`, { auth: adminKey })).body;
    for (const request of requests) {
      const payload = new Webhook(key).verify(request.body, request.headers) as Record<string, unknown>;
      expect(payload).toMatchObject({ orgName: org, developerEmail: "dev@example.com", ratePlanId: "123456", quotaPercentUsed: 130, companyName: null });
    }
  });
});
