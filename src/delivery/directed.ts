// Events addressed to given webhooks instead of matched: test events and usage notifications.
// They are stored and fanned out like any event, so they are ordered, signed and retried alike.
import type { Env } from "../env";
import { storeEvents, unstoreEvents, type NewEvent } from "../db/events";
import type { WebhookRow } from "../db/webhooks";
import { ApiError } from "../http/errors";
import type { FanoutJob } from "./jobs";
import { describeError } from "../log";

/** The source of usage notifications (Apigee Edge monetization). */
export const NOTIFICATION_SOURCE = "mint";
export const TEST_EVENT_TYPE = "webhook.test";

async function postAddressed(env: Env, orgId: string, rows: Omit<NewEvent, "id" | "orgId" | "created" | "entity">[]) {
  const now = Date.now();
  const stored = await storeEvents(
    env.DB,
    orgId,
    rows.map((row) => ({ ...row, id: crypto.randomUUID(), orgId, created: now, entity: null })),
  );
  // A duplicate's fan-out is queued again too (fan-out skips what is done): its first post may
  // have been stored without its job being sent.
  const job: FanoutJob = { kind: "fanout", orgId, seqs: stored.map((s) => s.seq) };
  try {
    await env.JOBS.send(job);
  } catch (e) {
    console.error("addressed event not queued", describeError(e));
    await unstoreEvents(env.DB, stored.filter((s) => !s.duplicate).map((s) => s.seq));
    throw new ApiError(503, "unavailable", "The event could not be queued; nothing was stored, try again");
  }
  return stored.map((s) => s.id);
}

export interface DirectedEvent {
  type: string;
  body: unknown;
  webhookIds: string[];
  /** Posting the same key again stores nothing new and answers the first event's id. */
  key: string;
}

/**
 * Stores one event per item addressed to the given webhooks and queues its fan-out; each webhook
 * gets one delivery whose body is `body` verbatim (JSON). Returns the event ids.
 */
export async function postDirectedEvents(env: Env, orgId: string, items: DirectedEvent[]): Promise<string[]> {
  if (items.length === 0) return [];
  return postAddressed(
    env,
    orgId,
    items.map((item) => ({
      kind: "notification",
      source: NOTIFICATION_SOURCE,
      type: item.type,
      data: JSON.stringify(item.body),
      targets: item.webhookIds,
      idempotencyKey: item.key,
    })),
  );
}

/** A `webhook.test` event in the standard envelope, to this webhook only. */
export async function sendTestEvent(env: Env, webhook: WebhookRow): Promise<string> {
  const [id] = await postAddressed(env, webhook.orgId, [
    {
      kind: "test",
      source: webhook.source ?? "platform",
      idempotencyKey: null,
      type: TEST_EVENT_TYPE,
      data: JSON.stringify({ message: "A test event: your endpoint is reachable and verifies signatures.", webhookId: webhook.id }),
      targets: [webhook.id],
    },
  ]);
  return id!;
}
