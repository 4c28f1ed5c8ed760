// Operational events: what the platform tells an organization about its own webhooks. Their source
// is `operational`, whose catalog is built in (src/db/operational-catalog.ts). They enter the
// organization's event log like any event, so they are numbered, stored, ordered and signed alike;
// they go to the organization's webhooks subscribed to them, never to the webhook they are about.
import type { Env } from "../env";
import type { OperationalType } from "../db/operational-catalog";
import { eventLog } from "../ingest/event-log-client";

/** What the event log stores for one operational event (the envelope's `data` is `data`). */
export interface OperationalEvent {
  type: OperationalType;
  /** The webhook it is about: it is never delivered there. */
  about: string;
  /** Stored as the event's producer id: telling the log twice (a retry) stores it once. */
  key: string;
  data: Record<string, unknown>;
  /** The event whose delivery it reports: none is stored about an operational event's delivery, so two failing operational webhooks cannot feed each other. */
  causeEventId?: string;
}

/** Stores the event in the organization's event log, which delivers it; throws if the log cannot take it now. */
export async function storeOperationalEvent(env: Pick<Env, "EVENT_LOG">, orgId: string, event: OperationalEvent): Promise<void> {
  const answer = await eventLog(env, orgId).storeOperational(orgId, event);
  if (!answer.ok) throw new Error(`${event.type} not stored: ${answer.refusal.message}`);
}

/** A delivery that ended failed, as its sequencer reports it. */
export interface FailedDelivery {
  deliveryId: string;
  eventId: string;
  eventType: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
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

export interface DisabledWebhook {
  id: string;
  name: string;
  postUrl: string;
  disabledReason: string;
  disabledAt: number;
}

export function webhookDisabledEvent(webhook: DisabledWebhook, run: { failingSince: number; failedDeliveries: number; lastStatusCode: number | null }): OperationalEvent {
  return {
    type: "webhook.disabled",
    about: webhook.id,
    key: `webhook.disabled:${webhook.id}:${webhook.disabledAt}`,
    data: {
      webhookId: webhook.id,
      name: webhook.name,
      url: webhook.postUrl,
      reason: webhook.disabledReason,
      disabledAt: webhook.disabledAt,
      failingSince: run.failingSince,
      failedDeliveries: run.failedDeliveries,
      lastStatusCode: run.lastStatusCode,
    },
  };
}

/** `previous`: the webhook as it was while disabled (its `updated` makes the key: one event per enabling). */
export function webhookEnabledEvent(
  previous: { id: string; updated: number; disabledReason: string | null; disabledAt: number | null },
  enabled: { name: string; postUrl: string; updated: number; updatedBy: string },
): OperationalEvent {
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
