// Notification actions name webhooks. Deleting a webhook with forceDelete=true removes the actions
// naming it (the foreign key cascades); with forceDelete=false the delete is refused while any do.
import { and, asc, eq, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { database } from "../db/client";
import { notificationActions, notificationConditions } from "../db/schema";
import type { ErrorDetail } from "../errors";

/** SQL true while no notification action names `webhookId`: the guard of a forceDelete=false delete. */
export function notNamedByNotificationActions(webhookId: SQLWrapper): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM ${notificationActions} WHERE ${notificationActions.webhookId} = ${webhookId})`;
}

/** The conditions whose actions name the webhook, as details of the 409 that refuses its delete. */
export async function notificationReferences(d1: D1Database, orgId: string, webhookId: string): Promise<ErrorDetail[]> {
  const rows = await database(d1)
    .select({ id: notificationConditions.id, ratePlanId: notificationConditions.ratePlanId, usageTarget: notificationConditions.usageTarget })
    .from(notificationActions)
    .innerJoin(notificationConditions, eq(notificationConditions.id, notificationActions.conditionId))
    .where(and(eq(notificationConditions.orgId, orgId), eq(notificationActions.webhookId, webhookId)))
    .orderBy(asc(notificationConditions.created), asc(notificationConditions.id))
    .all();
  return rows.map((row) => ({
    field: `notificationConditions.${row.id}`,
    reason: `notification condition ${row.id} (rate plan ${row.ratePlanId}, UsageTarget ${JSON.stringify(row.usageTarget)}) names this webhook in its actions`,
  }));
}
