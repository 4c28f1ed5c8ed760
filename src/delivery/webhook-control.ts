// What a tenant can do with one webhook's deliveries and secret, shared by the API
// (src/api/deliveries.ts) and the page: read the log, redeliver, recover, send a test event,
// read and rotate the signing secret. Every function checks the webhook belongs to the organization.
import { and, eq } from "drizzle-orm";
import type { Env } from "../env";
import type { Principal } from "../http/context";
import { ApiError, notFound } from "../errors";
import { database } from "../db/client";
import { webhooks } from "../db/schema";
import { getWebhook, updateWebhook, type WebhookRow } from "../db/webhooks";
import type { WebhookChanges } from "../api/webhook-schemas";
import { log } from "../log";
import { eventLog } from "../ingest/event-log-client";
import type { DeliveryStatus } from "../sequencer/records";
import { sequencer } from "./sequencer-client";
import { sendTestEvent } from "./directed";
import { newSigningSecret } from "./signing";

/** The previous secret keeps signing this long after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

export async function listDeliveries(env: Env, orgId: string, id: string, query: { status?: DeliveryStatus; limit: number; offset: number }) {
  await getWebhook(env.DB, orgId, id);
  return sequencer(env, id).list(query);
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

/** Queues again every failed delivery created since `from`; returns how many. */
export async function recoverDeliveries(env: Env, orgId: string, id: string, from: number): Promise<number> {
  await getEnabledWebhook(env.DB, orgId, id);
  return sequencer(env, id).recover(from, await eventLog(env, orgId).latestSeq());
}

/** Sends a `webhook.test` event to this webhook only; returns the event id. */
export async function sendTestEventTo(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, orgId: string, id: string): Promise<string> {
  return sendTestEvent(env, ctx, await getEnabledWebhook(env.DB, orgId, id));
}

export interface SigningSecret {
  key: string;
  previousKey: string | null;
  previousKeyExpires: number | null;
}

/** The secret that signs deliveries, and the previous one while it still signs too. */
export function signingSecretOf(webhook: Pick<WebhookRow, "secret" | "previousSecret" | "previousSecretExpires">): SigningSecret {
  const live = webhook.previousSecretExpires !== null && webhook.previousSecretExpires > Date.now();
  return {
    key: webhook.secret,
    previousKey: live ? webhook.previousSecret : null,
    previousKeyExpires: live ? webhook.previousSecretExpires : null,
  };
}

/** Saves changes to a webhook, then tells its sequencer, so the next attempt already uses them. */
export async function changeWebhook(env: Env, principal: Principal, id: string, changes: WebhookChanges): Promise<WebhookRow> {
  const updated = await updateWebhook(env, principal, id, changes);
  await announceChange(env, id);
  return updated;
}

async function announceChange(env: Env, id: string) {
  try {
    await sequencer(env, id).webhookChanged();
  } catch (e) {
    // The change is saved; drains re-read the webhook within WEBHOOK_RECHECK_MS anyway.
    log.error("webhook change not announced to its sequencer", { webhookId: id, error: e });
  }
}

/** A new signing secret; the old one keeps signing for ROTATION_OVERLAP_MS. */
export async function rotateSecret(env: Env, principal: Principal, id: string): Promise<SigningSecret> {
  const current = await getWebhook(env.DB, principal.orgId, id);
  const now = Date.now();
  const [rotated] = await database(env.DB)
    .update(webhooks)
    .set({
      secret: newSigningSecret(),
      previousSecret: current.secret,
      previousSecretExpires: now + ROTATION_OVERLAP_MS,
      updated: now,
      updatedBy: principal.email,
    })
    .where(and(eq(webhooks.orgId, principal.orgId), eq(webhooks.id, id)))
    .returning();
  if (!rotated) throw notFound("webhook");
  await announceChange(env, id);
  return signingSecretOf(rotated);
}

/** Sending to a disabled webhook would do nothing, so it is refused (409) rather than queued. */
async function getEnabledWebhook(d1: D1Database, orgId: string, id: string) {
  const webhook = await getWebhook(d1, orgId, id);
  if (!webhook.enabled) {
    throw new ApiError(409, "webhook_disabled", "The webhook is disabled: enable it first, or nothing will be sent", [
      { field: "enabled", reason: "is false" },
    ]);
  }
  return webhook;
}
