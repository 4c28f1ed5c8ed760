// Ingest (producers post events) and the event log (admins read events and their deliveries).
// Ingest answers 202 after one D1 round trip that checks the key and the catalog and stores the
// events; the fan-out job is sent after the answer (a sweep sends it if the queue refused).
import { createRoute, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { and, desc, eq, count } from "drizzle-orm";
import type { Env } from "../env";
import { createRouter, validationError, type AppEnv } from "../http/context";
import { authenticatedKey, authorize, principalOf, producerKeyGuard, producerKeyGuardValues, readCredentials, requireKey, verifiedKey, type Credentials, type ProducerKeyGuardValues } from "../http/auth";
import { limitIngest, overIngestRate, refuseRecentlyLimited, underIngestRate } from "../http/rate-limit";
import { ApiError, badRequest, notFound, type ErrorDetail } from "../http/errors";
import { database, inList, prebuilt, type Database } from "../db/client";
import { activeKeyOf, activeKeyStatement, hashSecret, type ApiKeyRow } from "../db/api-keys";
import { entities, events, eventTypes } from "../db/schema";
import { findEvent, insertPostedEvents, originalsQuery, resolveStored, unstoreEvents, type PostedEvent, type StoredEvent } from "../db/events";
import type { FanoutJob } from "../delivery/jobs";
import { sequencer } from "../delivery/sequencer-client";
import { bodyErrors, errorResponse, IdParam, json, jsonBodyOf, OrgParam, Paging, SourceName, tenantErrors, tenantSecurity } from "./common";
import { EntityName } from "./entities";
import { EventTypeName } from "./event-types";
import { Delivery } from "./delivery-schemas";
import { describeError } from "../log";

export const MAX_BATCH = 100;

const ProducerId = z.string().min(1, "must not be empty").max(200, "must be at most 200 characters");

const EventInput = z.strictObject({
  type: EventTypeName,
  entity: EntityName.optional().openapi({ description: "The account the event is about; webhooks bound to it (or to no entity) get it" }),
  data: z.record(z.string(), z.unknown(), { error: "must be a JSON object" }).openapi({ example: { bookingId: "B-1001", amount: 120 } }),
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
    description: `One event ({type, entity, data, id}) or a batch ({events: [...]}, at most ${MAX_BATCH}). The whole body is at most MAX_BODY_BYTES (100 KB).`,
    example: { type: "booking.created", entity: "Cool Account", data: { bookingId: "B-1001" }, id: "booking-B-1001" },
  });

const Accepted = z.object({ id: z.uuid(), duplicate: z.boolean().openapi({ description: "true when this id was posted before; it is not delivered again" }) });
const AcceptedOne = Accepted.extend({ type: z.string(), created: z.number().int() }).openapi("AcceptedEvent");
const AcceptedBatch = z.object({ events: z.array(Accepted) }).openapi("AcceptedEvents");

const EventRecord = z
  .object({
    id: z.uuid(),
    kind: z.enum(["event", "test", "notification"]),
    source: z.string(),
    type: z.string(),
    entity: z.string().nullable(),
    producerId: z.string().nullable(),
    data: z.unknown(),
    created: z.number().int(),
    fannedOut: z.number().int().nullable().openapi({ description: "When the event reached all its webhooks' queues" }),
    webhookIds: z.array(z.string()).nullable(),
  })
  .openapi("Event");

const route = { security: tenantSecurity, tags: ["Events"] };

export const eventsRouter = createRouter();

eventsRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/",
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
        "Accepted: stored, and delivered to the matching webhooks unless a duplicate. Delivery follows even if the queue is briefly unavailable: a sweep that runs every minute sends the fan-out of events not fanned out 30 s after ingest.",
      ),
      ...tenantErrors,
      ...bodyErrors,
      429: errorResponse("Over this key's ingest rate; see Retry-After. Nothing was stored"),
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
    const created = Date.now();
    const posted: PostedEvent[] = inputs.map((input) => ({
      id: crypto.randomUUID(),
      type: input.type,
      entity: input.entity ?? null,
      idempotencyKey: input.id ?? null,
      data: JSON.stringify(input.data),
    }));
    const stored = await storePosted(c.env, c.var.credentials, org, posted, Boolean(body.events), created);
    const fresh = stored.filter((s) => !s.duplicate).map((s) => s.seq);
    if (fresh.length > 0) c.executionCtx.waitUntil(queueFanout(c.env, { kind: "fanout", orgId: org, seqs: fresh }));
    if (body.events) return c.json({ events: stored.map(({ id, duplicate }) => ({ id, duplicate })) }, 202);
    const [one] = stored;
    return c.json({ id: one!.id, duplicate: one!.duplicate, type: posted[0]!.type, created }, 202);
  },
  (result, c) => (result.success ? undefined : refuseInvalid(c, validationError(result))),
);

/**
 * Ingest reads the key here without touching storage (a missing or malformed one is a 401 before
 * the body is looked at, as on every route); storePosted checks it in the batch that stores the events.
 */
function producerCredentials(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("credentials", readCredentials(c.req.header("authorization")));
    await next();
  };
}

/**
 * Refuses a request that is not valid with `error`, but first with what its key and rate deserve,
 * in the order every route answers: 401, 404, 403, 429, then 400. Only invalid requests pay this
 * extra round trip.
 */
async function refuseInvalid(c: Context<AppEnv>, error: ApiError): Promise<never> {
  const key = await authenticatedKey(c.env.DB, c.var.credentials);
  authorize(principalOf(key), c.req.param("org"), "producer");
  await limitIngest(c.env, key);
  throw error;
}

// Ingest's insert, built once: building the SQL per request cost more CPU than the rest.
const insertPosted = prebuilt<"posted" | "created" | keyof ProducerKeyGuardValues>((db) => insertPostedEvents(db, producerKeyGuard()));

/**
 * Checks the key and the catalog and stores the events in one D1 round trip, with the rate limiter
 * asked alongside. A second round trip is made only when fewer events were stored than posted, to
 * find out why: duplicates, or (nothing stored) an unknown type or entity.
 */
async function storePosted(env: Env, credentials: Credentials, org: string, posted: PostedEvent[], batch: boolean, created: number): Promise<StoredEvent[]> {
  const presentedHash = await hashSecret(credentials.secret);
  refuseRecentlyLimited(credentials, presentedHash, org);
  const [underRate, [keyResult, insertResult]] = await Promise.all([
    underIngestRate(env, credentials.keyId, presentedHash),
    env.DB.batch([
      activeKeyStatement(env.DB, { keyId: credentials.keyId }),
      insertPosted(env.DB, { posted: JSON.stringify(posted), created, ...producerKeyGuardValues(credentials, presentedHash, org) }),
    ]),
  ]);
  const inserted = insertResult!.results as { id: string; seq: number }[];
  const insertedSeqs = inserted.map((row) => row.seq);
  let key: ApiKeyRow;
  try {
    key = verifiedKey(activeKeyOf(keyResult!.results[0] as Record<string, unknown> | undefined), credentials, presentedHash);
    authorize(principalOf(key), org, "producer");
  } catch (refusal) {
    if (insertedSeqs.length > 0) {
      // producerKeyGuard let in a key these checks refuse: the two have drifted apart.
      await unstoreEvents(env.DB, insertedSeqs);
      throw new Error("ingest stored events for a key the key checks refuse; producerKeyGuard and verifiedKey/authorize disagree");
    }
    throw refusal;
  }
  if (!underRate) {
    // The limiter was asked alongside the insert, so its refusal comes after the events were stored:
    // take back what this request stored (no fan-out job was sent yet).
    await unstoreEvents(env.DB, insertedSeqs);
    throw overIngestRate(key);
  }
  const rows = posted.map((event) => ({ ...event, source: key.source! }));
  if (inserted.length === posted.length) return resolveStored(rows, inserted, []);
  const producerKeys = [...new Set(posted.flatMap((event) => event.idempotencyKey ?? []))];
  const db = database(env.DB);
  const [catalogTypes, catalogEntities, originals] = await db.batch([
    ...catalogQueries(db, org, key.source!, posted),
    originalsQuery(db, org, key.source!, producerKeys),
  ]);
  // The insert is all or nothing: if it stored any event, every type and entity was known.
  if (inserted.length === 0) assertKnown(key.source!, posted, catalogTypes, catalogEntities, batch);
  return resolveStored(rows, inserted, originals);
}

/** Which of the events' types and entities the catalog of `source` has. */
function catalogQueries(db: Database, orgId: string, source: string, inputs: Pick<PostedEvent, "type" | "entity">[]) {
  const types = [...new Set(inputs.map((i) => i.type))];
  const names = [...new Set(inputs.flatMap((i) => (i.entity ? [i.entity] : [])))];
  return [
    db.select({ name: eventTypes.name }).from(eventTypes).where(and(eq(eventTypes.orgId, orgId), eq(eventTypes.source, source), inList(eventTypes.name, types))),
    db.select({ name: entities.name }).from(entities).where(and(eq(entities.orgId, orgId), eq(entities.source, source), inList(entities.name, names))),
  ] as const;
}

/** Every type must be in the source's catalog and every entity must exist: 400 naming each. */
function assertKnown(source: string, inputs: Pick<PostedEvent, "type" | "entity">[], knownTypes: { name: string }[], knownEntities: { name: string }[], batch: boolean) {
  const typeSet = new Set(knownTypes.map((t) => t.name));
  const entitySet = new Set(knownEntities.map((e) => e.name));
  const problems: ErrorDetail[] = [];
  inputs.forEach((input, i) => {
    const at = batch ? `events.${i}.` : "";
    if (!typeSet.has(input.type)) problems.push({ field: `${at}type`, reason: `${input.type} is not an event type of ${source} in the catalog` });
    if (input.entity && !entitySet.has(input.entity)) problems.push({ field: `${at}entity`, reason: `no entity named ${JSON.stringify(input.entity)} exists on ${source}` });
  });
  if (problems.length > 0) throw badRequest("The events name unknown types or entities; nothing was stored", problems);
}

/**
 * Sends the fan-out job after the answer. The events are stored whatever happens here: if the
 * queue refuses the job, the fan-out sweep (src/delivery/fanout-sweep.ts) sends it later.
 */
async function queueFanout(env: Env, job: FanoutJob): Promise<void> {
  try {
    await env.JOBS.send(job);
  } catch (e) {
    console.error("ingest: fan-out job not queued; the fan-out sweep will send it", describeError(e));
  }
}

const admin = requireKey("admin");
const EventParams = OrgParam.extend(IdParam.shape);

function toEventRecord(row: NonNullable<Awaited<ReturnType<typeof findEvent>>>): z.infer<typeof EventRecord> {
  return {
    id: row.id,
    kind: row.kind,
    source: row.source,
    type: row.type,
    entity: row.entity,
    producerId: row.idempotencyKey,
    data: JSON.parse(row.data),
    created: row.created,
    fannedOut: row.fannedOut,
    webhookIds: row.webhookIds,
  };
}

eventsRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/",
    summary: "List events, newest first",
    middleware: admin,
    request: { params: OrgParam, query: Paging.extend({ type: EventTypeName.optional(), source: SourceName.optional() }) },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), events: z.array(EventRecord) }), "The events"), ...tenantErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const { limit, offset, type, source } = c.req.valid("query");
    const db = database(c.env.DB);
    const where = and(eq(events.orgId, org), type ? eq(events.type, type) : undefined, source ? eq(events.source, source) : undefined);
    const [rows, [total]] = await db.batch([
      db.select().from(events).where(where).orderBy(desc(events.seq)).limit(limit).offset(offset),
      db.select({ n: count() }).from(events).where(where),
    ]);
    return c.json({ totalRecords: total?.n ?? 0, events: rows.map(toEventRecord) }, 200);
  },
);

eventsRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}",
    summary: "Get an event",
    middleware: admin,
    request: { params: EventParams },
    responses: { 200: json(EventRecord, "The event"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const row = await findEvent(c.env.DB, org, id);
    if (!row) throw notFound("event");
    return c.json(toEventRecord(row), 200);
  },
);

const EventDelivery = Delivery.extend({ webhookId: z.uuid() }).openapi("EventDelivery");

eventsRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}/deliveries",
    summary: "The deliveries of one event, across its webhooks",
    middleware: admin,
    request: { params: EventParams, query: Paging },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), deliveries: z.array(EventDelivery) }), "Its deliveries, paged by webhook"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const { limit, offset } = c.req.valid("query");
    const row = await findEvent(c.env.DB, org, id);
    if (!row) throw notFound("event");
    const webhookIds = (row.webhookIds ?? []).slice(offset, offset + limit);
    const lists = await Promise.all(
      webhookIds.map(async (webhookId) => {
        const list = await sequencer(c.env, webhookId).list({ eventId: id, limit: 100, offset: 0 });
        return list.deliveries.map((d) => ({ ...d, webhookId }));
      }),
    );
    return c.json({ totalRecords: row.webhookIds?.length ?? 0, deliveries: lists.flat() }, 200);
  },
);
