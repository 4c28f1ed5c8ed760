// Delivery metrics, tested at the binding's edge: locally miniflare accepts Analytics Engine writes
// and discards them, so a fake dataset stands in for METRICS and records each data point.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { recordAttempt, recordIngest } from "../../src/observability/metrics";
import { drain } from "../../src/delivery/drain";
import { sequencer } from "../../src/delivery/sequencer-client";
import { captureLogs } from "./log-capture";
import { enabledWebhook, postEvent, producerTenant, received, receiverUrl } from "./delivery-helpers";
import { call } from "./helpers";
import { app } from "../../src/app";

class FakeDataset {
  readonly points: AnalyticsEngineDataPoint[] = [];
  writeDataPoint(point?: AnalyticsEngineDataPoint) {
    this.points.push(point!);
  }
}

describe("metrics", () => {
  it("writes an attempt as one data point: organization index, kind, webhook, outcome, status class, duration, status", () => {
    const metrics = new FakeDataset();
    recordAttempt({ METRICS: metrics }, { orgId: "myorg", webhookId: "w1", outcome: "retry", statusCode: 503, durationMs: 41 });
    recordAttempt({ METRICS: metrics }, { orgId: "myorg", webhookId: "w1", outcome: "retry", statusCode: null, durationMs: 3000 });
    expect(metrics.points).toEqual([
      { indexes: ["myorg"], blobs: ["attempt", "myorg", "w1", "retry", "5xx"], doubles: [41, 503, 1] },
      { indexes: ["myorg"], blobs: ["attempt", "myorg", "w1", "retry", "none"], doubles: [3000, 0, 1] },
    ]);
  });

  it("writes an ingest request in the same columns, with its number of events", () => {
    const metrics = new FakeDataset();
    recordIngest({ METRICS: metrics }, { orgId: "myorg", outcome: "accepted", durationMs: 7, events: 100 });
    expect(metrics.points).toEqual([{ indexes: ["myorg"], blobs: ["ingest", "myorg", "", "accepted", ""], doubles: [7, 0, 100] }]);
  });

  it("does no harm without a binding, and only logs a warning when the binding throws", async () => {
    const attempt = { orgId: "myorg", webhookId: "w1", outcome: "succeeded", statusCode: 200, durationMs: 5 } as const;
    const broken = { writeDataPoint: () => { throw new Error("dataset unavailable"); } };
    const lines = await captureLogs(async () => {
      recordAttempt({}, attempt);
      recordAttempt({ METRICS: broken }, attempt);
    });
    expect(lines.map((line) => JSON.parse(line))).toEqual([{ level: "warn", message: "metric not written", error: "Error: dataset unavailable" }]);
  });

  it("records each attempt a drain makes, with the receiver's answer", async () => {
    const tenant = await producerTenant();
    const bucket = crypto.randomUUID();
    // Subscribed to another type, so the fan-out leaves these events alone and the drain below is
    // the only one delivering them.
    const hook = await enabledWebhook(tenant, receiverUrl(bucket, "404,200"), { events: ["payment.settled"] });
    const events = [];
    for (const n of [1, 2]) events.push((await postEvent(tenant, { type: "booking.created", data: { n } })).body.id as string);
    const claim = await sequencer(env, hook.id).append(hook.id, tenant.org, events.map((eventId, i) => ({ eventId, eventType: "booking.created", seq: i + 1 })), 2, true);
    const metrics = new FakeDataset();
    await drain({ ...env, METRICS: metrics }, { kind: "drain", webhookId: hook.id, orgId: tenant.org, lease: claim!.lease, first: claim!.first });
    expect(await received(bucket)).toHaveLength(2);
    expect(metrics.points).toEqual([
      { indexes: [tenant.org], blobs: ["attempt", tenant.org, hook.id, "failed", "4xx"], doubles: [expect.any(Number), 404, 1] },
      { indexes: [tenant.org], blobs: ["attempt", tenant.org, hook.id, "succeeded", "2xx"], doubles: [expect.any(Number), 200, 1] },
    ]);
  });

  it("records every ingest request, accepted or refused, with its status and the events it stored", async () => {
    const tenant = await producerTenant();
    const metrics = new FakeDataset();
    const withMetrics = { fetch: (request: Request) => Promise.resolve(app.fetch(request, { ...env, METRICS: metrics }, { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext)) };
    const path = `/v1/organizations/${tenant.org}/events`;
    const batch = { events: [1, 2, 3].map((n) => ({ type: "booking.created", data: { n } })) };
    expect((await call("POST", path, { auth: { bearer: tenant.producerKey }, body: batch, ...withMetrics })).status).toBe(202);
    expect((await call("POST", path, { auth: { bearer: tenant.producerKey.replace(/.$/, (c) => (c === "A" ? "B" : "A")) }, body: batch, ...withMetrics })).status).toBe(401);
    expect(metrics.points.map((p) => [p.blobs?.[0], p.indexes?.[0], p.blobs?.[3], p.doubles?.[2]])).toEqual([
      ["ingest", tenant.org, "202", 3],
      ["ingest", tenant.org, "401", 0],
    ]);
  });
});
