// Usage notifications end to end in workerd: a usage report crosses thresholds, the real pipeline
// (the organization's event log, the sequencer, the drain) delivers the seed's callback payload
// to a real HTTP receiver, signed, in order, retried, and logged like any delivery.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { UsageReport } from "../../src/api/usage-schemas";
import { USAGE_NOTIFICATION_TYPE } from "../../src/notifications/usage";
import { eventLog } from "../../src/ingest/event-log-client";
import { call, createTenant, webhooksPath, type Tenant } from "./helpers";
import { deliveriesOf, deliveryDetail, enabledWebhook, finalDeliveries, receivedCount, receiverUrl, waitFor } from "./delivery-helpers";
import { conditionBody, createCondition, expectedPayload, report, usageReport } from "./notification-helpers";

const bucket = () => crypto.randomUUID();

/** A tenant whose enabled webhook posts to a fresh receiver bucket, and a condition naming it. */
async function setUp(usageTarget: string, script?: string) {
  const tenant = await createTenant();
  const b = bucket();
  const hook = await enabledWebhook(tenant, receiverUrl(b, script));
  const condition = await createCondition(tenant, conditionBody("plan-1", usageTarget, [hook.id]));
  return { tenant, bucket: b, hook, conditionId: condition.id };
}

const thresholdOf = (body: string) => Number(/crossed ([\d.]+)%/.exec(JSON.parse(body).triggerReason)![1]);

async function secretOf(tenant: Tenant, webhookId: string): Promise<string> {
  return (await call("GET", `${webhooksPath(tenant.org, webhookId)}/secret`, { auth: tenant.auth })).body.key;
}

describe.concurrent("usage notifications through the delivery pipeline", () => {
  it("delivers the seed's callback payload, every field with the report's values, signed the Standard Webhooks way", async () => {
    const { tenant, bucket: b, hook } = await setUp("%= 80 to 120 by 10");
    const before = Date.now();
    const answer = await report(tenant, usageReport("plan-1", { transactions: 853 }));
    const [request] = await receivedCount(b, 1);

    expect(request!.headers["content-type"]).toMatch(/^application\/json/);
    const payload = JSON.parse(request!.body);
    const expected = expectedPayload(tenant.org, "plan-1", {
      quotaPercentUsed: 85.3,
      triggerTime: answer.body.fired[0].payload.triggerTime,
      triggerReason: 'Usage crossed 80% of the transaction target (853 of 1000 transactions, 85.3%); UsageTarget "%= 80 to 120 by 10"',
    });
    // Exactly the seed's fields, in its order, with the report's values.
    expect(Object.keys(payload)).toEqual(Object.keys(expected));
    expect(payload).toEqual(expected);
    // Numbers, not strings; the trigger time is epoch ms of this report.
    expect(typeof payload.quotaPercentUsed).toBe("number");
    expect(typeof payload.developerRatePlanQuotaTarget).toBe("number");
    expect(Number.isInteger(payload.triggerTime)).toBe(true);
    expect(payload.triggerTime).toBeGreaterThanOrEqual(before);
    expect(payload.triggerTime).toBeLessThanOrEqual(Date.now());

    expect(request!.headers["webhook-id"]).toBe(answer.body.fired[0].eventId);
    const verified = new Webhook(await secretOf(tenant, hook.id)).verify(request!.body, request!.headers);
    expect(verified).toEqual(payload);
  });

  it("delivers one jump from 70 % to 130 % as 80, 90, 100, 110, 120, once each, in that order, and logs each delivery", async () => {
    const { tenant, bucket: b, hook } = await setUp("%= 80 to 120 by 10");
    expect((await report(tenant, usageReport("plan-1", { transactions: 700 }))).fired).toEqual([]);
    const jump = await report(tenant, usageReport("plan-1", { transactions: 1300 }));
    expect((await report(tenant, usageReport("plan-1", { transactions: 1300 }))).fired).toEqual([]);

    const requests = await receivedCount(b, 5);
    expect(requests.map((r) => thresholdOf(r.body))).toEqual([80, 90, 100, 110, 120]);
    expect(requests.map((r) => JSON.parse(r.body).quotaPercentUsed)).toEqual([130, 130, 130, 130, 130]);
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(5);

    const deliveries = await finalDeliveries(tenant, hook.id, 5);
    expect(deliveries).toHaveLength(5);
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ status: "succeeded", attempts: 1, eventType: USAGE_NOTIFICATION_TYPE, lastStatusCode: 200 });
    }
    expect(new Set(deliveries.map((d: any) => d.eventId))).toEqual(new Set(jump.body.fired.map((f: any) => f.eventId)));
  });

  it("delivers each threshold once when reports arrive concurrently", async () => {
    const { tenant, bucket: b, hook } = await setUp("%= 10 to 100 by 10");
    await Promise.all(Array.from({ length: 10 }, () => report(tenant, usageReport("plan-1", { increment: 100 }))));
    const requests = await receivedCount(b, 10);
    await waitFor(async () => (await eventLog(env, tenant.org).status()).behind === 0);
    const deliveries = await finalDeliveries(tenant, hook.id, 10);
    expect(deliveries).toHaveLength(10);
    expect(requests.map((r) => thresholdOf(r.body)).sort((x, y) => x - y)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  });

  it("retries a notification the receiver answers 503, with the same id and body, as any delivery", async () => {
    const { tenant, bucket: b, hook } = await setUp("%= 50", "503,200");
    await report(tenant, usageReport("plan-1", { transactions: 600 }));
    const [first, second] = await receivedCount(b, 2);
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(second!.body).toBe(first!.body);
    expect([first!.answer, second!.answer]).toEqual(["503", "200"]);

    const [delivery] = await finalDeliveries(tenant, hook.id, 1);
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 2, eventType: USAGE_NOTIFICATION_TYPE });
    const detail = await deliveryDetail(tenant, hook.id, delivery.id);
    expect(detail.attemptLog.map((a: any) => [a.statusCode, a.outcome])).toEqual([
      [503, "retry"],
      [200, "succeeded"],
    ]);
  });

  it("does not notify a disabled webhook", async () => {
    const { tenant, bucket: b, hook } = await setUp("%= 50 to 60 by 10");
    expect((await call("POST", webhooksPath(tenant.org, hook.id), { auth: tenant.auth, body: { enabled: "false" } })).status).toBe(200);
    const whileDisabled = await report(tenant, usageReport("plan-1", { transactions: 550 }));
    expect(whileDisabled.fired.map(([, p]) => p)).toEqual([50]);
    // Fanned out (to no webhook) before the webhook is enabled again.
    await waitFor(async () => (await eventLog(env, tenant.org).getEvent(whileDisabled.body.fired[0].eventId))?.fannedOut);
    expect((await call("POST", webhooksPath(tenant.org, hook.id), { auth: tenant.auth, body: { enabled: "true" } })).status).toBe(200);
    await report(tenant, usageReport("plan-1", { transactions: 650 }));
    const requests = await receivedCount(b, 1);
    expect(requests.map((r) => thresholdOf(r.body))).toEqual([60]);
    expect((await deliveriesOf(tenant, hook.id)).totalRecords).toBe(1);
  });
});

describe("a notification whose fan-out never ran", () => {
  it("is delivered by its event log's re-drive, with no further report", async () => {
    const { tenant, bucket: b } = await setUp("%= 80");
    // Recorded by the log as the route would, but nobody fans it out: as if the Worker died right after.
    const recorded = await eventLog(env, tenant.org).reportUsage(tenant.org, UsageReport.parse(usageReport("plan-1", { transactions: 900 })));
    if (!recorded.ok) throw new Error(recorded.refusal.message);
    const [fired] = recorded.value.result.fired;
    const [request] = await receivedCount(b, 1);
    expect(request!.headers["webhook-id"]).toBe(fired!.eventId);
    expect(JSON.parse(request!.body)).toEqual(fired!.payload);
  });
});

describe("a notification whose report's transaction failed", () => {
  it("leaves no seq taken and nothing waiting: the next event takes the seq, and the watermark does not wait for an event never stored", async () => {
    const { tenant } = await setUp("%= 80");
    const { before, afterFailure, afterRetry } = await runInDurableObject(eventLog(env, tenant.org), async (log, state) => {
      const report = () => log.reportUsage(tenant.org, UsageReport.parse(usageReport("plan-1", { transactions: 900 })));
      const before = log.status();
      const sql = state.storage.sql;
      // The firing is written after the notification's event, in the same transaction.
      const failingFirings = new Proxy(sql, {
        get: (target, prop) =>
          prop === "exec"
            ? (query: string, ...bindings: SqlStorageValue[]) => {
                if (query.includes("INSERT INTO usage_firings")) throw new Error("SQLITE_FULL");
                return target.exec(query, ...bindings);
              }
            : Reflect.get(target, prop),
      });
      Object.assign(log, { sql: failingFirings });
      await expect(report()).rejects.toThrow("SQLITE_FULL");
      Object.assign(log, { sql });
      const afterFailure = log.status();
      const retried = await report();
      if (!retried.ok) throw new Error(retried.refusal.message);
      return { before, afterFailure, afterRetry: log.status() };
    });
    expect(afterFailure).toMatchObject({ behind: 0, latestSeq: before.latestSeq, watermark: before.watermark, storage: { events: before.storage.events } });
    expect(afterRetry).toMatchObject({ latestSeq: before.latestSeq + 1, storage: { events: before.storage.events + 1 } });
  });
});
