// A webhook's deliveries and attempts, redelivery, recovery, test events and its signing secret.
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../http/context";
import { refuseBody } from "../http/json-body";
import { requireKey } from "../http/auth";
import { getWebhook, rotateSecret, signingSecretOf } from "../webhooks/lifecycle";
import { getDelivery, listDeliveries, recoverDeliveries, redeliver, sendTestEventTo } from "../webhooks/deliveries";
import { bodyErrors, errorResponse, IdParam, json, jsonBodyOf, OrgParam, pagingFields, refuseMixedPaging, tenantErrors, toPage, tenantSecurity, Uuid, sentBodyErrors } from "./common";
import { Delivery, DeliveryStatus, DeliveryWithAttempts, Recover, recoverFrom } from "./delivery-schemas";
import { RECOVER_PER_TURN } from "../sequencer/webhook-sequencer";

const route = { security: tenantSecurity, tags: ["Deliveries"] };
const WebhookParams = OrgParam.extend(IdParam.shape);
const DeliveryParams = WebhookParams.extend({
  deliveryId: Uuid().openapi({ param: { name: "deliveryId", in: "path" } }),
});

const ListQuery = z
  .object({ ...pagingFields, status: DeliveryStatus.optional() })
  .superRefine(refuseMixedPaging)
  .transform(toPage);

const Secret = z
  .object({
    key: z.string().openapi({ example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
    previousKey: z.string().nullable(),
    previousKeyExpires: z.number().int().nullable().openapi({ description: "Until then both keys sign every delivery" }),
  })
  .openapi("SigningSecret");

export const deliveriesRouter = createRouter();
deliveriesRouter.use("*", requireKey("admin"));

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}/deliveries",
    operationId: "listDeliveries",
    summary: "A webhook's deliveries, newest first",
    request: { params: WebhookParams, query: ListQuery },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), deliveries: z.array(Delivery) }), "Its deliveries"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const list = await listDeliveries(c.env, org, id, c.req.valid("query"));
    return c.json({ totalRecords: list.total, deliveries: list.deliveries }, 200);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}/deliveries/{deliveryId}",
    operationId: "getDelivery",
    summary: "One delivery with every attempt",
    request: { params: DeliveryParams },
    responses: { 200: json(DeliveryWithAttempts, "The delivery and its attempts"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id, deliveryId } = c.req.valid("param");
    return c.json(await getDelivery(c.env, org, id, deliveryId), 200);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/{id}/deliveries/{deliveryId}/retry",
    operationId: "retryDelivery",
    summary: "Deliver this delivery's event again, after everything already queued for the webhook",
    request: { params: DeliveryParams },
    responses: { 202: json(Delivery, "The new delivery"), ...tenantErrors, 409: bodyErrors[409], ...sentBodyErrors },
  }),
  async (c) => {
    await refuseBody(c);
    const { org, id, deliveryId } = c.req.valid("param");
    return c.json(await redeliver(c.env, org, id, deliveryId), 202);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/{id}/recover",
    operationId: "recoverDeliveries",
    summary: "Send again, once each, every event whose last delivery to this webhook since a time failed or was cancelled",
    description:
      `Each event whose last delivery created since \`since\` ended failed, or cancelled unsent (the webhook was disabled while it waited), gets a new delivery after everything already queued, in the order those last deliveries were queued. Left out: events sent again since (delivered or still waiting), so repeating the call sends nothing twice, and events cancelled because they were past the retention period. Test events count like any other. Those among the first ${RECOVER_PER_TURN.toLocaleString("en-US")} deliveries the webhook keeps are queued before the answer; past that (a webhook disabled for days can have millions waiting, and one busy for a month as many before \`since\`) the webhook's sequencer goes on through the rest itself, as many at a time, in the same order, each lot after whatever is queued by then (events ingested meanwhile may come between lots), and \`complete\` is false (\`redelivered\` may then be 0); disabling the webhook stops it. Refused with 409 while the webhook is disabled, and while an earlier recovery is still queuing its events.`,
    request: { params: WebhookParams, body: jsonBodyOf(Recover) },
    responses: {
      202: json(
        z.object({
          redelivered: z.number().int().openapi({ description: "Events queued again by this call" }),
          complete: z.boolean().openapi({
            description: `false: the webhook keeps more than the first ${RECOVER_PER_TURN.toLocaleString("en-US")} deliveries looked at; its sequencer goes on through them, as many at a time, and queues those to send again in the same order, shortly after`,
          }),
        }),
        "Queued again: all of them, or the first ones with the rest to follow",
      ),
      ...tenantErrors,
      ...bodyErrors,
      409: errorResponse("The webhook is disabled (webhook_disabled), or an earlier recovery of it is still queuing its events (recovery_under_way)"),
    },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    return c.json(await recoverDeliveries(c.env, org, id, recoverFrom(c.req.valid("json"))), 202);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/{id}/test",
    operationId: "sendTestEvent",
    summary: "Send a test event (type webhook.test) to this webhook",
    request: { params: WebhookParams },
    responses: {
      202: json(z.object({ eventId: z.uuid() }), "Queued; follow it in the deliveries"),
      ...tenantErrors,
      409: bodyErrors[409],
      ...sentBodyErrors,
      503: errorResponse("The event could not be queued"),
    },
  }),
  async (c) => {
    await refuseBody(c);
    const { org, id } = c.req.valid("param");
    const eventId = await sendTestEventTo(c.env, c.executionCtx, org, id);
    return c.json({ eventId }, 202);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}/secret",
    operationId: "getWebhookSecret",
    summary: "The webhook's signing secret (and the previous one during a rotation)",
    request: { params: WebhookParams },
    responses: { 200: json(Secret, "The secret"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    return c.json(signingSecretOf(await getWebhook(c.env.DB, org, id)), 200);
  },
);

deliveriesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/{id}/secret/rotate",
    operationId: "rotateWebhookSecret",
    summary: "Rotate the signing secret; the old one keeps signing for 24 hours",
    request: { params: WebhookParams },
    responses: { 200: json(Secret, "The new secret, with the previous one"), ...tenantErrors, ...sentBodyErrors },
  }),
  async (c) => {
    await refuseBody(c);
    const { id } = c.req.valid("param");
    return c.json(await rotateSecret(c.env, c.var.principal, id), 200);
  },
);
