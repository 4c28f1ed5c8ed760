// Usage notifications as a user runs them: wrangler dev, the seed's condition body sent as text,
// usage reported over HTTP by a producer, and the callback payloads at a real receiver.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { startDevServer, seedTenant, type DevServer } from "../support/dev-server";
import { startReceiver, type Receiver } from "../support/receiver";

let server: DevServer;
let receiver: Receiver;

beforeAll(async () => {
  [server, receiver] = await Promise.all([startDevServer({ vars: { RETRY_DELAY_SECONDS: "1" } }), startReceiver()]);
});

afterAll(async () => {
  await Promise.all([server?.stop(), receiver?.close()]);
});

async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out\n${server.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
    const requests = await until(() => receiver.received("usage").length >= 6 && receiver.received("usage"));
    const thresholds = requests.map((r) => Number(/crossed (\d+)%/.exec(JSON.parse(r.body).triggerReason)![1]));
    expect(thresholds).toEqual([80, 80, 90, 100, 110, 120]);
    const { key } = (await server.api("GET", `/v1/mint/organizations/${org}/webhooks/${hook.body.id}/secret`, { auth: adminKey })).body;
    for (const request of requests) {
      const payload = new Webhook(key).verify(request.body, request.headers) as Record<string, unknown>;
      expect(payload).toMatchObject({ orgName: org, developerEmail: "dev@example.com", ratePlanId: "123456", quotaPercentUsed: 130, companyName: null });
    }
  });
});
