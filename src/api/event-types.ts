// The event-type catalog per source (booking.created, …): what webhooks may subscribe to and
// what producers may post.
import { createRoute, z } from "@hono/zod-openapi";
import { announcesConfigChanges } from "../http/config-changes";
import { createRouter } from "../http/context";
import { refuseBody } from "../http/json-body";
import { requireKey } from "../http/auth";
import { deleteUnsubscribedEventType, findEventType, insertEventType, listEventTypes, webhooksSubscribedTo, type EventTypeRow } from "../db/event-types";
import { conflict, notFound } from "../errors";
import type { Author } from "../db/client";
import { tenantSecurity, bodyErrors, IdParam, json, jsonBodyOf, OrgParam, Paging, SourceName, TenantSourceName, tenantErrors, sentBodyErrors } from "./common";

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

export const CreateEventType = z
  .strictObject({
    source: TenantSourceName,
    name: EventTypeName,
    description: z.string().max(1000, "must be at most 1000 characters").optional(),
  })
  .openapi("CreateEventType");

// The catalog's rules, for this API and the page: one name per source, and no removal while webhooks subscribe.

export async function createEventType(
  d1: D1Database,
  author: Author,
  input: { source: string; name: string; description?: string | undefined },
): Promise<EventTypeRow> {
  const row = await insertEventType(d1, author, input);
  if (!row) throw conflict(`event type ${input.name} already exists on ${input.source}`, [{ field: "name", reason: "is already in the catalog" }]);
  return row;
}

export async function getEventType(d1: D1Database, orgId: string, id: string): Promise<EventTypeRow> {
  const row = await findEventType(d1, orgId, id);
  if (!row) throw notFound("event type");
  return row;
}

/** Removes an event type no webhook subscribes to by name; 409 naming the subscribers otherwise. */
export async function deleteEventType(d1: D1Database, orgId: string, id: string): Promise<void> {
  if (await deleteUnsubscribedEventType(d1, orgId, id)) return;
  const row = await getEventType(d1, orgId, id);
  const subscribed = await webhooksSubscribedTo(d1, row);
  throw conflict(
    `event type ${row.name} has ${subscribed.length} subscribed webhook(s); unsubscribe them first`,
    subscribed.map((w) => ({ field: `webhooks.${w.id}`, reason: `webhook ${w.name} subscribes to ${row.name}` })),
  );
}

const route = { security: tenantSecurity, tags: ["Event types"] };
const Params = OrgParam.extend(IdParam.shape);

export const eventTypesRouter = createRouter();
eventTypesRouter.use("*", requireKey("admin"));
eventTypesRouter.use("*", announcesConfigChanges((c) => c.req.param("org")));

eventTypesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/",
    operationId: "createEventType",
    summary: "Add an event type to the catalog",
    request: { params: OrgParam, body: jsonBodyOf(CreateEventType) },
    responses: { 201: json(EventType, "Created"), ...tenantErrors, ...bodyErrors },
  }),
  async (c) => {
    return c.json(await createEventType(c.env.DB, c.var.principal, c.req.valid("json")), 201);
  },
);

eventTypesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/",
    operationId: "listEventTypes",
    summary: "List the event-type catalog",
    request: { params: OrgParam, query: Paging.extend({ source: SourceName.optional() }) },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), eventTypes: z.array(EventType) }), "The catalog"), ...tenantErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    return c.json(await listEventTypes(c.env.DB, org, c.req.valid("query")), 200);
  },
);

eventTypesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}",
    operationId: "getEventType",
    summary: "Get an event type",
    request: { params: Params },
    responses: { 200: json(EventType, "The event type"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    return c.json(await getEventType(c.env.DB, org, id), 200);
  },
);

eventTypesRouter.openapi(
  createRoute({
    ...route,
    method: "delete",
    path: "/{id}",
    operationId: "deleteEventType",
    summary: "Remove an event type no webhook subscribes to by name",
    request: { params: Params },
    responses: { 204: { description: "Deleted" }, 409: bodyErrors[409], ...tenantErrors, ...sentBodyErrors },
  }),
  async (c) => {
    await refuseBody(c);
    const { org, id } = c.req.valid("param");
    await deleteEventType(c.env.DB, org, id);
    return c.body(null, 204);
  },
);
