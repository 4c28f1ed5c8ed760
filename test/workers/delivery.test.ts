import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { call, webhooksPath } from "./helpers";
import { deliveryDetail, enabledWebhook, finalDeliveries, postEvent, producerTenant, receivedCount, receiverUrl } from "./delivery-helpers";

const bucket = () => crypto.randomUUID();

describe("delivering an event", () => {
  it("POSTs the envelope, signed the Standard Webhooks way, and records the success", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b), { entity: "Cool Account", events: ["booking.created"] });
    const posted = await postEvent(tenant, { type: "booking.created", entity: "Cool Account", data: { bookingId: "B-1" } });
    expect(posted.status).toBe(202);
    expect(posted.body.duplicate).toBe(false);

    const [request] = await receivedCount(b, 1);
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers["user-agent"]).toMatch(/edge-webhooks/);
    expect(JSON.parse(request!.body)).toEqual({
      id: posted.body.id,
      type: "booking.created",
      source: "wink",
      entity: "Cool Account",
      created: posted.body.created,
      data: { bookingId: "B-1" },
    });
    const secret = await call("GET", `${webhooksPath(tenant.org, hook.id)}/secret`, { auth: tenant.auth });
    const verified = new Webhook(secret.body.key).verify(request!.body, request!.headers);
    expect(verified).toMatchObject({ id: posted.body.id });
    expect(request!.headers["webhook-id"]).toBe(posted.body.id);

    const [delivery] = await finalDeliveries(tenant, hook.id, 1);
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1, eventId: posted.body.id, lastStatusCode: 200 });
    const detail = await deliveryDetail(tenant, hook.id, delivery.id);
    expect(detail.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: 200, errorKind: null, outcome: "succeeded", responseBody: "answer 200" }),
    ]);
  });
});
