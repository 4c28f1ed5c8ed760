// Webhook queries. The rules they serve (what a binding may name, who may delete) live in
// src/webhooks/; the guarded statements stay here because the guard is part of the SQL.
import { and, asc, eq, or, sql, type SQL } from "drizzle-orm";
import { containsIgnoringCase, database, inList, pagedWithTotal, type Page } from "./client";
import { entities, eventTypes, notificationActions, notificationConditions, webhooks } from "./schema";
import type { PortalScope } from "./portal-links";
import { OPERATIONAL_SOURCE } from "./operational-catalog";

export type WebhookRow = typeof webhooks.$inferSelect;

/** The fields a tenant sets; everything else is the server's. */
export type WebhookChanges = Partial<Pick<WebhookRow, "name" | "postUrl" | "enabled" | "description" | "source" | "entity" | "events" | "rateLimit">>;

/** What a webhook is bound to: its source, its entity (account) there, and the event types it listens to. */
export type WebhookBinding = Pick<WebhookRow, "source" | "entity" | "events">;

export async function findWebhook(d1: D1Database, orgId: string, id: string): Promise<WebhookRow | undefined> {
  return database(d1).select().from(webhooks).where(and(eq(webhooks.orgId, orgId), eq(webhooks.id, id))).get();
}

/** A page of the organization's webhooks' ids and names, oldest first, and how many it has. */
export async function webhookNamesOf(d1: D1Database, orgId: string, page: Page) {
  const db = database(d1);
  const ordered = db.select({ id: webhooks.id, name: webhooks.name }).from(webhooks).orderBy(asc(webhooks.created), asc(webhooks.id)).$dynamic();
  return pagedWithTotal(db, webhooks, eq(webhooks.orgId, orgId), ordered, page);
}

/** Which of these webhooks still exist in the organization. */
export async function existingWebhookIds(d1: D1Database, orgId: string, ids: readonly string[]): Promise<Set<string>> {
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
  const ordered = db.select().from(webhooks).orderBy(asc(webhooks.created), asc(webhooks.id)).$dynamic();
  const { rows, totalRecords } = await pagedWithTotal(db, webhooks, where, ordered, query);
  return { totalRecords, webhooks: rows };
}

/** Whether the source has the entity, and the source's event type names (the catalog a binding is checked against). */
export async function catalogOf(d1: D1Database, orgId: string, source: string, entity: string | null): Promise<{ entityExists: boolean; eventTypes: string[] }> {
  const db = database(d1);
  const [entityRows, catalog] = await db.batch([
    db
      .select({ name: entities.name })
      .from(entities)
      .where(and(eq(entities.orgId, orgId), eq(entities.source, source), eq(entities.name, entity ?? ""))),
    db.select({ name: eventTypes.name }).from(eventTypes).where(and(eq(eventTypes.orgId, orgId), eq(eventTypes.source, source))),
  ]);
  return { entityExists: entityRows.length > 0, eventTypes: catalog.map((row) => row.name) };
}

/** SQL true while the binding's entity and exact event types still exist (guards concurrent deletes). */
function bindingHolds(orgId: string, binding: WebhookBinding): SQL {
  const checks: SQL[] = [sql`1`];
  if (binding.source && binding.entity) {
    checks.push(
      sql`EXISTS (SELECT 1 FROM ${entities} WHERE ${entities.orgId} = ${orgId} AND ${entities.source} = ${binding.source} AND ${entities.name} = ${binding.entity})`,
    );
  }
  const exact = binding.events.filter((e) => !e.endsWith("*"));
  // The operational catalog is built in: nothing in D1 can vanish from it.
  if (binding.source && binding.source !== OPERATIONAL_SOURCE && exact.length > 0) {
    checks.push(
      sql`(SELECT count(*) FROM ${eventTypes} WHERE ${eventTypes.orgId} = ${orgId} AND ${eventTypes.source} = ${binding.source} AND ${inList(eventTypes.name, exact)}) = ${exact.length}`,
    );
  }
  return sql.join(checks, sql` AND `);
}

/**
 * Inserts the webhook and, in the same transaction, takes it back out if its entity or an exact
 * event type vanished meanwhile. False when it was taken back.
 */
export async function insertWebhook(d1: D1Database, row: WebhookRow): Promise<boolean> {
  const db = database(d1);
  const [, undone] = await db.batch([
    db.insert(webhooks).values(row),
    db
      .delete(webhooks)
      .where(and(eq(webhooks.id, row.id), sql`NOT (${bindingHolds(row.orgId, row)})`))
      .returning({ id: webhooks.id }),
  ]);
  return undone.length === 0;
}

/** Saves the changes while the webhook exists and its new binding holds; undefined otherwise. */
export async function updateWebhookRow(
  d1: D1Database,
  orgId: string,
  id: string,
  changes: WebhookChanges & Partial<Pick<WebhookRow, "disabledReason" | "disabledAt">> & Pick<WebhookRow, "updated" | "updatedBy">,
  binding: WebhookBinding,
): Promise<WebhookRow | undefined> {
  const [updated] = await database(d1)
    .update(webhooks)
    .set(changes)
    .where(and(eq(webhooks.orgId, orgId), eq(webhooks.id, id), bindingHolds(orgId, binding)))
    .returning();
  return updated;
}

/**
 * Disables a webhook on the platform's decision, with why and when. Only an enabled webhook, or
 * one this very decision disabled (a repeat finds it by its time); undefined for any other.
 */
export async function disableWebhookRow(d1: D1Database, orgId: string, id: string, decision: { reason: string; at: number; by: string }): Promise<WebhookRow | undefined> {
  const [disabled] = await database(d1)
    .update(webhooks)
    .set({ enabled: false, disabledReason: decision.reason, disabledAt: decision.at, updated: decision.at, updatedBy: decision.by })
    .where(and(eq(webhooks.orgId, orgId), eq(webhooks.id, id), or(eq(webhooks.enabled, true), eq(webhooks.disabledAt, decision.at))))
    .returning();
  return disabled;
}

/** Replaces the signing secret, keeping the previous one until `previousSecretExpires`. */
export async function replaceSecret(
  d1: D1Database,
  orgId: string,
  id: string,
  secrets: Pick<WebhookRow, "secret" | "previousSecret" | "previousSecretExpires" | "updated" | "updatedBy">,
): Promise<WebhookRow | undefined> {
  const [rotated] = await database(d1)
    .update(webhooks)
    .set(secrets)
    .where(and(eq(webhooks.orgId, orgId), eq(webhooks.id, id)))
    .returning();
  return rotated;
}

/**
 * Deletes a webhook; the notification actions naming it go with it (foreign key cascade), and with
 * `force` their conditions show `by` as their last change, in the same batch. Without `force`
 * nothing is deleted while any action names it, checked in the statement itself so an action added
 * meanwhile cannot be lost. Whether a row was deleted.
 */
export async function deleteWebhookRow(d1: D1Database, orgId: string, id: string, force: boolean, by: string): Promise<boolean> {
  const db = database(d1);
  const unnamed = sql`NOT EXISTS (SELECT 1 FROM ${notificationActions} WHERE ${notificationActions.webhookId} = ${webhooks.id})`;
  const remove = db
    .delete(webhooks)
    .where(and(eq(webhooks.orgId, orgId), eq(webhooks.id, id), force ? undefined : unnamed))
    .returning({ id: webhooks.id });
  if (!force) return (await remove).length > 0;
  const naming = sql`${notificationConditions.id} IN (SELECT ${notificationActions.conditionId} FROM ${notificationActions} WHERE ${notificationActions.webhookId} = ${id})`;
  const touch = db.update(notificationConditions).set({ updated: Date.now(), updatedBy: by }).where(and(eq(notificationConditions.orgId, orgId), naming));
  const [, deleted] = await db.batch([touch, remove]);
  return deleted.length > 0;
}

/** The notification conditions whose actions name the webhook. */
export async function conditionsNaming(d1: D1Database, orgId: string, webhookId: string) {
  return database(d1)
    .select({ id: notificationConditions.id, ratePlanId: notificationConditions.ratePlanId, usageTarget: notificationConditions.usageTarget })
    .from(notificationActions)
    .innerJoin(notificationConditions, eq(notificationConditions.id, notificationActions.conditionId))
    .where(and(eq(notificationConditions.orgId, orgId), eq(notificationActions.webhookId, webhookId)))
    .orderBy(asc(notificationConditions.created), asc(notificationConditions.id))
    .all();
}
