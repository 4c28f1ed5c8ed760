// Notification condition queries. The statements saving a condition's actions refuse a webhook
// that is not the organization's, even one deleted concurrently (src/notifications/conditions.ts
// says why a save was refused).
import { and, asc, eq, sql } from "drizzle-orm";
import { database, inList, pagedWithTotal, type Database, type Page, type Author } from "./client";
import { notificationActions, notificationConditions, webhooks } from "./schema";

export type NotificationConditionRow = typeof notificationConditions.$inferSelect;
export type ConditionWithActions = NotificationConditionRow & { webhookIds: string[] };
/** What a condition tests: the rate plan, whether the plan must be published, the UsageTarget. */
export type ConditionTests = Pick<NotificationConditionRow, "ratePlanId" | "publishedOnly" | "usageTarget">;

/** Attaches each condition's webhook ids, in the order they were given. */
async function withActions(db: Database, rows: NotificationConditionRow[]): Promise<ConditionWithActions[]> {
  if (rows.length === 0) return [];
  const actions = await db
    .select()
    .from(notificationActions)
    .where(inList(notificationActions.conditionId, rows.map((r) => r.id)))
    .orderBy(asc(notificationActions.position))
    .all();
  return rows.map((row) => ({ ...row, webhookIds: actions.filter((a) => a.conditionId === row.id).map((a) => a.webhookId) }));
}

export interface ConditionQuery extends Page {
  ratePlanId?: string | undefined;
}

export async function listConditions(d1: D1Database, orgId: string, query: ConditionQuery) {
  const db = database(d1);
  const where = and(
    eq(notificationConditions.orgId, orgId),
    query.ratePlanId !== undefined ? eq(notificationConditions.ratePlanId, query.ratePlanId) : undefined,
  );
  const ordered = db.select().from(notificationConditions).orderBy(asc(notificationConditions.created), asc(notificationConditions.id)).$dynamic();
  const { rows, totalRecords } = await pagedWithTotal(db, notificationConditions, where, ordered, query);
  return { totalRecords, conditions: await withActions(db, rows) };
}

export async function findCondition(d1: D1Database, orgId: string, id: string): Promise<ConditionWithActions | undefined> {
  const db = database(d1);
  const row = await db
    .select()
    .from(notificationConditions)
    .where(and(eq(notificationConditions.orgId, orgId), eq(notificationConditions.id, id)))
    .get();
  if (!row) return undefined;
  const [withIds] = await withActions(db, [row]);
  return withIds;
}

/**
 * The statement inserting a condition's actions. The webhook id is looked up inside the statement:
 * a webhook deleted (or of another organization) since the check yields NULL, which the NOT NULL
 * column refuses, so the whole batch rolls back instead of saving a dangling action.
 */
function insertActions(db: Database, orgId: string, conditionId: string, webhookIds: string[]) {
  return db.insert(notificationActions).values(
    webhookIds.map((webhookId, position) => ({
      conditionId,
      webhookId: sql`(SELECT ${webhooks.id} FROM ${webhooks} WHERE ${webhooks.id} = ${webhookId} AND ${webhooks.orgId} = ${orgId})`,
      position,
    })),
  );
}

function isConstraintFailure(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/constraint failed/i.test(e.message)) return true;
  }
  return false;
}

/** Runs a save; false when a constraint refused it (nothing was written). */
async function saved(save: Promise<unknown>): Promise<boolean> {
  try {
    await save;
    return true;
  } catch (e) {
    if (!isConstraintFailure(e)) throw e;
    return false;
  }
}

/** Inserts the condition with its actions; the condition, or undefined when an action's webhook is not the organization's. */
export async function insertCondition(
  d1: D1Database,
  author: Author,
  tests: ConditionTests,
  webhookIds: string[],
): Promise<ConditionWithActions | undefined> {
  const db = database(d1);
  const now = Date.now();
  const row: NotificationConditionRow = {
    id: crypto.randomUUID(),
    orgId: author.orgId,
    ...tests,
    created: now,
    createdBy: author.email,
    updated: now,
    updatedBy: author.email,
  };
  const ok = await saved(db.batch([db.insert(notificationConditions).values(row), insertActions(db, author.orgId, row.id, webhookIds)]));
  return ok ? { ...row, webhookIds } : undefined;
}

/**
 * Replaces the tests and the actions given; false when an action's webhook is not the
 * organization's (nothing changed then).
 */
export async function saveConditionChanges(
  d1: D1Database,
  author: Author,
  id: string,
  changes: { tests?: ConditionTests | undefined; webhookIds?: string[] | undefined },
): Promise<boolean> {
  const db = database(d1);
  const update = db
    .update(notificationConditions)
    .set({ ...changes.tests, updated: Date.now(), updatedBy: author.email })
    .where(and(eq(notificationConditions.orgId, author.orgId), eq(notificationConditions.id, id)));
  if (!changes.webhookIds) return saved(update);
  // Replaced in one transaction: a failed insert (webhook deleted meanwhile) keeps the old actions.
  const clear = db.delete(notificationActions).where(eq(notificationActions.conditionId, id));
  if (changes.webhookIds.length === 0) return saved(db.batch([update, clear]));
  return saved(db.batch([update, clear, insertActions(db, author.orgId, id, changes.webhookIds)]));
}

/** Deletes the condition and its actions; false when the organization has no such condition. */
export async function deleteConditionRow(d1: D1Database, orgId: string, id: string): Promise<boolean> {
  const deleted = await database(d1)
    .delete(notificationConditions)
    .where(and(eq(notificationConditions.orgId, orgId), eq(notificationConditions.id, id)))
    .returning({ id: notificationConditions.id });
  return deleted.length > 0;
}
