// Entities: the accounts of a source that webhooks are bound to (e.g. an affiliate account on wink).
import { createRoute, z } from "@hono/zod-openapi";
import { announcesConfigChanges } from "../http/config-changes";
import { createRouter } from "../http/context";
import { refuseBody } from "../http/json-body";
import { requireKey } from "../http/auth";
import { deleteUnboundEntity, findEntity, insertEntity, listEntities, webhooksBoundTo, type EntityRow } from "../db/entities";
import { conflict, notFound } from "../errors";
import type { Author } from "../db/client";
import { NonBlank, tenantSecurity, bodyErrors, IdParam, json, jsonBodyOf, OrgParam, Paging, SourceName, TenantSourceName, tenantErrors, sentBodyErrors } from "./common";

export const EntityName = NonBlank(200).openapi({ example: "Cool Account" });

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

export const CreateEntity = z.strictObject({ source: TenantSourceName, name: EntityName }).openapi("CreateEntity");

// The entity rules, for this API and the page: one name per source, and no removal while webhooks are bound.

export async function createEntity(d1: D1Database, author: Author, input: { source: string; name: string }): Promise<EntityRow> {
  const row = await insertEntity(d1, author, input);
  if (!row) throw conflict(`entity ${input.name} already exists on ${input.source}`, [{ field: "name", reason: "is taken for this source" }]);
  return row;
}

export async function getEntity(d1: D1Database, orgId: string, id: string): Promise<EntityRow> {
  const row = await findEntity(d1, orgId, id);
  if (!row) throw notFound("entity");
  return row;
}

/** Deletes an entity no webhook is bound to; 409 naming the bound webhooks otherwise. */
export async function deleteEntity(d1: D1Database, orgId: string, id: string): Promise<void> {
  if (await deleteUnboundEntity(d1, orgId, id)) return;
  const row = await getEntity(d1, orgId, id);
  const bound = await webhooksBoundTo(d1, row);
  throw conflict(
    `entity ${row.name} is bound to ${bound.length} webhook(s); delete or rebind them first`,
    bound.map((w) => ({ field: `webhooks.${w.id}`, reason: `webhook ${w.name} is bound to this entity` })),
  );
}

const route = { security: tenantSecurity, tags: ["Entities"] };
const Params = OrgParam.extend(IdParam.shape);

export const entitiesRouter = createRouter();
entitiesRouter.use("*", requireKey("admin"));
entitiesRouter.use("*", announcesConfigChanges((c) => c.req.param("org")));

entitiesRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/",
    operationId: "createEntity",
    summary: "Create an entity",
    request: { params: OrgParam, body: jsonBodyOf(CreateEntity) },
    responses: { 201: json(Entity, "Created"), ...tenantErrors, ...bodyErrors },
  }),
  async (c) => {
    return c.json(await createEntity(c.env.DB, c.var.principal, c.req.valid("json")), 201);
  },
);

entitiesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/",
    operationId: "listEntities",
    summary: "List entities",
    request: { params: OrgParam, query: Paging.extend({ source: SourceName.optional() }) },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), entities: z.array(Entity) }), "The entities"), ...tenantErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    return c.json(await listEntities(c.env.DB, org, c.req.valid("query")), 200);
  },
);

entitiesRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}",
    operationId: "getEntity",
    summary: "Get an entity",
    request: { params: Params },
    responses: { 200: json(Entity, "The entity"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    return c.json(await getEntity(c.env.DB, org, id), 200);
  },
);

entitiesRouter.openapi(
  createRoute({
    ...route,
    method: "delete",
    path: "/{id}",
    operationId: "deleteEntity",
    summary: "Delete an entity no webhook is bound to",
    request: { params: Params },
    responses: { 204: { description: "Deleted" }, 409: bodyErrors[409], ...tenantErrors, ...sentBodyErrors },
  }),
  async (c) => {
    await refuseBody(c);
    const { org, id } = c.req.valid("param");
    await deleteEntity(c.env.DB, org, id);
    return c.body(null, 204);
  },
);
