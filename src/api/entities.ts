// Entities: the accounts of a source that webhooks are bound to (e.g. an affiliate account on wink).
import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, count, eq, notExists } from "drizzle-orm";
import { createRouter } from "../http/context";
import { requireKey } from "../http/auth";
import { conflict, notFound } from "../http/errors";
import { database } from "../db/client";
import { entities, webhooks } from "../db/schema";
import { tenantSecurity, bodyErrors, IdParam, json, jsonBodyOf, OrgParam, Paging, SourceName, tenantErrors } from "./common";

export const EntityName = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .openapi({ example: "Cool Account" });

const Entity = z
  .object({
    id: z.uuid(),
    orgId: z.string(),
    source: z.string().openapi({ example: "wink" }),
    name: z.string().openapi({ example: "Cool Account" }),
    created: z.number().int(),
    createdBy: z.string(),
  })
  .openapi("Entity");

const CreateEntity = z.strictObject({ source: SourceName, name: EntityName }).openapi("CreateEntity");

const route = { security: tenantSecurity, tags: ["Entities"] };
const Params = OrgParam.extend(IdParam.shape);

export const entitiesRouter = createRouter();
entitiesRouter.use("*", requireKey("admin"));

entitiesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/",
    summary: "Create an entity",
    request: { params: OrgParam, body: jsonBodyOf(CreateEntity) },
    responses: { 201: json(Entity, "Created"), ...tenantErrors, ...bodyErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const body = c.req.valid("json");
    const row = { id: crypto.randomUUID(), orgId: org, ...body, created: Date.now(), createdBy: c.var.principal.email };
    const inserted = await database(c.env.DB).insert(entities).values(row).onConflictDoNothing().returning();
    if (inserted.length === 0) {
      throw conflict(`entity ${body.name} already exists on ${body.source}`, [{ field: "name", reason: "is taken for this source" }]);
    }
    return c.json(row, 201);
  },
);

entitiesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/",
    summary: "List entities",
    request: { params: OrgParam, query: Paging.extend({ source: SourceName.optional() }) },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), entities: z.array(Entity) }), "The entities"), ...tenantErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const { limit, offset, source } = c.req.valid("query");
    const db = database(c.env.DB);
    const where = and(eq(entities.orgId, org), source ? eq(entities.source, source) : undefined);
    const [rows, [total]] = await Promise.all([
      db.select().from(entities).where(where).orderBy(asc(entities.source), asc(entities.name)).limit(limit).offset(offset).all(),
      db.select({ n: count() }).from(entities).where(where).all(),
    ]);
    return c.json({ totalRecords: total?.n ?? 0, entities: rows }, 200);
  },
);

entitiesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}",
    summary: "Get an entity",
    request: { params: Params },
    responses: { 200: json(Entity, "The entity"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const row = await database(c.env.DB).select().from(entities).where(and(eq(entities.orgId, org), eq(entities.id, id))).get();
    if (!row) throw notFound("entity");
    return c.json(row, 200);
  },
);

entitiesRouter.openapi(
  createRoute({
    ...route,
    method: "delete",
    path: "/{id}",
    summary: "Delete an entity no webhook is bound to",
    request: { params: Params },
    responses: { 204: { description: "Deleted" }, 409: bodyErrors[409], ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const db = database(c.env.DB);
    const boundWebhooks = db
      .select({ id: webhooks.id })
      .from(webhooks)
      .where(and(eq(webhooks.orgId, entities.orgId), eq(webhooks.source, entities.source), eq(webhooks.entity, entities.name)));
    // One statement, so a webhook bound concurrently can never be left pointing at nothing.
    const deleted = await db
      .delete(entities)
      .where(and(eq(entities.orgId, org), eq(entities.id, id), notExists(boundWebhooks)))
      .returning({ id: entities.id });
    if (deleted.length > 0) return c.body(null, 204);
    const row = await db.select().from(entities).where(and(eq(entities.orgId, org), eq(entities.id, id))).get();
    if (!row) throw notFound("entity");
    const bound = await db
      .select({ id: webhooks.id, name: webhooks.name })
      .from(webhooks)
      .where(and(eq(webhooks.orgId, org), eq(webhooks.source, row.source), eq(webhooks.entity, row.name)))
      .all();
    throw conflict(
      `entity ${row.name} is bound to ${bound.length} webhook(s); delete or rebind them first`,
      bound.map((w) => ({ field: `webhooks.${w.id}`, reason: `webhook ${w.name} is bound to this entity` })),
    );
  },
);
