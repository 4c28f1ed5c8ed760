// The outbox sweep. A crossing is claimed in D1 before it is posted to the delivery pipeline; when
// the post fails, or the report dies before posting, the firing stays pending. The next report for
// the same developer, plan and cycle posts it, but that report may never come: the Worker's cron
// trigger runs this sweep every minute, so a claimed crossing is posted within about a minute of
// its lease running out once the pipeline takes events again (longer only behind a backlog).
import { and, eq, sql } from "drizzle-orm";
import type { Env } from "../env";
import { database } from "../db/client";
import { notificationFirings, usageCounters } from "../db/schema";
import type { FiredNotificationJson } from "../api/usage-schemas";
import { FIRING_LEASE_MS, loadConditions, postFirings, type Firing, type PostDirectedEvents, type UsageKey } from "./usage";

/**
 * Developers' cycles whose pending firings one sweep posts, oldest first; more wait for the next
 * minute. Each takes about six D1 and queue calls, far below the 1,000 an invocation may make.
 */
export const SWEEP_GROUPS = 50;

/** Posts every pending firing whose lease has run out; answers what became of each. */
export async function postPendingFirings(env: Env, post: PostDirectedEvents, now = Date.now()): Promise<FiredNotificationJson[]> {
  const db = database(env.DB);
  const taken = await db
    .update(notificationFirings)
    .set({ leaseUntil: now + FIRING_LEASE_MS })
    .where(
      sql`state = 'pending' AND lease_until <= ${now} AND (org_id, developer, rate_plan_id, cycle) IN (
        SELECT org_id, developer, rate_plan_id, cycle FROM ${notificationFirings} WHERE state = 'pending' AND lease_until <= ${now}
        GROUP BY org_id, developer, rate_plan_id, cycle ORDER BY min(trigger_time) LIMIT ${SWEEP_GROUPS})`,
    )
    .returning();

  const groups = new Map<string, { key: UsageKey; firings: Firing[] }>();
  for (const row of taken) {
    const key: UsageKey = { orgId: row.orgId, developer: row.developer, ratePlanId: row.ratePlanId, cycle: row.cycle };
    const id = JSON.stringify(key);
    const group = groups.get(id) ?? { key, firings: [] };
    group.firings.push({ ...row, retried: true });
    groups.set(id, group);
  }

  const outcomes: FiredNotificationJson[] = [];
  for (const { key, firings } of groups.values()) {
    // The counter holds the latest report: the names and dates of the payload. It goes only with
    // its organization, which takes the firings along.
    const counter = await db
      .select({ report: usageCounters.report })
      .from(usageCounters)
      .where(
        and(
          eq(usageCounters.orgId, key.orgId),
          eq(usageCounters.developer, key.developer),
          eq(usageCounters.ratePlanId, key.ratePlanId),
          eq(usageCounters.cycle, key.cycle),
        ),
      )
      .get();
    if (!counter) continue;
    const conditions = await loadConditions(db, key.orgId, { ids: [...new Set(firings.map((f) => f.conditionId))] });
    const posted = await postFirings(env, db, key.orgId, counter.report, key, firings, conditions, post);
    outcomes.push(...posted.map((p) => p.outcome));
  }
  return outcomes;
}
