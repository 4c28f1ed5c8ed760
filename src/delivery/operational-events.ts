// Operational events: what the platform tells an organization about its own webhooks. Their source
// is `operational`, whose catalog is built in (src/db/operational-catalog.ts). They enter the
// organization's event log like any event (EventLog.storeOperational), so they are numbered,
// stored, ordered and signed alike, and go to the organization's webhooks subscribed to them,
// never to the webhook they are about.
//
// A sequencer counts its webhook's failures and decides to disable it (src/sequencer/failure-run.ts);
// its drain tells the organization (`tellOrganization`). The disable is a configuration change like
// a person's: the D1 row (enabled false, with the reason and time), announced to the event log, so
// the drain then reads the webhook disabled and cancels what waits, as after a manual disable.
import type { Env } from "../env";
import { disableWebhookRow, type WebhookRow } from "../db/webhooks";
import type { OperationalEvent } from "../ingest/records";
import { announceConfigChange, eventLog } from "../ingest/event-log-client";
import type { DisableDecision, FailedDelivery, OperationalNews } from "../sequencer/failure-run";
import { log } from "../log";

/** `updatedBy` of a webhook the platform disabled. */
export const AUTO_DISABLE_ACTOR = "auto-disable";

/** Stores the events in the organization's event log, which delivers them; throws if the log cannot take them now. */
export async function storeOperationalEvents(env: Pick<Env, "EVENT_LOG">, orgId: string, events: OperationalEvent[]): Promise<void> {
  if (events.length === 0) return;
  const answer = await eventLog(env, orgId).storeOperational(orgId, events);
  if (!answer.ok) throw new Error(`operational events not stored: ${answer.refusal.message}`);
}

/**
 * Tells the organization a sequencer's news about its webhook: each failed delivery, and a decision
 * to disable it, applied first. Safe to repeat: a repeat finds the row this decision disabled by its
 * time, and the event log stores each event once. A webhook deleted, or disabled by a person first,
 * is left as it is. Throws when D1 or the event log cannot be reached; the news stays owed.
 */
export async function tellOrganization(env: Env, orgId: string, webhookId: string, news: OperationalNews): Promise<void> {
  const decision = news.disabling;
  const disabled = decision ? await disableWebhookRow(env.DB, orgId, webhookId, { reason: decision.reason, at: decision.at, by: AUTO_DISABLE_ACTOR }) : undefined;
  if (decision && disabled) {
    log.warn("webhook disabled automatically", { orgId, webhookId, reason: decision.reason });
    await announceConfigChange(env, orgId);
  }
  await storeOperationalEvents(env, orgId, [
    ...news.failed.map((failed) => deliveryFailedEvent(webhookId, failed)),
    ...(decision && disabled ? [webhookDisabledEvent(disabled, decision)] : []),
  ]);
}

export function deliveryFailedEvent(webhookId: string, failed: FailedDelivery): OperationalEvent {
  return {
    type: "delivery.failed",
    about: webhookId,
    key: `delivery.failed:${failed.deliveryId}`,
    causeEventId: failed.eventId,
    data: { webhookId, ...failed },
  };
}

export function webhookDisabledEvent(webhook: Pick<WebhookRow, "id" | "name" | "postUrl">, decision: DisableDecision): OperationalEvent {
  return {
    type: "webhook.disabled",
    about: webhook.id,
    key: `webhook.disabled:${webhook.id}:${decision.at}`,
    data: {
      webhookId: webhook.id,
      name: webhook.name,
      url: webhook.postUrl,
      reason: decision.reason,
      disabledAt: decision.at,
      failingSince: decision.failingSince,
      failedDeliveries: decision.failedDeliveries,
      lastStatusCode: decision.lastStatusCode,
    },
  };
}

/** `previous`: the webhook as it was while disabled (its `updated` makes the key: one event per enabling). */
export function webhookEnabledEvent(previous: WebhookRow, enabled: WebhookRow): OperationalEvent {
  return {
    type: "webhook.enabled",
    about: previous.id,
    key: `webhook.enabled:${previous.id}:${previous.updated}`,
    data: {
      webhookId: previous.id,
      name: enabled.name,
      url: enabled.postUrl,
      enabledAt: enabled.updated,
      enabledBy: enabled.updatedBy,
      disabledReason: previous.disabledReason,
      disabledAt: previous.disabledAt,
    },
  };
}
