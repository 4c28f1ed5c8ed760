// A webhook's deliveries and attempts, redelivery, recovery, test events and its signing secret.
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { createRouter } from "../http/context";
import { requireKey } from "../http/auth";
import { ApiError, notFound } from "../http/errors";
import { database } from "../db/client";
import { webhooks } from "../db/schema";
import { getWebhook } from "../db/webhooks";
import { latestSeq } from "../db/events";
import { sequencer } from "../delivery/sequencer-client";
import { sendTestEvent } from "../delivery/directed";
import { newSigningSecret } from "../delivery/signing";
import { bodyErrors, errorResponse, IdParam, json, jsonBodyOf, OrgParam, Paging, tenantErrors, tenantSecurity } from "./common";
import { Delivery, DeliveryStatus, DeliveryWithAttempts } from "./delivery-schemas";

/** The previous secret keeps signing this long after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

const route = { security: tenantSecurity, tags: ["Deliveries"] };
const WebhookParams = OrgParam.extend(IdParam.shape);
const DeliveryParams = WebhookParams.extend({
  deliveryId: z.uuid().openapi({ param: { name: "deliveryId", in: "path" } }),
});

const Secret = z
  .object({
    key: z.string().openapi({ example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
    previousKey: z.string().nullable(),
    previousKeyExpires: z.number().int().nullable().openapi({ description: "Until then both keys sign every delivery" }),
  })
  .openapi("SigningSecret");

const Recover = z
  .strictObject({
    since: z.union([z.number().int().min(0), z.iso.datetime({ offset: true })], { error: "must be epoch milliseconds or an ISO 8601 date-time" }),
  })
  .openapi("Recover", { example: { since: 1460385534555 } });

export const deliveriesRouter = createRouter();
deliveriesRouter.use("*", requireKey("admin"));

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}/deliveries",
    summary: "A webhook's deliveries, newest first",
    request: { params: WebhookParams, query: Paging.extend({ status: DeliveryStatus.optional() }) },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), deliveries: z.array(Delivery) }), "Its deliveries"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    await getWebhook(c.env.DB, org, id);
    const list = await sequencer(c.env, id).list(c.req.valid("query"));
    return c.json({ totalRecords: list.total, deliveries: list.deliveries }, 200);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}/deliveries/{deliveryId}",
    summary: "One delivery with every attempt",
    request: { params: DeliveryParams },
    responses: { 200: json(DeliveryWithAttempts, "The delivery and its attempts"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id, deliveryId } = c.req.valid("param");
    await getWebhook(c.env.DB, org, id);
    const delivery = await sequencer(c.env, id).get(deliveryId);
    if (!delivery) throw notFound("delivery");
    return c.json(delivery, 200);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/{id}/deliveries/{deliveryId}/retry",
    summary: "Deliver this delivery's event again, after everything already queued for the webhook",
    request: { params: DeliveryParams },
    responses: { 202: json(Delivery, "The new delivery"), ...tenantErrors, 409: bodyErrors[409] },
  }),
  async (c) => {
    const { org, id, deliveryId } = c.req.valid("param");
    await assertEnabled(c.env.DB, org, id);
    const created = await sequencer(c.env, id).redeliver(deliveryId, await latestSeq(c.env.DB));
    if (!created) throw notFound("delivery");
    return c.json(created, 202);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/{id}/recover",
    summary: "Send again every failed delivery of this webhook created since a time",
    request: { params: WebhookParams, body: jsonBodyOf(Recover) },
    responses: { 202: json(z.object({ redelivered: z.number().int() }), "How many were queued again"), ...tenantErrors, ...bodyErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const { since } = c.req.valid("json");
    await assertEnabled(c.env.DB, org, id);
    const from = typeof since === "number" ? since : Date.parse(since);
    const redelivered = await sequencer(c.env, id).recover(from, await latestSeq(c.env.DB));
    return c.json({ redelivered }, 202);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/{id}/test",
    summary: "Send a test event (type webhook.test) to this webhook",
    request: { params: WebhookParams },
    responses: {
      202: json(z.object({ eventId: z.uuid() }), "Queued; follow it in the deliveries"),
      ...tenantErrors,
      409: bodyErrors[409],
      503: errorResponse("The event could not be queued"),
    },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const webhook = await assertEnabled(c.env.DB, org, id);
    const eventId = await sendTestEvent(c.env, webhook);
    return c.json({ eventId }, 202);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}/secret",
    summary: "The webhook's signing secret (and the previous one during a rotation)",
    request: { params: WebhookParams },
    responses: { 200: json(Secret, "The secret"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    return c.json(secretOf(await getWebhook(c.env.DB, org, id)), 200);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/{id}/secret/rotate",
    summary: "Rotate the signing secret; the old one keeps signing for 24 hours",
    request: { params: WebhookParams },
    responses: { 200: json(Secret, "The new secret, with the previous one"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const current = await getWebhook(c.env.DB, org, id);
    const now = Date.now();
    const [rotated] = await database(c.env.DB)
      .update(webhooks)
      .set({
        secret: newSigningSecret(),
        previousSecret: current.secret,
        previousSecretExpires: now + ROTATION_OVERLAP_MS,
        updated: now,
        updatedBy: c.var.principal.email,
      })
      .where(eq(webhooks.id, id))
      .returning();
    if (!rotated) throw notFound("webhook");
    return c.json(secretOf(rotated), 200);
  },
);

function secretOf(webhook: { secret: string; previousSecret: string | null; previousSecretExpires: number | null }) {
  const live = webhook.previousSecretExpires !== null && webhook.previousSecretExpires > Date.now();
  return {
    key: webhook.secret,
    previousKey: live ? webhook.previousSecret : null,
    previousKeyExpires: live ? webhook.previousSecretExpires : null,
  };
}

async function assertEnabled(d1: D1Database, orgId: string, id: string) {
  const webhook = await getWebhook(d1, orgId, id);
  if (!webhook.enabled) {
    throw new ApiError(409, "webhook_disabled", "The webhook is disabled: enable it first, or nothing will be sent", [
      { field: "enabled", reason: "is false" },
    ]);
  }
  return webhook;
}
