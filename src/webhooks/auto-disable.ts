// Auto-disable: a webhook whose receiver keeps failing stops being attempted. Its sequencer counts
// the run of deliveries that ended failed (src/sequencer/failure-run.ts) and decides; the disable
// itself is a configuration change like a person's: the D1 row (enabled false, with the reason and
// time), announced to the organization's event log, then `webhook.disabled` to the organization's
// subscribers. The webhook's waiting deliveries are then cancelled by its drain, as after a manual
// disable. Enabling it again (API or page) clears the reason and re-arms the count.
import { numberSetting, type Env } from "../env";
import { disableWebhookRow, type WebhookRow } from "../db/webhooks";
import { announceConfigChange } from "../ingest/event-log-client";
import { log } from "../log";
import { storeOperationalEvent, webhookDisabledEvent, webhookEnabledEvent } from "./operational-events";

/** `updatedBy` of a webhook the platform disabled. */
export const AUTO_DISABLE_ACTOR = "auto-disable";

export interface AutoDisableRule {
  /** Deliveries in a row that must have ended failed. */
  failedDeliveries: number;
  /** How long ago the first of them must have failed. */
  failingMs: number;
}

export function autoDisableRule(env: Pick<Env, "DISABLE_AFTER_FAILED_DELIVERIES" | "DISABLE_AFTER_FAILING_HOURS">): AutoDisableRule {
  return {
    failedDeliveries: Math.max(1, numberSetting(env.DISABLE_AFTER_FAILED_DELIVERIES, 20)),
    failingMs: numberSetting(env.DISABLE_AFTER_FAILING_HOURS, 120) * 60 * 60 * 1000,
  };
}

/** A sequencer's decision to disable its webhook, kept by it until applied. */
export interface DisableDecision {
  at: number;
  reason: string;
  failingSince: number;
  failedDeliveries: number;
  lastStatusCode: number | null;
}

/**
 * Applies a decision; safe to repeat (a retry after a failure finds the row it disabled by its
 * time, and the event log stores the event once). Nothing happens to a webhook deleted or
 * disabled by a person first. Throws when D1 or the event log cannot be reached: the sequencer
 * tries again later.
 */
export async function applyAutoDisable(env: Env, orgId: string, webhookId: string, decision: DisableDecision): Promise<void> {
  const disabled = await disableWebhookRow(env.DB, orgId, webhookId, { reason: decision.reason, at: decision.at, by: AUTO_DISABLE_ACTOR });
  if (!disabled) return;
  log.warn("webhook disabled automatically", { orgId, webhookId, reason: decision.reason });
  await announceConfigChange(env, orgId);
  await storeOperationalEvent(env, orgId, webhookDisabledEvent({ ...disabled, disabledReason: decision.reason, disabledAt: decision.at }, decision));
}

/**
 * A disabled webhook was enabled through the API or the page: the organization's subscribers hear
 * `webhook.enabled` (its sequencer was told to count failures afresh with the change itself). The
 * change is saved whether or not the event could be stored.
 */
export async function announceReenabled(env: Env, previous: WebhookRow, enabled: WebhookRow): Promise<void> {
  try {
    await storeOperationalEvent(env, enabled.orgId, webhookEnabledEvent(previous, enabled));
  } catch (e) {
    log.error("webhook.enabled not stored", { orgId: enabled.orgId, webhookId: enabled.id, error: e });
  }
}
