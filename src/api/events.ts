// Ingest (producers post events) and the event log (admins read events and their deliveries).
// Ingest checks the key from isolate memory, then one call to the organization's event log checks
// the rate and the catalog and stores the events; the answer (202) follows, and the events are
// fanned out and delivered right after it (the log re-drives whatever that does not finish).
import { createRoute, z } from "@hono/zod-openapi";
import pLimit from "p-limit";
import type { Context, MiddlewareHandler } from "hono";
import { createRouter, validationError, type AppEnv } from "../http/context";
import { authenticatedKey, authorize, principalOf, readCredentials, requireKey } from "../http/auth";
import { ApiError, apiErrorOf, badRequest, notFound } from "../errors";
import { existingWebhookIds } from "../db/webhooks";
import type { ApiKeyRow } from "../db/api-keys";
import type { LoggedEvent } from "../ingest/records";
import { eventLog, ingest } from "../ingest/event-log-client";
import { PAGE_CHARS } from "../ingest/events-table";
import { dispatch } from "../delivery/dispatch";
import { recordIngest } from "../observability/metrics";
import { sequencer } from "../delivery/sequencer-client";
import { bodyErrors, errorResponse, IdParam, json, jsonBodyOf, OrgParam, Paging, SourceName, tenantErrors, tenantSecurity } from "./common";
import { EntityName } from "./entities";
import { EventTypeName } from "./event-types";
import { Delivery } from "./delivery-schemas";

export const MAX_BATCH = 100;

const ProducerId = z.string().min(1, "must not be empty").max(200, "must be at most 200 characters");

const EventInput = z.strictObject({
  type: EventTypeName,
  entity: EntityName.optional().openapi({ description: "The account the event is about; webhooks bound to it (or to no entity) get it" }),
  // Taken as parsed, not rebuilt member by member: a rebuilt object would set a member named
  // "__proto__" as its prototype and drop it.
  data: z
    .custom<Record<string, unknown>>((value) => value !== null && typeof value === "object" && !Array.isArray(value), { error: "must be a JSON object" })
    .openapi({ type: "object", additionalProperties: true, example: { bookingId: "B-1001", amount: 120 } }),
  id: ProducerId.optional().openapi({ description: "Your id for the event: posting the same id twice stores and delivers it once" }),
});

const IngestBody = z
  .strictObject({
    ...EventInput.partial().shape,
    events: z.array(EventInput).min(1, "must hold at least one event").max(MAX_BATCH, `must hold at most ${MAX_BATCH} events`).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.events) {
      for (const field of ["type", "entity", "data", "id"] as const) {
        if (value[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: "goes inside each item of events in a batch" });
      }
      return;
    }
    if (value.type === undefined) ctx.addIssue({ code: "custom", path: ["type"], message: "is required" });
    if (value.data === undefined) ctx.addIssue({ code: "custom", path: ["data"], message: "is required" });
  })
  .openapi("IngestEvents", {
    oneOf: [
      { required: ["type", "data"], not: { required: ["events"] } },
      { required: ["events"], not: { anyOf: ["type", "entity", "data", "id"].map((field) => ({ required: [field] })) } },
    ],
    description: `One event ({type, entity, data, id}) or a batch ({events: [...]}, at most ${MAX_BATCH}). The whole body is at most MAX_BODY_BYTES (100 KB).`,
    example: { type: "booking.created", entity: "Cool Account", data: { bookingId: "B-1001" }, id: "booking-B-1001" },
  });

const Accepted = z.object({ id: z.uuid(), duplicate: z.boolean().openapi({ description: "true when this id was posted before; it is not delivered again" }) });
const AcceptedOne = Accepted.extend({ type: z.string(), created: z.number().int() }).openapi("AcceptedEvent");
const AcceptedBatch = z.object({ events: z.array(Accepted) }).openapi("AcceptedEvents");

const EventRecord = z
  .object({
    id: z.uuid(),
    kind: z.enum(["event", "test", "notification", "operational"]).openapi({ description: "event: posted by a producer; test: a webhook.test; notification: a usage notification; operational: the platform's own (source operational)" }),
    source: z.string(),
    type: z.string(),
    entity: z.string().nullable(),
    producerId: z.string().nullable(),
    data: z.unknown(),
    created: z.number().int(),
    fannedOut: z.boolean().openapi({ description: "Whether the event has reached every one of its webhooks' queues" }),
    webhookIds: z.array(z.string()).openapi({ description: "The webhooks the event was matched (or addressed) to when it was stored" }),
  })
  .openapi("Event");

const route = { security: tenantSecurity, tags: ["Events"] };

export const eventsRouter = createRouter();

eventsRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/",
    operationId: "postEvents",
    summary: "Post an event or a batch (producer key; its source is the events' source)",
    middleware: [producerCredentials()],
    request: {
      params: OrgParam,
      headers: z.object({
        "idempotency-key": ProducerId.optional().openapi({ description: "Same as the event's id, for a single event" }),
      }),
      body: jsonBodyOf(IngestBody),
    },
    responses: {
      202: json(
        z.union([AcceptedOne, AcceptedBatch]),
        "Accepted: stored, and delivered to the matching webhooks unless a duplicate. Fan-out follows the answer at once; if it does not report back within 5 s, the organization's event log sends it again through the queue, with growing delays, for as long as it keeps the event.",
      ),
      ...tenantErrors,
      ...bodyErrors,
      429: errorResponse("Over this key's ingest rate; see Retry-After. Nothing was stored"),
      503: errorResponse(
        "A store this call needs cannot be reached right now; try again. Nothing was stored, unless the organization's event log took too long to answer (code unavailable, message says so): then the events may be stored, and sending them again with their ids answers each stored one as a duplicate",
      ),
    },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const body = c.req.valid("json");
    const headerKey = c.req.valid("header")["idempotency-key"];
    if (body.events && headerKey !== undefined) {
      await refuseInvalid(c, badRequest("Idempotency-Key is for a single event", [{ field: "idempotency-key", reason: "give each event of a batch its own id instead" }]));
    }
    if (!body.events && headerKey !== undefined && body.id !== undefined && headerKey !== body.id) {
      await refuseInvalid(c, badRequest("The event has two different ids", [{ field: "id", reason: "differs from the Idempotency-Key header" }]));
    }
    const inputs = body.events ?? [{ type: body.type!, entity: body.entity, data: body.data!, id: body.id ?? headerKey }];
    const key = await producerKey(c, org);
    const answer = await ingest(c.env, {
      orgId: org,
      keyId: key.id,
      source: key.source!,
      batch: Boolean(body.events),
      events: inputs.map((input) => ({ type: input.type, entity: input.entity ?? null, data: JSON.stringify(input.data), producerId: input.id ?? null })),
    });
    if (!answer.ok) throw apiErrorOf(answer.refusal);
    const { events: stored, fanout, seed, watermark } = answer.value;
    c.set("ingestedEvents", stored.filter((event) => !event.duplicate).length);
    if (fanout.length > 0) c.executionCtx.waitUntil(dispatch(c.env, org, fanout, seed, watermark));
    if (body.events) return c.json({ events: stored.map(({ id, duplicate }) => ({ id, duplicate })) }, 202);
    const [one] = stored;
    return c.json({ id: one!.id, duplicate: one!.duplicate, type: one!.type, created: one!.created }, 202);
  },
  (result, c) => (result.success ? undefined : refuseInvalid(c, validationError(result))),
);

/**
 * Ingest reads the key here without touching storage, so a missing or malformed one is a 401 before
 * the body is looked at, as on every route; the handler checks it once the body is valid.
 */
function producerCredentials(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    let status: number | undefined;
    try {
      c.set("credentials", readCredentials(c.req.raw));
      await next();
      status = c.res.status;
    } catch (e) {
      status = e instanceof ApiError ? e.status : 500;
      throw e;
    } finally {
      // One data point per ingest request, accepted or not; its answer's status is its outcome.
      recordIngest(c.env, { orgId: c.req.param("org") ?? "", outcome: String(status), durationMs: Date.now() - started, events: c.get("ingestedEvents") ?? 0 });
    }
  };
}

/** The key the request's credentials prove, if it is a producer key of `org` (401, 404, 403 otherwise). */
async function producerKey(c: Context<AppEnv>, org: string): Promise<ApiKeyRow> {
  const key = await authenticatedKey(c.env.DB, c.var.credentials);
  authorize(principalOf(key), org, "producer");
  return key;
}

/**
 * Refuses a request that is not valid with `error`, but first with what its key and rate deserve,
 * in the order every route answers: 401, 404, 403, 429, then 400.
 */
async function refuseInvalid(c: Context<AppEnv>, error: ApiError): Promise<never> {
  const org = c.req.param("org")!;
  const key = await producerKey(c, org);
  const limited = await eventLog(c.env, org).admit(org, key.id);
  if (limited) throw apiErrorOf(limited);
  throw error;
}

const admin = requireKey("admin");
const EventParams = OrgParam.extend(IdParam.shape);

function toEventRecord(event: LoggedEvent, fannedOut: boolean): z.infer<typeof EventRecord> {
  return {
    id: event.id,
    kind: event.kind,
    source: event.source,
    type: event.type,
    entity: event.entity,
    producerId: event.producerId,
    data: JSON.parse(event.data),
    created: event.created,
    fannedOut,
    webhookIds: [...event.webhookIds],
  };
}

eventsRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/",
    operationId: "listEvents",
    summary: "List events, newest first (kept RETENTION_DAYS, 30 by default)",
    description:
      `A page holds \`limit\` events, or fewer when their data and webhook ids pass ${PAGE_CHARS / 1_000_000} MB (large events, or events to thousands of webhooks): go on from \`offset\` plus the events received, up to \`totalRecords\`.`,
    middleware: admin,
    request: { params: OrgParam, query: Paging.extend({ type: EventTypeName.optional(), source: SourceName.optional() }) },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), events: z.array(EventRecord) }), "The events"), ...tenantErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const { limit, offset, type, source } = c.req.valid("query");
    const list = await eventLog(c.env, org).listEvents({ type, source, limit, offset });
    return c.json({ totalRecords: list.total, events: list.events.map((event) => toEventRecord(event, event.fannedOut)) }, 200);
  },
);

eventsRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}",
    operationId: "getEvent",
    summary: "Get an event",
    middleware: admin,
    request: { params: EventParams },
    responses: { 200: json(EventRecord, "The event"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const event = await eventLog(c.env, org).getEvent(id);
    if (!event) throw notFound("event");
    return c.json(toEventRecord(event, event.fannedOut), 200);
  },
);

/** Deliveries of the event asked of each webhook with its count; a webhook with more is asked again for the page's part. */
const FIRST_DELIVERIES = 5;
/** Sequencers asked at once: an event may have gone to thousands of webhooks. */
const SEQUENCERS_AT_ONCE = 50;

const EventDelivery = Delivery.extend({ webhookId: z.uuid() }).openapi("EventDelivery");

eventsRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}/deliveries",
    operationId: "listEventDeliveries",
    summary: "The deliveries of one event, across its webhooks",
    middleware: admin,
    request: { params: EventParams, query: Paging },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), deliveries: z.array(EventDelivery) }), "Its deliveries, webhook by webhook"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const { limit, offset } = c.req.valid("query");
    const event = await eventLog(c.env, org).getEvent(id);
    if (!event) throw notFound("event");
    // Only webhooks that still exist: a deleted one took its deliveries with it.
    const kept = await existingWebhookIds(c.env.DB, org, event.webhookIds);
    const webhookIds = event.webhookIds.filter((webhookId) => kept.has(webhookId));
    const ofEvent = { id, seq: event.seq };
    const atOnce = pLimit(SEQUENCERS_AT_ONCE);
    // Each webhook's count and its first few, which is all of them as a rule (a redelivery adds one).
    const firsts = await Promise.all(webhookIds.map((webhookId) => atOnce(() => sequencer(c.env, webhookId).list({ event: ofEvent, limit: FIRST_DELIVERIES, offset: 0 }))));
    const totalRecords = firsts.reduce((sum, first) => sum + first.total, 0);
    // The page's part of each webhook's deliveries: from what came, or asked for when it did not.
    let before = 0;
    const parts = webhookIds.map((webhookId, i) => {
      const { total, deliveries } = firsts[i]!;
      const from = Math.max(0, offset - before);
      const to = Math.min(total, offset + limit - before);
      before += total;
      if (from >= to) return [];
      const part = to <= deliveries.length ? Promise.resolve(deliveries.slice(from, to)) : atOnce(async () => (await sequencer(c.env, webhookId).list({ event: ofEvent, limit: to - from, offset: from })).deliveries);
      return part.then((found) => found.map((delivery) => ({ ...delivery, webhookId })));
    });
    return c.json({ totalRecords, deliveries: (await Promise.all(parts)).flat() }, 200);
  },
);
