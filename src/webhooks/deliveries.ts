// What a tenant can do with one webhook's deliveries, shared by the API (src/api/deliveries.ts) and
// the page: read the log, redeliver, recover what did not arrive, send a test event.
import type { Env } from "../env";
import { ApiError, apiErrorOf, notFound } from "../errors";
import type { WebhookRow } from "../db/webhooks";
import { eventLog } from "../ingest/event-log-client";
import type { DeliveryStatus } from "../sequencer/records";
import { sequencer } from "../delivery/sequencer-client";
import { dispatch } from "../delivery/dispatch";
import { envelope } from "../delivery/drain";
import { getEnabledWebhook, getWebhook } from "./lifecycle";

export const TEST_EVENT_TYPE = "webhook.test";

export async function listDeliveries(env: Env, orgId: string, id: string, query: { status?: DeliveryStatus; limit: number; offset: number }) {
  await getWebhook(env.DB, orgId, id);
  return sequencer(env, id).list(query);
}

/** The bodies the events were (or will be) delivered with, by event id: those the organization's log still keeps. */
export async function payloadsOf(env: Env, orgId: string, eventIds: string[]): Promise<Map<string, string>> {
  if (eventIds.length === 0) return new Map();
  const { events } = await eventLog(env, orgId).deliveryInputs(orgId, null, [...new Set(eventIds)]);
  return new Map(events.map((event) => [event.id, envelope(event)]));
}

export async function getDelivery(env: Env, orgId: string, id: string, deliveryId: string) {
  await getWebhook(env.DB, orgId, id);
  const delivery = await sequencer(env, id).get(deliveryId);
  if (!delivery) throw notFound("delivery");
  return delivery;
}

/** The webhook's most recent final delivery (succeeded or failed), or null if it has none yet. */
export async function lastOutcome(env: Env, id: string) {
  return sequencer(env, id).lastOutcome();
}

/** A new delivery of the same event, queued after everything already queued for the webhook. */
export async function redeliver(env: Env, orgId: string, id: string, deliveryId: string) {
  await getEnabledWebhook(env.DB, orgId, id);
  const created = await sequencer(env, id).redeliver(deliveryId, await eventLog(env, orgId).latestSeq());
  if (!created) throw notFound("delivery");
  return created;
}

/**
 * Queues again, once each and in the order they were queued, the events whose last delivery since
 * `from` failed or was cancelled unsent: returns how many now, and whether that was all (the
 * webhook's sequencer queues the rest a turn at a time on its own, so a backlog of millions never
 * makes one long request). Refused (409) while an earlier recovery of the webhook goes on.
 */
export async function recoverDeliveries(env: Env, orgId: string, id: string, from: number): Promise<{ redelivered: number; complete: boolean }> {
  await getEnabledWebhook(env.DB, orgId, id);
  const recovered = await sequencer(env, id).recover(from, await eventLog(env, orgId).latestSeq());
  if (!recovered) {
    throw new ApiError(409, "recovery_under_way", "An earlier recovery of this webhook is still queuing its events; try again once it has finished", [
      { field: "since", reason: "the webhook's events from the earlier recovery are still being queued again, in order; a second one now would mix with them" },
    ]);
  }
  return recovered;
}

/**
 * Sends a `webhook.test` event in the standard envelope to this webhook only; returns the event id.
 * It is stored in the organization's event log and fanned out like any event, so it is ordered,
 * signed and retried alike.
 */
export async function sendTestEventTo(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, orgId: string, id: string): Promise<string> {
  const webhook: WebhookRow = await getEnabledWebhook(env.DB, orgId, id);
  const stored = await eventLog(env, orgId).storeAddressed(orgId, [
    {
      kind: "test",
      source: webhook.source ?? "platform",
      type: TEST_EVENT_TYPE,
      data: JSON.stringify({ message: "A test event: your endpoint is reachable and verifies signatures.", webhookId: webhook.id }),
      webhookIds: [webhook.id],
    },
  ]);
  if (!stored.ok) throw apiErrorOf(stored.refusal);
  ctx.waitUntil(dispatch(env, orgId, stored.value));
  return stored.value[0]!.eventId;
}
