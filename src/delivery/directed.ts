// Events addressed to given webhooks instead of matched: test events. They are stored in the
// organization's event log and fanned out like any event, so they are ordered, signed and retried
// alike. (Usage notifications are stored by the log itself, with the crossing they report.)
import type { Env } from "../env";
import type { WebhookRow } from "../db/webhooks";
import { apiErrorOf } from "../errors";
import { eventLog } from "../ingest/event-log-client";
import { dispatch } from "./dispatch";

export const TEST_EVENT_TYPE = "webhook.test";

/** A `webhook.test` event in the standard envelope, to this webhook only; returns the event id. */
export async function sendTestEvent(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, webhook: WebhookRow): Promise<string> {
  const stored = await eventLog(env, webhook.orgId).storeAddressed(webhook.orgId, [
    {
      kind: "test",
      source: webhook.source ?? "platform",
      type: TEST_EVENT_TYPE,
      data: JSON.stringify({ message: "A test event: your endpoint is reachable and verifies signatures.", webhookId: webhook.id }),
      webhookIds: [webhook.id],
    },
  ]);
  if (!stored.ok) throw apiErrorOf(stored.refusal);
  ctx.waitUntil(dispatch(env, webhook.orgId, stored.value));
  return stored.value[0]!.eventId;
}
