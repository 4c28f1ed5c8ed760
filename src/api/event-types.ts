// The event-type catalog per source (booking.created, …): what webhooks may subscribe to and
// what producers may post.
import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, count, eq, sql } from "drizzle-orm";
import { createRouter } from "../http/context";
import { requireKey } from "../http/auth";
import { conflict, notFound } from "../http/errors";
import { database } from "../db/client";
import { eventTypes, webhooks } from "../db/schema";
import { tenantSecurity, bodyErrors, IdParam, json, jsonBodyOf, OrgParam, Paging, SourceName, tenantErrors } from "./common";

export const EventTypeName = z
  .string()
  .max(100, "must be at most 100 characters")
  .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/, "must be dot-separated lowercase words, like booking.created")
  .openapi({ example: "booking.created" });

const EventType = z
  .object({
    id: z.uuid(),
    orgId: z.string(),
    source: z.string().openapi({ example: "wink" }),
    name: z.string().openapi({ example: "booking.created" }),
    description: z.string().nullable(),
    created: z.number().int(),
    createdBy: z.string(),
  })
  .openapi("EventType");

const CreateEventType = z
  .strictObject({
    source: SourceName,
    name: EventTypeName,
    description: z.string().max(1000, "must be at most 1000 characters").optional(),
  })
  .openapi("CreateEventType");

const route = { security: tenantSecurity, tags: ["Event types"] };
const Params = OrgParam.extend(IdParam.shape);

export const eventTypesRouter = createRouter();
eventTypesRouter.use("*", requireKey("admin"));

eventTypesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/",
    summary: "Add an event type to the catalog",
    request: { params: OrgParam, body: jsonBodyOf(CreateEventType) },
    responses: { 201: json(EventType, "Created"), ...tenantErrors, ...bodyErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const body = c.req.valid("json");
    const row = {
      id: crypto.randomUUID(),
      orgId: org,
      source: body.source,
      name: body.name,
      description: body.description ?? null,
      created: Date.now(),
      createdBy: c.var.principal.email,
    };
    const inserted = await database(c.env.DB).insert(eventTypes).values(row).onConflictDoNothing().returning();
    if (inserted.length === 0) {
      throw conflict(`event type ${body.name} already exists on ${body.source}`, [{ field: "name", reason: "is already in the catalog" }]);
    }
    return c.json(row, 201);
  },
);

eventTypesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/",
    summary: "List the event-type catalog",
    request: { params: OrgParam, query: Paging.extend({ source: SourceName.optional() }) },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), eventTypes: z.array(EventType) }), "The catalog"), ...tenantErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const { limit, offset, source } = c.req.valid("query");
    const db = database(c.env.DB);
    const where = and(eq(eventTypes.orgId, org), source ? eq(eventTypes.source, source) : undefined);
    const [rows, [total]] = await Promise.all([
      db.select().from(eventTypes).where(where).orderBy(asc(eventTypes.source), asc(eventTypes.name)).limit(limit).offset(offset).all(),
      db.select({ n: count() }).from(eventTypes).where(where).all(),
    ]);
    return c.json({ totalRecords: total?.n ?? 0, eventTypes: rows }, 200);
  },
);

eventTypesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}",
    summary: "Get an event type",
    request: { params: Params },
    responses: { 200: json(EventType, "The event type"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const row = await database(c.env.DB).select().from(eventTypes).where(and(eq(eventTypes.orgId, org), eq(eventTypes.id, id))).get();
    if (!row) throw notFound("event type");
    return c.json(row, 200);
  },
);

eventTypesRouter.openapi(
  createRoute({
    ...route,
    method: "delete",
    path: "/{id}",
    summary: "Remove an event type no webhook subscribes to by name",
    request: { params: Params },
    responses: { 204: { description: "Deleted" }, 409: bodyErrors[409], ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const db = database(c.env.DB);
    const subscribers = sql`(SELECT 1 FROM ${webhooks} WHERE ${webhooks.orgId} = ${eventTypes.orgId} AND ${webhooks.source} = ${eventTypes.source} AND EXISTS (SELECT 1 FROM json_each(${webhooks.events}) WHERE json_each.value = ${eventTypes.name}))`;
    const deleted = await db
      .delete(eventTypes)
      .where(and(eq(eventTypes.orgId, org), eq(eventTypes.id, id), sql`NOT EXISTS ${subscribers}`))
      .returning({ id: eventTypes.id });
    if (deleted.length > 0) return c.body(null, 204);
    const row = await db.select().from(eventTypes).where(and(eq(eventTypes.orgId, org), eq(eventTypes.id, id))).get();
    if (!row) throw notFound("event type");
    const subscribed = await db
      .select({ id: webhooks.id, name: webhooks.name })
      .from(webhooks)
      .where(
        and(
          eq(webhooks.orgId, org),
          eq(webhooks.source, row.source),
          sql`EXISTS (SELECT 1 FROM json_each(${webhooks.events}) WHERE json_each.value = ${row.name})`,
        ),
      )
      .all();
    throw conflict(
      `event type ${row.name} has ${subscribed.length} subscribed webhook(s); unsubscribe them first`,
      subscribed.map((w) => ({ field: `webhooks.${w.id}`, reason: `webhook ${w.name} subscribes to ${row.name}` })),
    );
  },
);
