// Visibility and control: the delivery log, redelivery, recovery, test events, secret rotation.
import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { call, expectError, webhooksPath } from "./helpers";
import { signedIn } from "./page-helpers";
import { deliveriesOf, enabledWebhook, finalDeliveries, postEvent, producerTenant, received, receivedCount, receiverUrl, recoveryKept, recoveryUnderWay, type Producer } from "./delivery-helpers";

const bucket = () => crypto.randomUUID();

/** POST …/recover with `since`. */
const recoverSince = (tenant: Producer, webhookId: string, since: number | string) =>
  call("POST", `${webhooksPath(tenant.org, webhookId)}/recover`, { auth: tenant.auth, body: { since } });

/** POST …/deliveries/{id}/retry. */
const redeliverOne = (tenant: Producer, webhookId: string, deliveryId: string) =>
  call("POST", `${webhooksPath(tenant.org, webhookId)}/deliveries/${deliveryId}/retry`, { auth: tenant.auth });

/** A webhook answered as `script` says, and `count` events (data.n 1…count) delivered to it until final; `since`: before them. */
async function deliveredEvents(script: string, count: number) {
  const tenant = await producerTenant();
  const b = bucket();
  const since = Date.now();
  const hook = await enabledWebhook(tenant, receiverUrl(b, script));
  for (let n = 1; n <= count; n++) await postEvent(tenant, { type: "booking.created", data: { n } });
  const deliveries = await finalDeliveries(tenant, hook.id, count);
  return { tenant, b, since, hook, deliveries };
}

describe.concurrent("the delivery log and its controls", () => {
  it("filters a webhook's deliveries by status and pages them", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "404,200,200"));
    for (const n of [1, 2, 3]) await postEvent(tenant, { type: "booking.created", data: { n } });
    await finalDeliveries(tenant, hook.id, 3);
    expect((await deliveriesOf(tenant, hook.id, "?status=failed")).deliveries).toHaveLength(1);
    const page = await deliveriesOf(tenant, hook.id, "?status=succeeded&limit=1&offset=1");
    expect(page.totalRecords).toBe(2);
    expect(page.deliveries).toHaveLength(1);
    const bad = await call("GET", `${webhooksPath(tenant.org, hook.id)}/deliveries?status=lost`, { auth: tenant.auth });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe("query.status");
  });

  it("pages a webhook's deliveries with Apigee's page and size", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket()));
    for (const n of [1, 2, 3]) await postEvent(tenant, { type: "booking.created", data: { n } });
    const newestFirst = (await finalDeliveries(tenant, hook.id, 3)).map((d: any) => d.id);
    const page = await deliveriesOf(tenant, hook.id, "?page=2&size=2");
    expect(page.totalRecords).toBe(3);
    expect(page.deliveries.map((d: any) => d.id)).toEqual(newestFirst.slice(2));
  });

  it("redelivers a failed delivery as a new delivery of the same event", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "404,200"));
    const posted = await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    const [failed] = await finalDeliveries(tenant, hook.id, 1);
    expect(failed.status).toBe("failed");
    const retried = await redeliverOne(tenant, hook.id, failed.id);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ origin: "redelivery", eventId: posted.body.id, status: "pending" });
    const requests = await receivedCount(b, 2);
    expect(requests[1]!.headers["webhook-id"]).toBe(posted.body.id);
    const all = await finalDeliveries(tenant, hook.id, 2);
    expect(all.find((d: any) => d.id === retried.body.id).status).toBe("succeeded");
  });

  it("recovers every failed delivery since a time", async () => {
    const { tenant, b, since, hook } = await deliveredEvents("404,404,200", 2);
    const recovered = await recoverSince(tenant, hook.id, new Date(since).toISOString());
    expect(recovered.status).toBe(202);
    expect(recovered.body.redelivered).toBe(2);
    const requests = await receivedCount(b, 4);
    expect(requests.slice(2).map((r) => JSON.parse(r.body).data.n)).toEqual([1, 2]);
  });

  it("recovers each event once: not again after its recovered delivery succeeded", async () => {
    const { tenant, b, since, hook } = await deliveredEvents("404,200", 1);
    expect((await recoverSince(tenant, hook.id, since)).body).toEqual({ redelivered: 1, complete: true });
    expect((await finalDeliveries(tenant, hook.id, 2)).map((d: any) => d.status)).toEqual(["succeeded", "failed"]);
    expect((await recoverSince(tenant, hook.id, since)).body).toEqual({ redelivered: 0, complete: true });
    expect(await received(b)).toHaveLength(2);
  });

  it("does not send an event again while its recovered delivery is still waiting", async () => {
    const { tenant, since, hook } = await deliveredEvents("404,slow:1000", 1);
    expect((await recoverSince(tenant, hook.id, since)).body).toEqual({ redelivered: 1, complete: true });
    expect((await recoverSince(tenant, hook.id, since)).body).toEqual({ redelivered: 0, complete: true });
  });

  it("recovers an event once, however many of its deliveries were sent again by hand", async () => {
    const { tenant, since, hook, deliveries: [original] } = await deliveredEvents("404", 1);
    // The original delivery sent again twice: the first redelivery is not the event's last either.
    for (const count of [2, 3]) {
      await redeliverOne(tenant, hook.id, original.id);
      await finalDeliveries(tenant, hook.id, count);
    }
    expect((await recoverSince(tenant, hook.id, since)).body).toEqual({ redelivered: 1, complete: true });
  });

  it("recovers in the order the events' last deliveries were queued in", async () => {
    const { tenant, b, since, hook, deliveries: [, first] } = await deliveredEvents("404", 2);
    // Event 1's last delivery now comes after event 2's in the webhook's queue.
    await redeliverOne(tenant, hook.id, first.id);
    await finalDeliveries(tenant, hook.id, 3);
    expect((await recoverSince(tenant, hook.id, since)).body).toEqual({ redelivered: 2, complete: true });
    const requests = await receivedCount(b, 5);
    expect(requests.map((r) => JSON.parse(r.body).data.n)).toEqual([1, 2, 1, 2, 1]);
  });

  it("recovers a failed test event with the rest", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const since = Date.now();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "404,200"));
    await call("POST", `${webhooksPath(tenant.org, hook.id)}/test`, { auth: tenant.auth });
    await finalDeliveries(tenant, hook.id, 1);
    expect((await recoverSince(tenant, hook.id, since)).body).toEqual({ redelivered: 1, complete: true });
    const requests = await receivedCount(b, 2);
    expect(requests.map((r) => [JSON.parse(r.body).type, r.answer])).toEqual([
      ["webhook.test", "404"],
      ["webhook.test", "200"],
    ]);
  });

  it("refuses to recover for a disabled webhook", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket()), { enabled: false });
    expectError(await recoverSince(tenant, hook.id, 0), 409, "webhook_disabled");
  });

  it("refuses to recover while an earlier recovery is still queuing its events", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket()));
    await recoveryUnderWay(hook.id);
    const refused = await recoverSince(tenant, hook.id, 0);
    expect(expectError(refused, 409, "recovery_under_way")).toEqual(["since"]);
  });

  it("stops a recovery that goes on when the webhook is disabled", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket()));
    await recoveryUnderWay(hook.id);
    expect((await call("PUT", webhooksPath(tenant.org, hook.id), { auth: tenant.auth, body: { enabled: false } })).status).toBe(200);
    expect(await recoveryKept(hook.id)).toBe(false);
  });

  it("takes since as an RFC 3339 date-time with t and z in lower case", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket()));
    expect((await recoverSince(tenant, hook.id, "2026-11-23t00:00:00z")).body).toEqual({ redelivered: 0, complete: true });
    const refused = await recoverSince(tenant, hook.id, "2026-11-23 00:00");
    expect(expectError(refused, 400, "invalid_request")).toEqual(["since"]);
  });

  it("refuses a body on a route that takes none, naming what was sent, and takes none or {}", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket()));
    const test = (body?: unknown) => call("POST", `${webhooksPath(tenant.org, hook.id)}/test`, { auth: tenant.auth, body });
    const named = await test({ force: true });
    expect(expectError(named, 400, "invalid_request")).toEqual(["force"]);
    expect(expectError(await test([1]), 400, "invalid_request")).toEqual(["body"]);
    expect((await test({})).status).toBe(202);
    expect((await test()).status).toBe(202);
  });

  it("sends a signed test event to one webhook", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const other = bucket();
    await enabledWebhook(tenant, receiverUrl(other));
    const test = await call("POST", `${webhooksPath(tenant.org, hook.id)}/test`, { auth: tenant.auth });
    expect(test.status).toBe(202);
    const [request] = await receivedCount(b, 1);
    expect(JSON.parse(request!.body)).toMatchObject({ id: test.body.eventId, type: "webhook.test", source: "wink" });
    const secret = await call("GET", `${webhooksPath(tenant.org, hook.id)}/secret`, { auth: tenant.auth });
    expect(() => new Webhook(secret.body.key).verify(request!.body, request!.headers)).not.toThrow();
    const [delivery] = await finalDeliveries(tenant, hook.id, 1);
    expect(delivery.eventType).toBe("webhook.test");
  });

  it("refuses a test event to a disabled webhook", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket()), { enabled: false });
    const test = await call("POST", `${webhooksPath(tenant.org, hook.id)}/test`, { auth: tenant.auth });
    expect(test.status).toBe(409);
  });

  it("signs with both secrets for a day after a rotation", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const before = await call("GET", `${webhooksPath(tenant.org, hook.id)}/secret`, { auth: tenant.auth });
    expect(before.body.key).toMatch(/^whsec_/);
    const rotated = await call("POST", `${webhooksPath(tenant.org, hook.id)}/secret/rotate`, { auth: tenant.auth });
    expect(rotated.status).toBe(200);
    expect(rotated.body.previousKey).toBe(before.body.key);
    expect(rotated.body.key).not.toBe(before.body.key);
    expect(rotated.body.previousKeyExpires - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    await postEvent(tenant, { type: "booking.created", data: {} });
    const [request] = await receivedCount(b, 1);
    expect(request!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    for (const key of [before.body.key, rotated.body.key]) {
      expect(() => new Webhook(key).verify(request!.body, request!.headers)).not.toThrow();
    }
  });

  it("signs the next event with the new secret when the secret is rotated while the one before was on the wire", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b, "slow:1000"));
    await postEvent(tenant, { events: [1, 2].map((n) => ({ type: "booking.created", data: { n } })) });
    const [first] = await receivedCount(b, 1);
    const rotated = await call("POST", `${webhooksPath(tenant.org, hook.id)}/secret/rotate`, { auth: tenant.auth });
    const second = (await receivedCount(b, 2))[1]!;
    expect(first!.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(second.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => new Webhook(rotated.body.key).verify(second.body, second.headers)).not.toThrow();
  });

  it("lists an event's deliveries with each webhook", async () => {
    const tenant = await producerTenant();
    const one = await enabledWebhook(tenant, receiverUrl(bucket()));
    const two = await enabledWebhook(tenant, receiverUrl(bucket(), "404"));
    const posted = await postEvent(tenant, { type: "booking.created", data: {} });
    await finalDeliveries(tenant, one.id, 1);
    await finalDeliveries(tenant, two.id, 1);
    const list = await call("GET", `/v1/organizations/${tenant.org}/events/${posted.body.id}/deliveries`, { auth: tenant.auth });
    expect(list.status).toBe(200);
    const byWebhook = Object.fromEntries(list.body.deliveries.map((d: any) => [d.webhookId, d.status]));
    expect(byWebhook).toEqual({ [one.id]: "succeeded", [two.id]: "failed" });
  });

  it("counts and pages every delivery of an event, however many one webhook holds", async () => {
    const tenant = await producerTenant();
    const one = await enabledWebhook(tenant, receiverUrl(bucket()));
    const two = await enabledWebhook(tenant, receiverUrl(bucket()));
    const posted = await postEvent(tenant, { type: "booking.created", data: {} });
    const [original] = await finalDeliveries(tenant, one.id, 1);
    await finalDeliveries(tenant, two.id, 1);
    for (let i = 0; i < 6; i++) expect((await redeliverOne(tenant, one.id, original!.id)).status).toBe(202);
    await finalDeliveries(tenant, one.id, 7);
    const path = `/v1/organizations/${tenant.org}/events/${posted.body.id}/deliveries`;
    const all = await call("GET", `${path}?limit=1000`, { auth: tenant.auth });
    expect(all.body.totalRecords).toBe(8);
    expect(all.body.deliveries.map((d: { webhookId: string }) => d.webhookId)).toEqual([...Array(7).fill(one.id), two.id]);
    expect(new Set(all.body.deliveries.map((d: { id: string }) => d.id)).size).toBe(8);
    // Past the first five of a webhook's deliveries, and across webhooks.
    for (const [offset, limit] of [[3, 4], [6, 10], [0, 2], [7, 1], [8, 5]] as const) {
      const page = await call("GET", `${path}?offset=${offset}&limit=${limit}`, { auth: tenant.auth });
      expect(page.body).toEqual({ totalRecords: 8, deliveries: all.body.deliveries.slice(offset, offset + limit) });
    }
  });

  it("lists and counts the same deliveries of an event after one of its webhooks was deleted", async () => {
    const tenant = await producerTenant();
    const [kept, gone] = [await enabledWebhook(tenant, receiverUrl(bucket())), await enabledWebhook(tenant, receiverUrl(bucket()))];
    const posted = await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await finalDeliveries(tenant, kept.id, 1);
    await finalDeliveries(tenant, gone.id, 1);
    expect((await call("DELETE", `/v1/mint/organizations/${tenant.org}/webhooks/${gone.id}?forceDelete=true`, { auth: tenant.auth })).status).toBe(204);
    const list = await call("GET", `/v1/organizations/${tenant.org}/events/${posted.body.id}/deliveries`, { auth: tenant.auth });
    expect(list.body.totalRecords).toBe(1);
    expect(list.body.deliveries.map((d: { webhookId: string }) => d.webhookId)).toEqual([kept.id]);
  });
});

describe("a webhook's page", () => {
  it("shows each delivery's payload as it was sent", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(crypto.randomUUID()));
    await postEvent(tenant, { type: "booking.created", data: { bookingId: "B-77" } });
    await finalDeliveries(tenant, hook.id, 1);
    const html = (await (await signedIn(tenant)).get(`/ui/webhooks/${hook.id}`)).html;
    expect(html).toContain("<summary>Payload");
    expect(html).toMatch(/&quot;type&quot;:&quot;booking.created&quot;[\s\S]*&quot;bookingId&quot;:&quot;B-77&quot;/);
  });
});
