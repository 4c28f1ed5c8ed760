// Usage reports and threshold crossings. Each report updates the developer's count for the rate
// plan's billing cycle and claims, in the same D1 transaction, every threshold of every matching
// condition that the report crossed. The claim (the primary key of notification_firings) makes each
// crossing fire once per developer, rate plan, billing cycle and condition, whatever the order or
// concurrency of reports; the claimed rows are then posted to the delivery pipeline. A firing the
// pipeline did not take stays pending: the next report or the sweep (./outbox.ts) posts it.
import { and, eq, inArray, lte, sql } from "drizzle-orm";
import type { Env } from "../env";
import { database, type Database } from "../db/client";
import { notificationConditions, notificationFirings, usageCounters } from "../db/schema";
import { conditionThresholds, withActions, type ConditionWithActions } from "../db/notification-conditions";
import type { FiredNotificationJson, UsageReportInput, UsageResultJson } from "../api/usage-schemas";
import { notificationPayload, percentUsed, type Crossing } from "./payload";
import { percentOf, UNITS_PER_PERCENT } from "./usage-target";
import type { postDirectedEvents } from "../delivery/directed";
import { describeError } from "../log";

/** The event type of usage notifications in the event and delivery logs. */
export const USAGE_NOTIFICATION_TYPE = "usage.threshold_crossed";

/**
 * How long a report (or the sweep) owns the firings it claimed before another may post them.
 * Posting takes one D1 write and one queue send; one that died meanwhile leaves them to the next.
 */
export const FIRING_LEASE_MS = 30_000;

/** The delivery pipeline's entry for events addressed to given webhooks, or a stand-in in tests. */
export type PostDirectedEvents = typeof postDirectedEvents;

/** The counter a report counts in and whose crossings it claims. */
export interface UsageKey {
  orgId: string;
  developer: string;
  ratePlanId: string;
  cycle: number;
}

type FiringRow = typeof notificationFirings.$inferSelect;
/** A crossing to post: claimed by this report, or taken over from an earlier one that could not post it. */
export type Firing = Pick<FiringRow, "conditionId"> & Crossing & { retried: boolean };

/** The organization's conditions on a rate plan, or with the given ids, with their webhooks, oldest first. */
export async function loadConditions(db: Database, orgId: string, which: { ratePlanId: string } | { ids: string[] }) {
  const rows = await db
    .select()
    .from(notificationConditions)
    .where(
      and(
        eq(notificationConditions.orgId, orgId),
        "ids" in which ? inArray(notificationConditions.id, which.ids) : eq(notificationConditions.ratePlanId, which.ratePlanId),
      ),
    )
    .orderBy(notificationConditions.created, notificationConditions.id)
    .all();
  return withActions(db, rows);
}

export async function reportUsage(
  env: Env,
  orgId: string,
  report: UsageReportInput,
  post: PostDirectedEvents,
  now = Date.now(),
): Promise<UsageResultJson> {
  const db = database(env.DB);
  const key: UsageKey = {
    orgId,
    developer: report.developer.email.toLowerCase(),
    ratePlanId: report.ratePlan.id,
    cycle: report.ratePlan.nextBillingCycleStartDate,
  };
  const conditions = await loadConditions(db, orgId, { ratePlanId: key.ratePlanId });
  // A condition without webhooks has no one to notify; its crossings are not claimed.
  const candidates = conditions
    .filter((c) => (!c.publishedOnly || report.ratePlan.published) && c.webhookIds.length > 0)
    .flatMap((c) => conditionThresholds(c).map((threshold) => [c.id, threshold]));

  const absolute = report.transactions !== undefined;
  const upsert = db
    .insert(usageCounters)
    .values({
      ...key,
      transactions: report.transactions ?? report.increment!,
      previous: 0,
      quotaTarget: report.quotaTarget,
      previousQuotaTarget: report.quotaTarget,
      report,
      updated: now,
    })
    .onConflictDoUpdate({
      target: [usageCounters.orgId, usageCounters.developer, usageCounters.ratePlanId, usageCounters.cycle],
      set: {
        // Right-hand sides read the row as it was: `previous…` are the count and target before this report.
        previous: sql`${usageCounters.transactions}`,
        previousQuotaTarget: sql`${usageCounters.quotaTarget}`,
        // An absolute count older than one already recorded never lowers usage.
        transactions: absolute
          ? sql`max(${usageCounters.transactions}, excluded.transactions)`
          : sql`${usageCounters.transactions} + excluded.transactions`,
        quotaTarget: report.quotaTarget,
        report,
        updated: now,
      },
    })
    .returning({ transactions: usageCounters.transactions });
  const firingKey = and(
    eq(notificationFirings.orgId, key.orgId),
    eq(notificationFirings.developer, key.developer),
    eq(notificationFirings.ratePlanId, key.ratePlanId),
    eq(notificationFirings.cycle, key.cycle),
  );
  // Firings an earlier report claimed but could not post (or died posting) are taken over.
  const takeOver = db
    .update(notificationFirings)
    .set({ leaseUntil: now + FIRING_LEASE_MS })
    .where(and(firingKey, eq(notificationFirings.state, "pending"), lte(notificationFirings.leaseUntil, now)))
    .returning();
  // The crossings of this report: thresholds above the percentage before it (previous of the
  // previous target) and at most the percentage now, of the row just updated, compared as integers
  // (threshold × target ≤ transactions × 100 × units per percent). The join on the conditions
  // skips one deleted since it was read. ON CONFLICT: a crossing already claimed (concurrent
  // report, changed target) is not claimed twice.
  const scale = 100 * UNITS_PER_PERCENT;
  const claim = db
    .insert(notificationFirings)
    .select(
      // Columns in the table's order, as an insert from a select requires.
      sql`SELECT u.org_id, u.developer, u.rate_plan_id, u.cycle, nc.id, c.threshold, u.transactions, u.quota_target, ${now}, 'pending', NULL, ${now + FIRING_LEASE_MS}
        FROM ${usageCounters} AS u
        JOIN (SELECT json_extract(value, '$[0]') AS condition_id, json_extract(value, '$[1]') AS threshold FROM json_each(${JSON.stringify(candidates)})) AS c
        JOIN ${notificationConditions} AS nc ON nc.id = c.condition_id AND nc.org_id = u.org_id
        WHERE u.org_id = ${key.orgId} AND u.developer = ${key.developer} AND u.rate_plan_id = ${key.ratePlanId} AND u.cycle = ${key.cycle}
          AND c.threshold * u.previous_quota_target > u.previous * ${scale}
          AND c.threshold * u.quota_target <= u.transactions * ${scale}`,
    )
    .onConflictDoNothing()
    .returning();
  const [[usage], takenOver, claimed] = await db.batch([upsert, takeOver, claim]);

  const firings: Firing[] = [
    ...takenOver.map((row) => ({ ...row, retried: true })),
    ...claimed.map((row) => ({ ...row, retried: false })),
  ];
  const posted = await postFirings(env, db, orgId, report, key, firings, conditions, post);
  return {
    developerEmail: report.developer.email,
    ratePlanId: key.ratePlanId,
    nextBillingCycleStartDate: key.cycle,
    transactions: usage!.transactions,
    quotaTarget: report.quotaTarget,
    quotaPercentUsed: percentUsed(usage!.transactions, report.quotaTarget),
    fired: posted.filter((p) => !p.retried).map((p) => p.outcome),
    retried: posted.filter((p) => p.retried).map((p) => p.outcome),
  };
}

/**
 * Posts claimed firings, ascending by threshold (then condition age), one directed event each, to
 * the webhooks of the condition's actions, and records the outcome. If the pipeline refuses, the
 * firings stay pending with their lease released: the next report or sweep posts them. Each event
 * is keyed by its crossing, so posting one again (its outcome was not recorded) stores nothing new.
 */
export async function postFirings(
  env: Env,
  db: Database,
  orgId: string,
  report: UsageReportInput,
  key: UsageKey,
  firings: Firing[],
  known: ConditionWithActions[],
  post: PostDirectedEvents,
): Promise<{ retried: boolean; outcome: FiredNotificationJson }[]> {
  if (firings.length === 0) return [];
  const missing = [...new Set(firings.map((f) => f.conditionId))].filter((id) => !known.some((c) => c.id === id));
  // A taken-over firing whose condition moved to another plan still belongs to its condition.
  const conditions = missing.length > 0 ? [...known, ...(await loadConditions(db, orgId, { ids: missing }))] : known;
  const byId = new Map(conditions.map((c, i) => [c.id, { condition: c, order: i }]));
  const rank = (f: Firing) => byId.get(f.conditionId)?.order ?? Number.MAX_SAFE_INTEGER;
  firings.sort((a, b) => a.threshold - b.threshold || rank(a) - rank(b));

  // A condition deleted since takes its firings with it (foreign key cascade): nothing to post.
  const entries = firings.flatMap((firing) => {
    const condition = byId.get(firing.conditionId)?.condition;
    return condition ? [{ firing, condition, payload: notificationPayload(orgId, report, firing, condition.usageTarget) }] : [];
  });
  if (entries.length === 0) return [];
  const sendable = entries.filter((e) => e.condition.webhookIds.length > 0);
  let eventIds: string[] | undefined;
  if (sendable.length > 0) {
    try {
      eventIds = await post(
        env,
        orgId,
        sendable.map((e) => ({ type: USAGE_NOTIFICATION_TYPE, body: e.payload, webhookIds: e.condition.webhookIds, key: crossingKey(key, e.firing) })),
      );
    } catch (error) {
      console.error("usage notifications not queued; the next report or the sweep retries them", describeError(error));
    }
  }

  const fired: FiredNotificationJson[] = entries.map((e) => {
    const at = sendable.indexOf(e);
    const eventId = at >= 0 && eventIds ? eventIds[at]! : null;
    return {
      conditionId: e.condition.id,
      threshold: percentOf(e.firing.threshold),
      webhookIds: e.condition.webhookIds,
      status: at < 0 ? "dropped" : eventId ? "queued" : "pending",
      eventId,
      payload: e.payload,
    };
  });
  const where = (f: Firing) =>
    and(
      eq(notificationFirings.orgId, key.orgId),
      eq(notificationFirings.developer, key.developer),
      eq(notificationFirings.ratePlanId, key.ratePlanId),
      eq(notificationFirings.cycle, key.cycle),
      eq(notificationFirings.conditionId, f.conditionId),
      eq(notificationFirings.threshold, f.threshold),
    );
  const updates = entries.map((e, i) => {
    const outcome = fired[i]!;
    // A pending firing's lease is released so the very next report retries it.
    const set = outcome.status === "pending" ? { leaseUntil: 0 } : { state: outcome.status, eventId: outcome.eventId };
    return db.update(notificationFirings).set(set).where(where(e.firing));
  });
  await db.batch(updates as [(typeof updates)[number], ...typeof updates]);
  return entries.map((e, i) => ({ retried: e.firing.retried, outcome: fired[i]! }));
}

/** The idempotency key of a crossing's event: one event per developer, plan, cycle, condition and threshold. */
function crossingKey(key: UsageKey, firing: Firing): string {
  return `usage-notification ${JSON.stringify([key.developer, key.ratePlanId, key.cycle, firing.conditionId, firing.threshold])}`;
}
