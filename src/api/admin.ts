// Operator routes (platform admin token): organizations, their API keys and their event logs.
import { createRoute, z } from "@hono/zod-openapi";
import pLimit from "p-limit";
import { and, eq, getTableColumns, sql } from "drizzle-orm";
import type { Env } from "../env";
import { createRouter } from "../http/context";
import { refuseBody } from "../http/json-body";
import { requireAdminToken } from "../http/auth";
import { conflict, notFound } from "../errors";
import { database, pagedWithTotal } from "../db/client";
import { apiKeys, organizations } from "../db/schema";
import { webhookNamesOf } from "../db/webhooks";
import { eventLog } from "../ingest/event-log-client";
import { forgetKey } from "../ingest/admission";
import { sequencer } from "../delivery/sequencer-client";
import { hashSecret, newApiKey } from "../db/api-keys";
import { bodyErrors, Email, json, jsonBodyOf, OrgParam, Paging, pagingUpTo, TenantSourceName, tenantErrors, sentBodyErrors } from "./common";
import { CreateOrganization, Organization, UpdateOrganization } from "./organization-schemas";

const ApiKey = z
  .object({
    id: z.string().openapi({ example: "3f2a9c0b1d4e5f6a7b8c9d0e" }),
    orgId: z.string(),
    email: z.string(),
    role: z.enum(["admin", "producer"]),
    source: z.string().nullable(),
    created: z.number().int(),
    revoked: z.number().int().nullable(),
  })
  .openapi("ApiKey");

const CreatedApiKey = ApiKey.extend({
  key: z.string().openapi({ description: "The key itself. Shown only in this answer; store it now." }),
}).openapi("CreatedApiKey");

const CreateApiKey = z
  .strictObject({
    email: Email("must be an e-mail address").max(254),
    role: z.enum(["admin", "producer"]),
    source: TenantSourceName.optional().openapi({ description: "Required for producer keys: the source of the events they post" }),
  })
  .superRefine((value, ctx) => {
    if (value.role === "producer" && !value.source) {
      ctx.addIssue({ code: "custom", path: ["source"], message: "is required for a producer key" });
    }
    if (value.role === "admin" && value.source) {
      ctx.addIssue({ code: "custom", path: ["source"], message: "is only for producer keys" });
    }
  })
  .openapi("CreateApiKey", {
    oneOf: [
      { properties: { role: { const: "admin" } }, not: { required: ["source"] } },
      { properties: { role: { const: "producer" } }, required: ["source"] },
    ],
  });

const KeyParam = OrgParam.extend({
  keyId: z.string().regex(/^[0-9a-f]{24}$/, "must be a key id").openapi({ param: { name: "keyId", in: "path" } }),
});

const admin = { security: [{ adminToken: [] }] as Record<string, string[]>[], tags: ["Operator"] };
const adminErrors = { 400: tenantErrors[400], 401: tenantErrors[401], 404: tenantErrors[404], 405: tenantErrors[405] };

export const adminRouter = createRouter();
adminRouter.use("*", requireAdminToken());

adminRouter.openapi(
  createRoute({
    ...admin,
    method: "post",
    path: "/organizations",
    operationId: "createOrganization",
    summary: "Create an organization",
    request: { body: jsonBodyOf(CreateOrganization) },
    responses: { 201: json(Organization, "Created"), ...adminErrors, ...bodyErrors },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const row = {
      id: body.id,
      name: body.name,
      created: Date.now(),
      displayName: body.displayName ?? null,
      accentColor: body.accentColor ?? null,
      frameAncestors: body.frameAncestors ?? [],
    };
    const inserted = await database(c.env.DB).insert(organizations).values(row).onConflictDoNothing().returning();
    if (inserted.length === 0) throw conflict(`organization ${body.id} already exists`, [{ field: "id", reason: "is taken" }]);
    return c.json(row, 201);
  },
);

adminRouter.openapi(
  createRoute({
    ...admin,
    method: "get",
    path: "/organizations",
    operationId: "listOrganizations",
    summary: "List organizations",
    responses: { 200: json(z.object({ organizations: z.array(Organization) }), "The organizations"), ...adminErrors },
  }),
  async (c) => {
    const rows = await database(c.env.DB).select().from(organizations).orderBy(organizations.id).all();
    return c.json({ organizations: rows }, 200);
  },
);

adminRouter.openapi(
  createRoute({
    ...admin,
    method: "get",
    path: "/organizations/{org}",
    operationId: "getOrganization",
    summary: "Get an organization",
    request: { params: OrgParam },
    responses: { 200: json(Organization, "The organization"), ...adminErrors },
  }),
  async (c) => {
    const row = await database(c.env.DB).select().from(organizations).where(eq(organizations.id, c.req.valid("param").org)).get();
    if (!row) throw notFound("organization");
    return c.json(row, 200);
  },
);

adminRouter.openapi(
  createRoute({
    ...admin,
    method: "patch",
    path: "/organizations/{org}",
    operationId: "updateOrganization",
    summary: "Change an organization's name or the settings of its portal pages (display name, accent colour, frame origins)",
    request: { params: OrgParam, body: jsonBodyOf(UpdateOrganization) },
    responses: { 200: json(Organization, "The organization as changed"), ...adminErrors, ...bodyErrors },
  }),
  async (c) => {
    const updated = await database(c.env.DB)
      .update(organizations)
      .set(c.req.valid("json"))
      .where(eq(organizations.id, c.req.valid("param").org))
      .returning();
    if (!updated[0]) throw notFound("organization");
    return c.json(updated[0], 200);
  },
);

adminRouter.openapi(
  createRoute({
    ...admin,
    method: "post",
    path: "/organizations/{org}/keys",
    operationId: "createApiKey",
    summary: "Create an API key (shown once)",
    request: { params: OrgParam, body: jsonBodyOf(CreateApiKey) },
    responses: { 201: json(CreatedApiKey, "Created; `key` is shown only now"), ...adminErrors, ...bodyErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const body = c.req.valid("json");
    const db = database(c.env.DB);
    const exists = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, org)).get();
    if (!exists) throw notFound("organization");
    const { keyId, secret, key } = newApiKey();
    const row = {
      id: keyId,
      orgId: org,
      email: body.email,
      role: body.role,
      source: body.source ?? null,
      secretHash: await hashSecret(secret),
      created: Date.now(),
      revoked: null,
    };
    await db.insert(apiKeys).values(row);
    const { secretHash: _, ...shown } = row;
    return c.json({ ...shown, key }, 201);
  },
);

adminRouter.openapi(
  createRoute({
    ...admin,
    method: "get",
    path: "/organizations/{org}/keys",
    operationId: "listApiKeys",
    summary: "List an organization's API keys (never the keys themselves)",
    request: { params: OrgParam },
    responses: { 200: json(z.object({ keys: z.array(ApiKey) }), "The keys"), ...adminErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const db = database(c.env.DB);
    const exists = await db.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, org)).get();
    if (!exists) throw notFound("organization");
    const { secretHash: _, ...columns } = getTableColumns(apiKeys);
    const rows = await db.select(columns).from(apiKeys).where(eq(apiKeys.orgId, org)).orderBy(apiKeys.created).all();
    return c.json({ keys: rows }, 200);
  },
);

adminRouter.openapi(
  createRoute({
    ...admin,
    method: "delete",
    path: "/organizations/{org}/keys/{keyId}",
    operationId: "revokeApiKey",
    summary: "Revoke an API key",
    request: { params: KeyParam },
    responses: { 204: { description: "Revoked" }, ...adminErrors, ...sentBodyErrors },
  }),
  async (c) => {
    await refuseBody(c);
    const { org, keyId } = c.req.valid("param");
    const revoked = await database(c.env.DB)
      .update(apiKeys)
      .set({ revoked: sql`coalesce(${apiKeys.revoked}, ${Date.now()})` })
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.orgId, org)))
      .returning({ id: apiKeys.id });
    if (revoked.length === 0) throw notFound("key");
    // Here at once; other isolates within KEY_CACHE_MS (src/ingest/admission.ts).
    forgetKey(keyId);
    return c.body(null, 204);
  },
);

const EventLogStatus = z
  .object({
    orgId: z.string(),
    behind: z.number().int().openapi({ description: "Events stored and not yet fanned out to all their webhooks" }),
    oldestWaiting: z
      .object({ seq: z.number().int(), eventId: z.string(), ageMs: z.number().int(), redrives: z.number().int() })
      .nullable()
      .openapi({ description: "The oldest event waiting for its fan-out: how long it has waited and how often the log re-drove it" }),
    watermark: z.number().int().openapi({ description: "Events with a smaller seq have reached all their webhooks" }),
    latestSeq: z.number().int(),
    lastFanoutError: z.object({ message: z.string(), at: z.number().int() }).nullable(),
    storage: z.object({ events: z.number().int(), bytes: z.number().int() }).openapi({ description: "What the organization's event log stores" }),
  })
  .openapi("EventLogStatus");

const statusOf = async (env: Env, orgId: string) => ({ ...(await eventLog(env, orgId).status()), orgId });

adminRouter.openapi(
  createRoute({
    ...admin,
    method: "get",
    path: "/event-logs",
    operationId: "listEventLogs",
    summary: "The organizations' event logs, by organization id: fan-out lag, last error, storage",
    description:
      "Pages over organizations (`totalRecords` counts them all); `behind=true` keeps, of the page, only those whose fan-out is behind (events waiting for it).",
    request: { query: Paging.extend({ behind: z.enum(["true", "false"]).optional().openapi({ description: "true: only event logs with events waiting for their fan-out" }) }) },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), eventLogs: z.array(EventLogStatus) }), "The event logs of this page of organizations"), ...adminErrors },
  }),
  async (c) => {
    const { limit, offset, behind } = c.req.valid("query");
    const db = database(c.env.DB);
    const ordered = db.select({ id: organizations.id }).from(organizations).orderBy(organizations.id).$dynamic();
    const { rows, totalRecords } = await pagedWithTotal(db, organizations, undefined, ordered, { limit, offset });
    const statuses = await Promise.all(rows.map((row) => statusOf(c.env, row.id)));
    return c.json({ totalRecords, eventLogs: statuses.filter((s) => behind !== "true" || s.behind > 0) }, 200);
  },
);

adminRouter.openapi(
  createRoute({
    ...admin,
    method: "get",
    path: "/organizations/{org}/event-log",
    operationId: "getEventLog",
    summary: "An organization's event log: fan-out lag, last error, storage",
    request: { params: OrgParam },
    responses: { 200: json(EventLogStatus, "Its status"), ...adminErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    await assertOrganization(c.env, org);
    return c.json(await statusOf(c.env, org), 200);
  },
);

/** Webhooks per page of the storage figures, and how many of their sequencers are asked at once. */
const STORAGE_PAGE_SIZE = 100;
const STORAGE_CALLS_AT_ONCE = 10;

const WebhookStorage = z
  .object({
    webhookId: z.string(),
    name: z.string(),
    rows: z.number().int().openapi({ description: "Deliveries its sequencer keeps, each with its attempt log" }),
    bytes: z.number().int().openapi({ description: "The size of its sequencer's database" }),
  })
  .openapi("WebhookStorage");

adminRouter.openapi(
  createRoute({
    ...admin,
    method: "get",
    path: "/organizations/{org}/webhook-storage",
    operationId: "listWebhookStorage",
    summary: "What an organization's webhooks' sequencers store, a page of webhooks at a time",
    description: `Each webhook's deliveries with their attempt logs, as its sequencer counts them: one request to a sequencer per webhook of the page (at most ${STORAGE_PAGE_SIZE}), so an organization of any size is read in bounded calls. Webhooks oldest first; \`totalRecords\` counts them all.`,
    request: { params: OrgParam, query: pagingUpTo(STORAGE_PAGE_SIZE) },
    responses: { 200: json(z.object({ totalRecords: z.number().int(), webhooks: z.array(WebhookStorage) }), "This page of webhooks and what each stores"), ...adminErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const { limit, offset } = c.req.valid("query");
    await assertOrganization(c.env, org);
    const { rows, totalRecords } = await webhookNamesOf(c.env.DB, org, { limit, offset });
    const atOnce = pLimit(STORAGE_CALLS_AT_ONCE);
    const stored = await Promise.all(rows.map(({ id, name }) => atOnce(async () => ({ webhookId: id, name, ...(await sequencer(c.env, id).storageStats()) }))));
    return c.json({ totalRecords, webhooks: stored }, 200);
  },
);

adminRouter.openapi(
  createRoute({
    ...admin,
    method: "post",
    path: "/organizations/{org}/event-log/redrive",
    operationId: "redriveEventLog",
    summary: "Send the fan-out of every event waiting for it now, its back-off reset",
    request: { params: OrgParam },
    responses: { 202: json(z.object({ redriven: z.number().int() }), "How many events' fan-out was sent again"), ...adminErrors, ...sentBodyErrors },
  }),
  async (c) => {
    await refuseBody(c);
    const { org } = c.req.valid("param");
    await assertOrganization(c.env, org);
    return c.json({ redriven: await eventLog(c.env, org).redrive() }, 202);
  },
);

async function assertOrganization(env: Env, org: string) {
  const exists = await database(env.DB).select({ id: organizations.id }).from(organizations).where(eq(organizations.id, org)).get();
  if (!exists) throw notFound("organization");
}
