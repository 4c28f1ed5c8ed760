// Webhook queries and the rules that keep a webhook's references true: its entity exists and its
// events are in the catalog of its source. Shared by the API and the page.
import { and, asc, count, eq, or, sql, type SQL } from "drizzle-orm";
import { containsIgnoringCase, database, inList, paged, type Database, type Page, type Author } from "./client";
import { entities, eventTypes, webhooks } from "./schema";
import { ApiError, badRequest, conflict, type ErrorDetail } from "../errors";
import type { WebhookChanges, WebhookJson } from "../api/webhook-schemas";
import { newSigningSecret } from "../delivery/signing";
import { notificationReferences, notNamedByNotificationActions } from "../notifications/references";
import { refusedUrlReason } from "../delivery/url-policy";
import type { Env } from "../env";
import type { PortalScope } from "./portal-links";

export type WebhookRow = typeof webhooks.$inferSelect;

export function toWebhookJson(row: WebhookRow): WebhookJson {
  return {
    created: row.created,
    createdBy: row.createdBy,
    enabled: row.enabled,
    id: row.id,
    name: row.name,
    orgId: row.orgId,
    postUrl: row.postUrl,
    updated: row.updated,
    updatedBy: row.updatedBy,
    description: row.description,
    source: row.source,
    entity: row.entity,
    events: row.events,
  };
}

export async function findWebhook(d1: D1Database, orgId: string, id: string): Promise<WebhookRow | undefined> {
  return database(d1).select().from(webhooks).where(and(eq(webhooks.orgId, orgId), eq(webhooks.id, id))).get();
}

export async function getWebhook(d1: D1Database, orgId: string, id: string): Promise<WebhookRow> {
  const row = await findWebhook(d1, orgId, id);
  if (!row) throw new ApiError(404, "not_found", "webhook was not found");
  return row;
}

/** The ids of the organization's webhooks. */
export async function webhookIdsOf(d1: D1Database, orgId: string): Promise<string[]> {
  return (await database(d1).select({ id: webhooks.id }).from(webhooks).where(eq(webhooks.orgId, orgId)).all()).map((row) => row.id);
}

/** Which of these webhooks still exist in the organization. */
export async function existingWebhookIds(d1: D1Database, orgId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await database(d1).select({ id: webhooks.id }).from(webhooks).where(and(eq(webhooks.orgId, orgId), inList(webhooks.id, ids))).all();
  return new Set(rows.map((row) => row.id));
}

export interface WebhookQuery extends Page {
  q?: string | undefined;
  enabled?: boolean | undefined;
  source?: string | undefined;
  /** Only the webhooks a portal session may see (see inScope). */
  scope?: PortalScope | undefined;
}

export async function listWebhooks(d1: D1Database, orgId: string, query: WebhookQuery) {
  const db = database(d1);
  const conditions: (SQL | undefined)[] = [eq(webhooks.orgId, orgId)];
  if (query.q) conditions.push(or(containsIgnoringCase(webhooks.name, query.q), containsIgnoringCase(webhooks.postUrl, query.q)));
  if (query.enabled !== undefined) conditions.push(eq(webhooks.enabled, query.enabled));
  if (query.source) conditions.push(eq(webhooks.source, query.source));
  if (query.scope?.source != null) conditions.push(eq(webhooks.source, query.scope.source));
  if (query.scope?.entities != null) conditions.push(inList(webhooks.entity, query.scope.entities));
  const where = and(...conditions);
  const [rows, [total]] = await db.batch([
    paged(db.select().from(webhooks).where(where).orderBy(asc(webhooks.created), asc(webhooks.id)).$dynamic(), query),
    db.select({ n: count() }).from(webhooks).where(where),
  ]);
  return { totalRecords: total?.n ?? 0, webhooks: rows };
}

interface Binding {
  source: string | null;
  entity: string | null;
  events: string[];
}

/** The exact event names a subscription list names (wildcards are checked separately). */
const exactEvents = (events: string[]) => events.filter((e) => !e.endsWith("*"));

/**
 * Every way a binding's references can be wrong, as error details: an entity or events without a
 * source, an entity that does not exist, an event type outside the catalog, a wildcard matching nothing.
 */
export async function bindingProblems(db: Database, orgId: string, binding: Binding): Promise<ErrorDetail[]> {
  const problems: ErrorDetail[] = [];
  const { source, entity, events } = binding;
  if (!source) {
    if (entity) problems.push({ field: "entity", reason: "needs a source: entities belong to one source" });
    if (events.length > 0) problems.push({ field: "events", reason: "needs a source: event types belong to one source" });
    return problems;
  }
  const [entityRows, catalog] = await db.batch([
    db
      .select({ name: entities.name })
      .from(entities)
      .where(and(eq(entities.orgId, orgId), eq(entities.source, source), eq(entities.name, entity ?? ""))),
    db.select({ name: eventTypes.name }).from(eventTypes).where(and(eq(eventTypes.orgId, orgId), eq(eventTypes.source, source))),
  ]);
  if (entity && entityRows.length === 0) {
    problems.push({ field: "entity", reason: `no entity named ${JSON.stringify(entity)} exists on ${source}; create the account first` });
  }
  const names = catalog.map((row) => row.name);
  events.forEach((pattern, i) => {
    if (pattern === "*") return;
    const known = pattern.endsWith(".*")
      ? names.some((name) => name.startsWith(pattern.slice(0, -1)))
      : names.includes(pattern);
    if (!known) {
      problems.push({
        field: `events.${i}`,
        reason: pattern.endsWith(".*")
          ? `${pattern} matches no event type of ${source} in the catalog`
          : `${pattern} is not an event type of ${source} in the catalog`,
      });
    }
  });
  return problems;
}

/** SQL true while the binding's entity and exact event types still exist (guards concurrent deletes). */
function bindingHolds(orgId: string, binding: Binding): SQL {
  const checks: SQL[] = [sql`1`];
  if (binding.source && binding.entity) {
    checks.push(
      sql`EXISTS (SELECT 1 FROM ${entities} WHERE ${entities.orgId} = ${orgId} AND ${entities.source} = ${binding.source} AND ${entities.name} = ${binding.entity})`,
    );
  }
  const exact = exactEvents(binding.events);
  if (binding.source && exact.length > 0) {
    checks.push(
      sql`(SELECT count(*) FROM ${eventTypes} WHERE ${eventTypes.orgId} = ${orgId} AND ${eventTypes.source} = ${binding.source} AND ${inList(eventTypes.name, exact)}) = ${exact.length}`,
    );
  }
  return sql.join(checks, sql` AND `);
}

async function assertBinding(db: Database, orgId: string, binding: Binding) {
  const problems = await bindingProblems(db, orgId, binding);
  if (problems.length > 0) throw badRequest("The webhook's references are not valid", problems);
}

/** The settings webhook writes depend on. */
export type WebhookEnv = Pick<Env, "DB" | "ALLOW_PRIVATE_URLS">;

function assertUrlAllowed(env: WebhookEnv, url: string | undefined) {
  if (url === undefined) return;
  const reason = refusedUrlReason(url, env.ALLOW_PRIVATE_URLS === "true");
  if (reason) throw badRequest("The webhook URL is not allowed", [{ field: "postURL", reason }]);
}

export async function createWebhook(
  env: WebhookEnv,
  author: Author,
  input: WebhookChanges & { name: string; postUrl: string },
  defaultEnabled: boolean,
): Promise<WebhookRow> {
  assertUrlAllowed(env, input.postUrl);
  const db = database(env.DB);
  const now = Date.now();
  const row: WebhookRow = {
    id: crypto.randomUUID(),
    orgId: author.orgId,
    name: input.name,
    postUrl: input.postUrl,
    enabled: input.enabled ?? defaultEnabled,
    description: input.description ?? null,
    source: input.source ?? null,
    entity: input.entity ?? null,
    events: input.events ?? [],
    secret: newSigningSecret(),
    previousSecret: null,
    previousSecretExpires: null,
    created: now,
    createdBy: author.email,
    updated: now,
    updatedBy: author.email,
  };
  await assertBinding(db, author.orgId, row);
  // Insert and take it back out in one transaction if an entity or event type vanished meanwhile.
  const [, undone] = await db.batch([
    db.insert(webhooks).values(row),
    db
      .delete(webhooks)
      .where(and(eq(webhooks.id, row.id), sql`NOT (${bindingHolds(author.orgId, row)})`))
      .returning({ id: webhooks.id }),
  ]);
  if (undone.length > 0) {
    await assertBinding(db, author.orgId, row);
    throw new ApiError(409, "conflict", "The webhook's entity or event types changed while it was being created; try again");
  }
  return row;
}

export async function updateWebhook(
  env: WebhookEnv,
  author: Author,
  id: string,
  changes: WebhookChanges,
): Promise<WebhookRow> {
  assertUrlAllowed(env, changes.postUrl);
  const db = database(env.DB);
  const current = await getWebhook(env.DB, author.orgId, id);
  const next = { ...current, ...changes, updated: Date.now(), updatedBy: author.email };
  await assertBinding(db, author.orgId, next);
  const [updated] = await db
    .update(webhooks)
    .set({ ...changes, updated: next.updated, updatedBy: next.updatedBy })
    .where(and(eq(webhooks.orgId, author.orgId), eq(webhooks.id, id), bindingHolds(author.orgId, next)))
    .returning();
  if (updated) return updated;
  await getWebhook(env.DB, author.orgId, id); // deleted meanwhile: 404
  await assertBinding(db, author.orgId, next);
  throw new ApiError(409, "conflict", "The webhook changed while it was being updated; try again");
}

/**
 * Deletes a webhook. The notification actions naming it go with it (foreign key cascade); with
 * `force` false it is refused (409 naming the conditions) while any action names it, checked in
 * the delete statement itself so an action added meanwhile cannot be lost.
 */
export async function deleteWebhook(d1: D1Database, orgId: string, id: string, force: boolean): Promise<void> {
  const deleted = await database(d1)
    .delete(webhooks)
    .where(and(eq(webhooks.orgId, orgId), eq(webhooks.id, id), force ? undefined : notNamedByNotificationActions(webhooks.id)))
    .returning({ id: webhooks.id });
  if (deleted.length > 0) return;
  await getWebhook(d1, orgId, id);
  const references = await notificationReferences(d1, orgId, id);
  if (references.length === 0) throw conflict("The webhook's notification actions changed while it was being deleted; try again");
  throw conflict(
    `The webhook is named by ${references.length} notification condition(s); remove it from their actions, or delete with forceDelete=true to remove those actions`,
    references,
  );
}
