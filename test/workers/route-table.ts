// Every operation of the API, read from /openapi.json (so a new route is covered by the isolation
// matrix and the bad-input properties the moment it is documented), and an organization holding
// one of everything, so each operation can be called on data that exists.
import { env } from "cloudflare:workers";
import { eq, getTableName, is, sql } from "drizzle-orm";
import { SQLiteTable, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import * as schema from "../../src/db/schema";
import { database } from "../../src/db/client";
import { admin, call, createKey, createTenant, createWebhook, eventTypesPath, seedWinkCatalog, webhooksPath, type Tenant } from "./helpers";
import { finalDeliveries, postEvent, receiverUrl } from "./delivery-helpers";
import { conditionBody, createCondition, usageReport } from "./notification-helpers";

export interface Operation {
  /** "METHOD /path/{param}" as in the document. */
  name: string;
  method: string;
  template: string;
  takesBody: boolean;
  /** Its query parameters and their JSON schemas. */
  query: { name: string; schema: Record<string, any> }[];
  /** Who may call it: the operator's admin token, or a tenant key of this role. */
  caller: "operator" | "admin" | "producer" | "any";
}

/** Tenant operations that are not for admin keys (every other tenant operation is). */
const CALLERS: Record<string, Operation["caller"]> = {
  "POST /v1/organizations/{org}/events": "producer",
  "POST /v1/organizations/{org}/usage": "any",
};

/**
 * A body the operation would accept, so that a refusal is down to the caller and not the body.
 * Operations without one here get `{}`.
 */
const VALID_BODIES: Record<string, object> = {
  "POST /v1/admin/organizations": { id: "intruder-org", name: "Intruder" },
  "POST /v1/admin/organizations/{org}/keys": { email: "intruder@example.com", role: "admin" },
  "POST /v1/organizations/{org}/entities": { source: "wink", name: "Intruder Account" },
  "POST /v1/organizations/{org}/event-types": { source: "wink", name: "intruder.arrived" },
  "POST /v1/mint/organizations/{org}/webhooks": { name: "intruder", postURL: "https://intruder.example/hook" },
  "PUT /v1/mint/organizations/{org}/webhooks/{id}": { postURL: "https://intruder.example/hook" },
  "POST /v1/mint/organizations/{org}/webhooks/{id}": { enabled: "false" },
  "POST /v1/mint/organizations/{org}/webhooks/{id}/recover": { since: 0 },
  "POST /v1/organizations/{org}/events": { type: "booking.created", entity: "Cool Account", data: { intruder: true } },
  "POST /v1/mint/organizations/{org}/notification-conditions": (data: Populated) => conditionBody("intruder-plan", "%= 50", [data.ids.webhooks!]),
  "PUT /v1/mint/organizations/{org}/notification-conditions/{id}": (data: Populated) => conditionBody("intruder-plan", "%= 50", [data.ids.webhooks!]),
  "POST /v1/organizations/{org}/usage": usageReport("intruder-plan", { transactions: 1 }),
};

/** The body to send: a valid one for this organization's data where the operation takes one. */
export function bodyFor(operation: Operation, data: Populated): unknown {
  if (!operation.takesBody) return undefined;
  const body = VALID_BODIES[operation.name] ?? {};
  return typeof body === "function" ? (body as (data: Populated) => unknown)(data) : body;
}

const METHODS = ["get", "post", "put", "patch", "delete"];

/** The platform's probes, open to anyone: no key, no organization. */
export const PUBLIC_PATHS = ["/healthz", "/readyz"];

export async function documentedOperations(): Promise<Operation[]> {
  const doc = await call("GET", "/openapi.json");
  if (doc.status !== 200) throw new Error(`openapi.json: ${doc.status}`);
  return Object.entries(doc.body.paths as Record<string, Record<string, any>>)
    .filter(([template]) => !PUBLIC_PATHS.includes(template))
    .flatMap(([template, item]) =>
      METHODS.filter((m) => item[m]).map((m) => {
        const name = `${m.toUpperCase()} ${template}`;
        return {
          name,
          method: m.toUpperCase(),
          template,
          takesBody: item[m].requestBody !== undefined,
          query: ((item[m].parameters ?? []) as any[]).filter((p) => p.in === "query").map((p) => ({ name: p.name, schema: p.schema ?? {} })),
          caller: template.startsWith("/v1/admin") ? "operator" : (CALLERS[name] ?? "admin"),
        };
      }),
    );
}

/** An organization with one of everything, and the ids its paths need. */
export interface Populated {
  tenant: Tenant;
  producerKey: string;
  /** The id behind `{id}`, by the collection it follows in the path. */
  ids: Record<string, string>;
  keyId: string;
  deliveryId: string;
  /** Strings of this organization another caller must never see. */
  private: string[];
}

export async function populatedTenant(prefix = "pop"): Promise<Populated> {
  const tenant = await createTenant(prefix);
  const entity = await seedWinkCatalog(tenant);
  const eventType = (await call("GET", eventTypesPath(tenant.org), { auth: tenant.auth })).body.eventTypes[0];
  const producerKey = await createKey(tenant.org, { email: "producer@example.com", role: "producer", source: "wink" });
  const spareKey = await createKey(tenant.org, { email: "spare@example.com", role: "admin" });
  const webhook = await createWebhook(tenant, { name: `hook of ${tenant.org}`, postURL: receiverUrl(crypto.randomUUID()), enabled: true, source: "wink" });
  const event = await postEvent({ ...tenant, producerKey }, { type: "booking.created", entity: "Cool Account", data: { secretPlan: "world domination" } });
  if (event.status !== 202) throw new Error(`event: ${JSON.stringify(event.body)}`);
  const [delivery] = await finalDeliveries(tenant, webhook.id, 1);
  // Disabled from here on, so nothing this organization holds changes while it is under test.
  await call("POST", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth, body: { enabled: "false" } });
  const secret = (await call("GET", `${webhooksPath(tenant.org, webhook.id)}/secret`, { auth: tenant.auth })).body.key;
  const keyId = spareKey.split("_")[1]!;
  const condition = await createCondition(tenant, conditionBody(`plan of ${tenant.org}`, "%= 80 to 120", [webhook.id]));
  const ids = { webhooks: webhook.id, entities: entity.id, "event-types": eventType.id, events: event.body.id, "notification-conditions": condition.id };
  return {
    tenant,
    producerKey,
    ids,
    keyId,
    deliveryId: delivery.id,
    private: [
      ...Object.values(ids),
      delivery.id,
      keyId,
      spareKey,
      tenant.key,
      producerKey,
      secret,
      webhook.name,
      webhook.postUrl,
      `Org ${tenant.org}`,
      "world domination",
      "producer@example.com",
      "spare@example.com",
    ],
  };
}

/** The operation's path for this organization's data. */
export function pathFor(operation: Operation, data: Populated): string {
  return operation.template.replace(/\{(\w+)\}/g, (_, param: string, offset: number) => {
    if (param === "org") return data.tenant.org;
    if (param === "keyId") return data.keyId;
    if (param === "deliveryId") return data.deliveryId;
    const collection = operation.template.slice(0, offset).split("/").at(-2)!;
    const id = data.ids[collection];
    if (!id) throw new Error(`no id for {${param}} after /${collection}/ in ${operation.name}: add one to populatedTenant`);
    return id;
  });
}

/** Every row D1 holds for the organization, and its webhook's deliveries: to compare before and after. */
export async function snapshot(data: Populated) {
  const rows: Record<string, unknown[]> = {};
  for (const table of Object.values(schema).filter((t) => is(t, SQLiteTable) && "orgId" in t) as (SQLiteTable & { orgId: SQLiteColumn })[]) {
    rows[getTableName(table)] = await database(env.DB).select().from(table).where(eq(table.orgId, data.tenant.org)).orderBy(sql`rowid`);
  }
  const organization = await call("GET", `/v1/admin/organizations/${data.tenant.org}`, { auth: admin });
  const deliveries = await call("GET", `${webhooksPath(data.tenant.org, data.ids.webhooks)}/deliveries`, { auth: data.tenant.auth });
  return { rows, organization: organization.body, deliveries: deliveries.body };
}
