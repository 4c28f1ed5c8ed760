// Usage reports and threshold crossings, kept in the organization's event log (a Durable Object,
// one SQLite database per organization). A report updates the developer's count for the rate
// plan's billing cycle and claims every threshold of every matching condition that it crossed; the
// claim (the primary key of usage_firings) makes each crossing fire once per developer, rate plan,
// billing cycle and condition, whatever the order of reports. The notification event of a claimed
// crossing is stored in the same transaction as the claim, so a crossing is either not claimed or
// claimed and certain to be delivered: there is no outbox to sweep.
import type { ConditionWithActions } from "../db/notification-conditions";
import type { FiredNotificationJson, UsageReportInput, UsageResultJson } from "./usage-report";
import { notificationPayload, percentUsed } from "./payload";
import { conditionThresholds, percentOf, UNITS_PER_PERCENT } from "./usage-target";

/** The event type of usage notifications in the event and delivery logs. */
export const USAGE_NOTIFICATION_TYPE = "usage.threshold_crossed";

export const USAGE_SCHEMA = `
CREATE TABLE IF NOT EXISTS usage_counters (
  developer TEXT NOT NULL,
  rate_plan_id TEXT NOT NULL,
  cycle INTEGER NOT NULL,
  transactions INTEGER NOT NULL,
  quota_target INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  PRIMARY KEY (developer, rate_plan_id, cycle)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_firings (
  developer TEXT NOT NULL,
  rate_plan_id TEXT NOT NULL,
  cycle INTEGER NOT NULL,
  condition_id TEXT NOT NULL,
  threshold INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  created INTEGER NOT NULL,
  PRIMARY KEY (developer, rate_plan_id, cycle, condition_id, threshold)
) WITHOUT ROWID;
`;

/** A notification to store for delivery, addressed to the condition's webhooks. */
export interface UsageNotification {
  type: string;
  body: unknown;
  webhookIds: string[];
}

/**
 * Records a report and stores a notification for every crossing it claims (through
 * `storeNotification`, which returns the event id), all inside the caller's transaction.
 */
export function recordUsage(
  sql: SqlStorage,
  orgId: string,
  report: UsageReportInput,
  conditions: ConditionWithActions[],
  storeNotification: (notification: UsageNotification) => string,
  now: number,
): UsageResultJson {
  const developer = report.developer.email.toLowerCase();
  const ratePlanId = report.ratePlan.id;
  const cycle = report.ratePlan.nextBillingCycleStartDate;
  const before = sql
    .exec<{ transactions: number; quota_target: number }>(
      `SELECT transactions, quota_target FROM usage_counters WHERE developer = ? AND rate_plan_id = ? AND cycle = ?`,
      developer, ratePlanId, cycle,
    )
    .toArray()[0];
  const previous = before?.transactions ?? 0;
  const previousTarget = before?.quota_target ?? report.quotaTarget;
  // An absolute count older than one already recorded never lowers usage.
  const transactions = report.transactions !== undefined ? Math.max(previous, report.transactions) : previous + report.increment!;
  sql.exec(
    `INSERT INTO usage_counters (developer, rate_plan_id, cycle, transactions, quota_target, updated) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (developer, rate_plan_id, cycle) DO UPDATE SET transactions = excluded.transactions, quota_target = excluded.quota_target, updated = excluded.updated`,
    developer, ratePlanId, cycle, transactions, report.quotaTarget, now,
  );

  // A crossing is a threshold above the percentage before this report (previous of the previous
  // target; a lowered target crosses too) and at most the percentage now, compared as integers:
  // threshold × target ≤ transactions × 100 × units per percent, beyond 2^53 for large counts.
  const scale = BigInt(100 * UNITS_PER_PERCENT);
  const crossed = (threshold: number) =>
    BigInt(threshold) * BigInt(previousTarget) > BigInt(previous) * scale && BigInt(threshold) * BigInt(report.quotaTarget) <= BigInt(transactions) * scale;
  // A condition without webhooks has no one to notify; its crossings are not claimed.
  const crossings = conditions
    .filter((c) => (!c.publishedOnly || report.ratePlan.published) && c.webhookIds.length > 0)
    .flatMap((condition, order) => conditionThresholds(condition).filter(crossed).map((threshold) => ({ condition, threshold, order })))
    .sort((a, b) => a.threshold - b.threshold || a.order - b.order);

  const fired: FiredNotificationJson[] = [];
  for (const { condition, threshold } of crossings) {
    const claimed = sql
      .exec(
        `SELECT 1 FROM usage_firings WHERE developer = ? AND rate_plan_id = ? AND cycle = ? AND condition_id = ? AND threshold = ?`,
        developer, ratePlanId, cycle, condition.id, threshold,
      )
      .toArray().length > 0;
    if (claimed) continue;
    const payload = notificationPayload(orgId, report, { threshold, transactions, quotaTarget: report.quotaTarget, triggerTime: now }, condition.usageTarget);
    const eventId = storeNotification({
      type: USAGE_NOTIFICATION_TYPE,
      body: payload,
      webhookIds: condition.webhookIds,
    });
    sql.exec(
      `INSERT INTO usage_firings (developer, rate_plan_id, cycle, condition_id, threshold, event_id, created) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      developer, ratePlanId, cycle, condition.id, threshold, eventId, now,
    );
    fired.push({ conditionId: condition.id, threshold: percentOf(threshold), webhookIds: condition.webhookIds, status: "queued", eventId, payload });
  }
  return {
    developerEmail: report.developer.email,
    ratePlanId,
    nextBillingCycleStartDate: cycle,
    transactions,
    quotaTarget: report.quotaTarget,
    quotaPercentUsed: percentUsed(transactions, report.quotaTarget),
    fired,
  };
}

/** Deletes counters (and their firings) not updated since `before`, at most `limit` counters; returns how many. */
export function purgeUsage(sql: SqlStorage, before: number, limit: number): number {
  const stale = sql
    .exec<{ developer: string; rate_plan_id: string; cycle: number }>(
      `SELECT developer, rate_plan_id, cycle FROM usage_counters WHERE updated < ? LIMIT ?`,
      before, limit,
    )
    .toArray();
  for (const { developer, rate_plan_id, cycle } of stale) {
    sql.exec(`DELETE FROM usage_firings WHERE developer = ? AND rate_plan_id = ? AND cycle = ?`, developer, rate_plan_id, cycle);
    sql.exec(`DELETE FROM usage_counters WHERE developer = ? AND rate_plan_id = ? AND cycle = ?`, developer, rate_plan_id, cycle);
  }
  return stale.length;
}
