// Strict per-webhook order, and webhooks never waiting on each other.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { call, webhooksPath } from "./helpers";
import { enabledWebhook, finalDeliveries, postEvent, producerTenant, received, receivedCount, receiverUrl, waitFor } from "./delivery-helpers";

const bucket = () => crypto.randomUUID();
const ids = (requests: { body: string }[]) => requests.map((r) => JSON.parse(r.body).data.n);

describe.concurrent("ordering", () => {
  it("does not attempt the next event until the one before is final, while another webhook keeps receiving", async () => {
    const tenant = await producerTenant();
    const slow = bucket();
    const fast = bucket();
    const failing = await enabledWebhook(tenant, receiverUrl(slow, "503,503,200"));
    await enabledWebhook(tenant, receiverUrl(fast));
    // One request, so the three fan-outs cannot fall into different local queue batches (each waits
    // out the 1 s batch timeout) and race the failing webhook's 1 s retry.
    const posted = await postEvent(tenant, { events: [1, 2, 3].map((n) => ({ type: "booking.created", data: { n } })) });
    expect(posted.status).toBe(202);

    const fastRequests = await receivedCount(fast, 3);
    expect(ids(fastRequests)).toEqual([1, 2, 3]);
    const slowRequests = await receivedCount(slow, 5, 30_000);
    expect(ids(slowRequests)).toEqual([1, 1, 1, 2, 3]);
    // The healthy webhook had everything before the failing one's first retry.
    expect(fastRequests[2]!.receivedAt).toBeLessThan(slowRequests[1]!.receivedAt);
    const deliveries = await finalDeliveries(tenant, failing.id, 3);
    expect(deliveries.every((d: any) => d.status === "succeeded")).toBe(true);
  });

  it("keeps a batch's events in the order they were posted", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    await enabledWebhook(tenant, receiverUrl(b));
    const posted = await postEvent(tenant, { events: Array.from({ length: 20 }, (_, n) => ({ type: "booking.created", data: { n } })) });
    expect(posted.status).toBe(202);
    expect(posted.body.events).toHaveLength(20);
    expect(ids(await receivedCount(b, 20))).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });

  it("delivers events posted concurrently in the order ingest assigned them", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const posts = await Promise.all(Array.from({ length: 15 }, (_, n) => postEvent(tenant, { type: "booking.created", data: { n } })));
    const events = await call("GET", `/v1/organizations/${tenant.org}/events?limit=100`, { auth: tenant.auth });
    const ingestOrder = events.body.events.map((e: any) => e.id).reverse();
    expect(new Set(ingestOrder)).toEqual(new Set(posts.map((p) => p.body.id)));
    const requests = await receivedCount(b, 15);
    expect(requests.map((r) => JSON.parse(r.body).id)).toEqual(ingestOrder);
    await finalDeliveries(tenant, hook.id, 15);
  });

  it("cancels pending deliveries of a webhook disabled while it was retrying", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "503,200"));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await postEvent(tenant, { type: "booking.created", data: { n: 2 } });
    await receivedCount(b, 1);
    expect((await call("POST", webhooksPath(tenant.org, hook.id), { auth: tenant.auth, body: { enabled: "false" } })).status).toBe(200);
    const deliveries = await finalDeliveries(tenant, hook.id, 2);
    expect(deliveries.map((d: any) => d.status)).toEqual(["cancelled", "cancelled"]);
    expect(deliveries.find((d: any) => d.attempts === 1)?.lastError).toMatch(/disabled/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await received(b)).toHaveLength(1);
  });

  it("sends the next event to a URL changed while the one before was on the wire", async () => {
    const tenant = await producerTenant();
    const before = bucket();
    const after = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(before, "slow:1000"));
    await postEvent(tenant, { events: [1, 2].map((n) => ({ type: "booking.created", data: { n } })) });
    await receivedCount(before, 1);
    const changed = await call("POST", webhooksPath(tenant.org, hook.id), { auth: tenant.auth, body: { postURL: receiverUrl(after) } });
    expect(changed.status).toBe(200);
    expect(ids(await receivedCount(after, 1))).toEqual([2]);
    await finalDeliveries(tenant, hook.id, 2);
    expect(ids(await received(before))).toEqual([1]);
  });

  it("re-reads a webhook changed without notice once the copies of it are old (CONFIG_REFRESH_SECONDS, then 5 s)", async () => {
    const tenant = await producerTenant();
    const before = bucket();
    const after = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(before, "slow:1500"));
    const events = Array.from({ length: 10 }, (_, i) => i + 1);
    await postEvent(tenant, { events: events.map((n) => ({ type: "booking.created", data: { n } })) });
    await receivedCount(before, 1);
    // Saved behind the API's back: neither the event log nor the sequencer is told, as when the notices are lost.
    await env.DB.prepare("UPDATE webhooks SET post_url = ? WHERE id = ?").bind(receiverUrl(after), hook.id).run();
    await finalDeliveries(tenant, hook.id, events.length, 25_000);
    const sentBefore = ids(await received(before));
    const sentAfter = ids(await received(after));
    expect(sentAfter.length).toBeGreaterThan(0);
    expect([...sentBefore, ...sentAfter]).toEqual(events);
  });

  it("cancels the next event of a webhook disabled while the one before was on the wire", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "slow:1000"));
    await postEvent(tenant, { events: [1, 2].map((n) => ({ type: "booking.created", data: { n } })) });
    await receivedCount(b, 1);
    expect((await call("POST", webhooksPath(tenant.org, hook.id), { auth: tenant.auth, body: { enabled: "false" } })).status).toBe(200);
    const deliveries = await finalDeliveries(tenant, hook.id, 2);
    expect(deliveries.map((d: any) => d.status).sort()).toEqual(["cancelled", "succeeded"]);
    expect(ids(await received(b))).toEqual([1]);
  });

  it("does not deliver to a disabled webhook", async () => {
    const tenant = await producerTenant();
    const on = bucket();
    const off = bucket();
    await enabledWebhook(tenant, receiverUrl(on));
    await enabledWebhook(tenant, receiverUrl(off), { enabled: false });
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await receivedCount(on, 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await received(off)).toHaveLength(0);
  });

  it("refuses forceDelete=false while a delivery is retrying, and cancels it with forceDelete=true", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "503"));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await receivedCount(b, 1);
    const refused = await call("DELETE", `${webhooksPath(tenant.org, hook.id)}?forceDelete=false`, { auth: tenant.auth });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details[0].field).toBe("forceDelete");
    expect((await call("DELETE", `${webhooksPath(tenant.org, hook.id)}?forceDelete=true`, { auth: tenant.auth })).status).toBe(204);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await received(b)).toHaveLength(1);
  });

  it("deletes with forceDelete=false once nothing is pending", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await finalDeliveries(tenant, hook.id, 1);
    expect((await call("DELETE", `${webhooksPath(tenant.org, hook.id)}?forceDelete=false`, { auth: tenant.auth })).status).toBe(204);
    await waitFor(async () => (await call("GET", webhooksPath(tenant.org, hook.id), { auth: tenant.auth })).status === 404);
  });
});

// Alone: its hundred deliveries hold the local queue's one batch at a time long enough to skew the
// timing the concurrent tests above compare.
describe("ordering, a full batch", () => {
  it("delivers a full batch of 100 events, in order", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    await enabledWebhook(tenant, receiverUrl(b));
    const posted = await postEvent(tenant, { events: Array.from({ length: 100 }, (_, n) => ({ type: "booking.created", data: { n } })) });
    expect(posted.status).toBe(202);
    expect(ids(await receivedCount(b, 100, 30_000))).toEqual(Array.from({ length: 100 }, (_, n) => n));
  });
});
