// Notification condition queries, and the rule that keeps their actions true: every WEBHOOK action
// names a webhook of the same organization, even against a concurrent webhook delete.
import { and, asc, eq, sql, type SQLWrapper } from "drizzle-orm";
import { database, pagedWithTotal, type Database, type Page, type Author } from "./client";
import { notificationActions, notificationConditions, webhooks } from "./schema";
import { badRequest, conflict, notFound, type ErrorDetail } from "../errors";
import type {
  NewNotificationCondition,
  NotificationConditionChanges,
  NotificationConditionJson,
} from "../api/notification-condition-schemas";
import { parseUsageTarget, percentOf } from "../notifications/usage-target";

export type NotificationConditionRow = typeof notificationConditions.$inferSelect;
export type ConditionWithActions = NotificationConditionRow & { webhookIds: string[] };

/** The thresholds of a stored condition, in hundredths of a percent (stored expressions always parse). */
export function conditionThresholds(row: Pick<NotificationConditionRow, "id" | "usageTarget">): number[] {
  const parsed = parseUsageTarget(row.usageTarget);
  if (!parsed.ok) throw new Error(`notification condition ${row.id} holds an invalid UsageTarget: ${parsed.reason}`);
  return parsed.thresholds;
}

export function toConditionJson(row: ConditionWithActions): NotificationConditionJson {
  return {
    id: row.id,
    orgId: row.orgId,
    notificationCondition: [
      { attribute: "RATEPLAN", value: row.ratePlanId },
      ...(row.publishedOnly ? [{ attribute: "PUBLISHED" as const, value: "TRUE" }] : []),
      { attribute: "UsageTarget", value: row.usageTarget },
    ],
    actions: row.webhookIds.map((value) => ({ actionAttribute: "WEBHOOK" as const, value })),
    thresholds: conditionThresholds(row).map(percentOf),
    created: row.created,
    createdBy: row.createdBy,
    updated: row.updated,
    updatedBy: row.updatedBy,
  };
}

/** SQL true for rows whose `column` is one of `ids` (one bound parameter, whatever the count). */
const inJsonList = (column: SQLWrapper, ids: string[]) =>
  sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;

/** Attaches each condition's webhook ids, in the order they were given. */
export async function withActions(db: Database, rows: NotificationConditionRow[]): Promise<ConditionWithActions[]> {
  if (rows.length === 0) return [];
  const actions = await db
    .select()
    .from(notificationActions)
    .where(inJsonList(notificationActions.conditionId, rows.map((r) => r.id)))
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

export async function getCondition(d1: D1Database, orgId: string, id: string): Promise<ConditionWithActions> {
  const db = database(d1);
  const row = await db
    .select()
    .from(notificationConditions)
    .where(and(eq(notificationConditions.orgId, orgId), eq(notificationConditions.id, id)))
    .get();
  if (!row) throw notFound("notification condition");
  const [withIds] = await withActions(db, [row]);
  return withIds!;
}

/** Every action naming a webhook that is not in the organization, as error details. */
async function actionProblems(db: Database, orgId: string, webhookIds: string[]): Promise<ErrorDetail[]> {
  const found = await db
    .select({ id: webhooks.id })
    .from(webhooks)
    .where(and(eq(webhooks.orgId, orgId), inJsonList(webhooks.id, webhookIds)))
    .all();
  const known = new Set(found.map((w) => w.id));
  return webhookIds.flatMap((id, i) =>
    known.has(id) ? [] : [{ field: `actions.${i}.value`, reason: `no webhook ${id} exists in this organization; create it first` }],
  );
}

async function assertActions(db: Database, orgId: string, webhookIds: string[]) {
  const problems = await actionProblems(db, orgId, webhookIds);
  if (problems.length > 0) throw badRequest("The notification condition's actions are not valid", problems);
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

/** After a batch refused by a constraint: say what changed meanwhile (404, 400), or ask to retry. */
async function explainRefusal(db: Database, d1: D1Database, orgId: string, conditionId: string | null, webhookIds: string[] | undefined): Promise<never> {
  if (conditionId) await getCondition(d1, orgId, conditionId);
  if (webhookIds) await assertActions(db, orgId, webhookIds);
  throw conflict("The notification condition or its webhooks changed while it was being saved; try again");
}

export async function createCondition(d1: D1Database, author: Author, input: NewNotificationCondition): Promise<ConditionWithActions> {
  const db = database(d1);
  const now = Date.now();
  const row: NotificationConditionRow = {
    id: crypto.randomUUID(),
    orgId: author.orgId,
    ...input.notificationCondition,
    created: now,
    createdBy: author.email,
    updated: now,
    updatedBy: author.email,
  };
  await assertActions(db, author.orgId, input.actions);
  try {
    await db.batch([db.insert(notificationConditions).values(row), insertActions(db, author.orgId, row.id, input.actions)]);
  } catch (e) {
    if (!isConstraintFailure(e)) throw e;
    return explainRefusal(db, d1, author.orgId, null, input.actions);
  }
  return { ...row, webhookIds: input.actions };
}

export async function updateCondition(
  d1: D1Database,
  author: Author,
  id: string,
  changes: NotificationConditionChanges,
): Promise<ConditionWithActions> {
  const db = database(d1);
  await getCondition(d1, author.orgId, id);
  if (changes.actions) await assertActions(db, author.orgId, changes.actions);
  const now = Date.now();
  const update = db
    .update(notificationConditions)
    .set({ ...changes.notificationCondition, updated: now, updatedBy: author.email })
    .where(and(eq(notificationConditions.orgId, author.orgId), eq(notificationConditions.id, id)));
  try {
    if (changes.actions) {
      // Replaced in one transaction: a failed insert (webhook deleted meanwhile) keeps the old actions.
      await db.batch([
        update,
        db.delete(notificationActions).where(eq(notificationActions.conditionId, id)),
        insertActions(db, author.orgId, id, changes.actions),
      ]);
    } else {
      await update;
    }
  } catch (e) {
    if (!isConstraintFailure(e)) throw e;
    return explainRefusal(db, d1, author.orgId, id, changes.actions);
  }
  return getCondition(d1, author.orgId, id);
}

export async function deleteCondition(d1: D1Database, orgId: string, id: string): Promise<void> {
  const deleted = await database(d1)
    .delete(notificationConditions)
    .where(and(eq(notificationConditions.orgId, orgId), eq(notificationConditions.id, id)))
    .returning({ id: notificationConditions.id });
  if (deleted.length === 0) throw notFound("notification condition");
}
