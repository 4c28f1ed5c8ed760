// Everything an organization's event log needs from the control plane, read in one D1 batch: the
// webhooks (to match events and to deliver them), the catalog (to refuse unknown types and
// entities) and the notification conditions with their webhooks (usage reports). The log caches
// it and reads it again when the API announces a change, or when its copy is old.
import { asc, eq } from "drizzle-orm";
import { database } from "./client";
import { entities, eventTypes, notificationActions, notificationConditions, webhooks } from "./schema";
import type { ConditionWithActions } from "./notification-conditions";
import type { WebhookRow } from "./webhooks";

export interface OrgConfigRows {
  webhooks: WebhookRow[];
  eventTypes: { source: string; name: string }[];
  entities: { source: string; name: string }[];
  conditions: ConditionWithActions[];
}

export async function readOrgConfig(d1: D1Database, orgId: string): Promise<OrgConfigRows> {
  const db = database(d1);
  const [webhookRows, typeRows, entityRows, conditionRows, actionRows] = await db.batch([
    db.select().from(webhooks).where(eq(webhooks.orgId, orgId)).orderBy(asc(webhooks.created), asc(webhooks.id)),
    db.select({ source: eventTypes.source, name: eventTypes.name }).from(eventTypes).where(eq(eventTypes.orgId, orgId)),
    db.select({ source: entities.source, name: entities.name }).from(entities).where(eq(entities.orgId, orgId)),
    db
      .select()
      .from(notificationConditions)
      .where(eq(notificationConditions.orgId, orgId))
      .orderBy(asc(notificationConditions.created), asc(notificationConditions.id)),
    db
      .select({ conditionId: notificationActions.conditionId, webhookId: notificationActions.webhookId })
      .from(notificationActions)
      .innerJoin(notificationConditions, eq(notificationConditions.id, notificationActions.conditionId))
      .where(eq(notificationConditions.orgId, orgId))
      .orderBy(asc(notificationActions.position)),
  ]);
  return {
    webhooks: webhookRows,
    eventTypes: typeRows,
    entities: entityRows,
    conditions: conditionRows.map((row) => ({ ...row, webhookIds: actionRows.filter((a) => a.conditionId === row.id).map((a) => a.webhookId) })),
  };
}
