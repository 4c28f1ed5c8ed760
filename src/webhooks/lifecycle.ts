// The rules of a webhook's life, shared by the API and the page: create, change, rotate its secret,
// remove. Every function checks the webhook belongs to the organization, and every change reaches
// the webhook's sequencer before it answers, so the next attempt already uses it.
import type { Env } from "../env";
import { ApiError, badRequest, conflict, notFound } from "../errors";
import type { Author } from "../db/client";
import {
  conditionsNaming,
  deleteWebhookRow,
  findWebhook,
  insertWebhook,
  replaceSecret,
  updateWebhookRow,
  type WebhookChanges,
  type WebhookRow,
} from "../db/webhooks";
import { log } from "../log";
import { newSigningSecret } from "../delivery/signing";
import { refusedUrlReason } from "../delivery/url-policy";
import { sequencer } from "../delivery/sequencer-client";
import { assertBinding } from "./binding";
import { storeOperationalEvents, webhookEnabledEvent } from "../delivery/operational-events";

/** The previous secret keeps signing this long after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** The settings webhook writes depend on. */
export type WebhookEnv = Pick<Env, "DB" | "ALLOW_PRIVATE_URLS">;

export async function getWebhook(d1: D1Database, orgId: string, id: string): Promise<WebhookRow> {
  const row = await findWebhook(d1, orgId, id);
  if (!row) throw notFound("webhook");
  return row;
}

/** Sending to a disabled webhook would do nothing, so it is refused (409) rather than queued. */
export async function getEnabledWebhook(d1: D1Database, orgId: string, id: string): Promise<WebhookRow> {
  const webhook = await getWebhook(d1, orgId, id);
  if (!webhook.enabled) {
    throw new ApiError(409, "webhook_disabled", "The webhook is disabled; enable it first, or nothing will be sent", [
      { field: "enabled", reason: "is false" },
    ]);
  }
  return webhook;
}

function assertUrlAllowed(env: WebhookEnv, url: string | undefined) {
  if (url === undefined) return;
  const reason = refusedUrlReason(url, env.ALLOW_PRIVATE_URLS === "true");
  if (reason) throw badRequest("The webhook URL is not allowed", [{ field: "postURL", reason }]);
}

export async function createWebhook(
  env: WebhookEnv,
  author: Author,
  input: WebhookChanges & { name: string; postUrl: string },
  defaultEnabled: boolean,
): Promise<WebhookRow> {
  assertUrlAllowed(env, input.postUrl);
  const now = Date.now();
  const row: WebhookRow = {
    id: crypto.randomUUID(),
    orgId: author.orgId,
    name: input.name,
    postUrl: input.postUrl,
    enabled: input.enabled ?? defaultEnabled,
    description: input.description ?? null,
    source: input.source ?? null,
    entity: input.entity ?? null,
    events: input.events ?? [],
    rateLimit: input.rateLimit ?? null,
    disabledReason: null,
    disabledAt: null,
    secret: newSigningSecret(),
    previousSecret: null,
    previousSecretExpires: null,
    created: now,
    createdBy: author.email,
    updated: now,
    updatedBy: author.email,
  };
  await assertBinding(env.DB, author.orgId, row);
  if (await insertWebhook(env.DB, row)) return row;
  await assertBinding(env.DB, author.orgId, row);
  throw conflict("The webhook's entity or event types changed while it was being created; try again");
}

/**
 * Saves changes to a webhook, then tells its sequencer. A disabled webhook enabled again loses why
 * the platform had disabled it, counts failures afresh, and its organization hears of it.
 */
export async function changeWebhook(env: Env, author: Author, id: string, changes: WebhookChanges): Promise<WebhookRow> {
  assertUrlAllowed(env, changes.postUrl);
  const current = await getWebhook(env.DB, author.orgId, id);
  const next = { ...current, ...changes, updated: Date.now(), updatedBy: author.email };
  await assertBinding(env.DB, author.orgId, next);
  const reasonCleared = changes.enabled === true ? { disabledReason: null, disabledAt: null } : {};
  const updated = await updateWebhookRow(env.DB, author.orgId, id, { ...changes, ...reasonCleared, updated: next.updated, updatedBy: next.updatedBy }, next);
  if (!updated) {
    await getWebhook(env.DB, author.orgId, id); // deleted meanwhile: 404
    await assertBinding(env.DB, author.orgId, next);
    throw conflict("The webhook changed while it was being updated; try again");
  }
  const reenabled = !current.enabled && updated.enabled;
  await announceChange(env, id, { reenabled, disabled: current.enabled && !updated.enabled });
  if (reenabled) await announceReenabled(env, current, updated);
  return updated;
}

/** The organization's subscribers hear `webhook.enabled`; the change is saved whether or not it could be told. */
async function announceReenabled(env: Env, previous: WebhookRow, enabled: WebhookRow) {
  try {
    await storeOperationalEvents(env, enabled.orgId, [webhookEnabledEvent(previous, enabled)]);
  } catch (e) {
    log.error("webhook.enabled not stored", { orgId: enabled.orgId, webhookId: enabled.id, error: e });
  }
}

async function announceChange(env: Env, id: string, change?: { reenabled: boolean; disabled: boolean }) {
  try {
    await sequencer(env, id).webhookChanged(change);
  } catch (e) {
    // The change is saved; drains re-read the webhook within WEBHOOK_RECHECK_MS anyway.
    log.error("webhook change not announced to its sequencer", { webhookId: id, error: e });
  }
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

/** A new signing secret; the old one keeps signing for ROTATION_OVERLAP_MS. */
export async function rotateSecret(env: Env, author: Author, id: string): Promise<SigningSecret> {
  const current = await getWebhook(env.DB, author.orgId, id);
  const now = Date.now();
  const rotated = await replaceSecret(env.DB, author.orgId, id, {
    secret: newSigningSecret(),
    previousSecret: current.secret,
    previousSecretExpires: now + ROTATION_OVERLAP_MS,
    updated: now,
    updatedBy: author.email,
  });
  if (!rotated) throw notFound("webhook");
  await announceChange(env, id);
  return signingSecretOf(rotated);
}

/** What removing the webhook would undo: its deliveries still waiting, and the notification conditions naming it. */
export async function whatWouldStop(env: Env, orgId: string, id: string): Promise<{ waiting: number; conditions: number }> {
  const [waiting, naming] = await Promise.all([sequencer(env, id).openCount(), conditionsNaming(env.DB, orgId, id)]);
  return { waiting, conditions: naming.length };
}

/**
 * Deletes a webhook, with Apigee's forceDelete: false refuses (409) while deliveries are pending or
 * in flight or notification actions name it; true deletes, cancels its deliveries and removes the
 * actions naming it.
 */
export async function removeWebhook(env: Env, orgId: string, id: string, force: boolean, by: string): Promise<void> {
  await getWebhook(env.DB, orgId, id);
  const queue = sequencer(env, id);
  if (!force) {
    const open = await queue.openCount();
    if (open > 0) {
      throw new ApiError(409, "webhook_busy", `The webhook has ${open} deliveries pending or in flight; wait, or delete with forceDelete=true to cancel them`, [
        { field: "forceDelete", reason: `is false and ${open} deliveries are pending or in flight` },
      ]);
    }
  }
  // The row goes first: fan-out stops matching it and a delivery in flight sees it gone.
  if (!(await deleteWebhookRow(env.DB, orgId, id, force, by))) await explainRefusedDelete(env.DB, orgId, id);
  await queue.erase();
}

async function explainRefusedDelete(d1: D1Database, orgId: string, id: string): Promise<never> {
  await getWebhook(d1, orgId, id);
  const naming = await conditionsNaming(d1, orgId, id);
  if (naming.length === 0) throw conflict("The webhook's notification actions changed while it was being deleted; try again");
  throw conflict(
    `The webhook is named by ${naming.length} notification condition(s); remove it from their actions, or delete with forceDelete=true to remove those actions`,
    naming.map((row) => ({
      field: `notificationConditions.${row.id}`,
      reason: `notification condition ${row.id} (rate plan ${row.ratePlanId}, UsageTarget ${JSON.stringify(row.usageTarget)}) names this webhook in its actions`,
    })),
  );
}
