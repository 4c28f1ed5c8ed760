// The drain: holds one webhook's lease and sends its ready deliveries back to back,
// one at a time, in order, until it is idle, has to wait (a retry, an unfinished earlier fan-out)
// or has had its turn.
import type { Env } from "../env";
import type { WebhookRow } from "../db/webhooks";
import type { DeliverySeed, LoggedEvent } from "../ingest/records";
import { eventLog } from "../ingest/event-log-client";
import { CANCELLED_BECAUSE, type AttemptReport, type AttemptResult, type NextRequest, type NextStep } from "../sequencer/records";
import type { DrainJob } from "../queue/jobs";
import { outcomeOf } from "./retry-policy";
import { config } from "../config";
import { Signer } from "./signing";
import { postWebhook, type Timeouts } from "./webhook-http-client";
import { sequencer } from "./sequencer-client";
import { refusedUrlReason } from "./url-policy";
import { recordAttempt } from "../observability/metrics";
import { Throttle } from "./throttle";
import { tellOrganization } from "./operational-events";
import type { OperationalNews } from "../sequencer/failure-run";

/**
 * Deliveries one drain job may send before handing over to a fresh job: each costs two
 * subrequests (the sequencer call and the POST), well under the 10,000 a paid invocation may make.
 * The time bound keeps one busy webhook from holding an invocation for long. A throttled drain's
 * waits for its next turn are not work and do not count, up to twice the time bound in all: each
 * handover costs a queue hop, which would otherwise keep a throttled webhook below its rate.
 */
const TURN_DELIVERIES = 2_000;
const TURN_MS = 20_000;
/** Longest a drain trusts its copy of the webhook's settings without a change notice. */
export const WEBHOOK_RECHECK_MS = 5_000;

export interface DrainOptions {
  /** How long this drain may go on before a fresh drain job continues. */
  turnMs?: number;
  /** The events and webhooks the caller already has, so the first deliveries need not ask for them. */
  seed?: DeliverySeed | undefined;
  /** How a throttled drain waits for its next turn (the drains beside it may run meanwhile). */
  rest?: (ms: number) => Promise<void>;
  /**
   * The watermark the fan-out that claimed this drain will report (fanout.ts, StartDrain): the drain
   * started before that report, and takes the watermark from it rather than asking the log.
   */
  reported?: Promise<number | undefined>;
}

export async function drain(env: Env, job: DrainJob, { turnMs = TURN_MS, seed, rest, reported }: DrainOptions = {}): Promise<void> {
  const settings = config(env);
  let webhookSequencer = sequencer(env, job.webhookId);
  const inputs = new DeliveryInputs(env, job.orgId, job.webhookId, seed);
  const signer = new Signer();
  const throttle = new Throttle(rest);
  const started = Date.now();
  const turnOver = () => Date.now() - throttle.rested > started + turnMs || Date.now() > started + 2 * turnMs;
  let lease = job.lease;
  let report: AttemptReport | undefined;
  let told: OperationalNews | undefined;
  let watermark: number | undefined;
  // Once the fan-out has reported, its watermark goes with the next call, which saves the sequencer
  // asking for it when the fan-out brought this webhook more than one event.
  let heard: number | undefined;
  void reported?.then((value) => (heard = value));
  // Handed out with the append that claimed the lease: the first step needs no call.
  let first = job.first;
  let sent = 0;
  for (;;) {
    if (watermark === undefined && heard !== undefined) {
      watermark = heard;
      heard = undefined;
      reported = undefined; // told once: later events need the log's watermark as it is then
    }
    const request: NextRequest = { report, watermark, told, pause: sent >= TURN_DELIVERIES || turnOver(), lookahead: inputs.exhausted() };
    // A delivery handed out with the claim that waited its turn among a fan-out's drains for half
    // its lease is handed out again before it is sent, so its lease cannot run out on the wire.
    if (first && Date.now() - first.handedOutAt > settings.leaseMs / 2) {
      request.unsent = first.delivery.id;
      first = undefined;
    }
    let step: NextStep;
    if (first) {
      step = first;
      first = undefined;
    } else try {
      step = await webhookSequencer.next(lease, request);
    } catch {
      // A sequencer reset while we were sending (eviction, deploy) breaks our connection to it, not
      // its storage: a fresh one carries on under the same lease. A call that did land first is
      // harmless again (a report is applied once; a delivery it handed out answers "stale").
      webhookSequencer = sequencer(env, job.webhookId);
      step = await webhookSequencer.next(lease, request);
    }
    report = undefined;
    watermark = undefined;
    told = undefined;
    switch (step.action) {
      case "stale":
      case "idle":
      case "paused":
        return;
      case "retry-scheduled":
        await env.JOBS.send(continuation(job, lease), { delaySeconds: settings.retryDelaySeconds });
        return;
      case "wait":
        await env.JOBS.send(continuation(job, lease), { delaySeconds: Math.max(1, Math.ceil((step.until - Date.now()) / 1000)) });
        return;
      case "blocked":
        return; // the sequencer's alarm starts a fresh drain once the earlier fan-out had time
      case "tell":
        // Failures the organization is owed news of; a decision to disable the webhook is applied here.
        await tellOrganization(env, job.orgId, job.webhookId, step.news);
        told = step.news;
        continue;
      case "need-watermark": {
        // The report of the fan-out that claimed this drain, if it covers the head; else the log's
        // watermark now (an earlier event still waiting for its fan-out is the log's to re-drive).
        const fromReport = reported ? await reported : undefined;
        watermark = fromReport !== undefined && fromReport >= step.seq ? fromReport : await eventLog(env, step.orgId).watermark();
        reported = undefined;
        heard = undefined;
        continue;
      }
      case "deliver": {
        lease = step.lease;
        const { webhook, event } = await inputs.read(step);
        if (!webhook || !webhook.enabled || !event) {
          const reason = !webhook ? CANCELLED_BECAUSE.webhookDeleted : !webhook.enabled ? CANCELLED_BECAUSE.webhookDisabled : CANCELLED_BECAUSE.eventGone;
          report = { deliveryId: step.delivery.id, outcome: "cancelled", reason };
          continue;
        }
        const refused = refusedUrlReason(webhook.postUrl, settings.allowPrivateUrls);
        if (!refused) await throttle.turn(webhook.rateLimit, step.previousAttemptAt);
        const attempt = refused ? refusedAttempt(refused) : await send(webhook, event, signer, settings);
        const outcome = outcomeOf(attempt, step.delivery.attempt, settings.maxAttempts);
        recordAttempt(env, { orgId: webhook.orgId, webhookId: webhook.id, outcome, statusCode: attempt.statusCode, durationMs: attempt.durationMs });
        report = {
          deliveryId: step.delivery.id,
          outcome,
          attempt,
          retryAt: outcome === "retry" ? Date.now() + settings.retryDelaySeconds * 1000 : undefined,
        };
        sent += 1;
        continue;
      }
    }
  }
}

/** The drain job that goes on under `lease` later: it asks the sequencer for its first step. */
function continuation(job: DrainJob, lease: string): DrainJob {
  return { kind: "drain", webhookId: job.webhookId, orgId: job.orgId, lease };
}

/** One signed POST of the event to the webhook. */
async function send(webhook: WebhookRow, event: LoggedEvent, signer: Signer, timeouts: Timeouts): Promise<AttemptResult> {
  const body = envelope(event);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    "webhook-id": event.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signer.header(signingSecrets(webhook), event.id, timestamp, body),
  };
  return postWebhook(webhook.postUrl, body, headers, timeouts);
}

/** A URL the SSRF guard refuses is never contacted; the attempt fails for good. */
function refusedAttempt(reason: string): AttemptResult {
  return { started: Date.now(), durationMs: 0, statusCode: null, errorKind: "refused_url", error: `not sent: the URL ${reason}`, responseBody: null };
}

/**
 * The webhook and events a delivery needs, from the organization's event log, asked only when they
 * may have changed: the webhook when its sequencer says its settings changed (or after
 * WEBHOOK_RECHECK_MS, in case that notice was lost), events (which never change) 50 at a time. A
 * healthy webhook's ready deliveries then cost no call each.
 */
class DeliveryInputs {
  /** `version` null: handed over with the events, taken as current the first time. */
  private webhook: { row: WebhookRow | null; version: number | null; readAt: number } | undefined;
  private readonly events = new Map<string, LoggedEvent>();

  constructor(
    private readonly env: Env,
    private readonly orgId: string,
    private readonly webhookId: string,
    seed?: DeliverySeed,
  ) {
    const row = seed?.webhooks.find((webhook) => webhook.id === webhookId);
    if (!seed || !row) return;
    this.webhook = { row, version: null, readAt: Date.now() };
    for (const event of seed.events) if (event.webhookIds.includes(webhookId)) this.events.set(event.id, event);
  }

  /** Whether every event read ahead has been sent: time to ask the sequencer for the next ones. */
  exhausted(): boolean {
    return this.events.size === 0;
  }

  async read(step: Extract<NextStep, { action: "deliver" }>): Promise<{ webhook: WebhookRow | null; event: LoggedEvent | undefined }> {
    const { eventId } = step.delivery;
    if (this.webhook?.version === null) this.webhook.version = step.webhookVersion;
    const staleWebhook = !this.webhook || this.webhook.version !== step.webhookVersion || Date.now() - this.webhook.readAt > WEBHOOK_RECHECK_MS;
    const missingEvents = this.events.has(eventId) ? [] : [eventId, ...step.upcomingEventIds.filter((id) => !this.events.has(id))];
    if (staleWebhook || missingEvents.length > 0) {
      const readAt = Date.now();
      const read = await eventLog(this.env, this.orgId).deliveryInputs(this.orgId, staleWebhook ? this.webhookId : null, missingEvents);
      if (read.webhook !== undefined) this.webhook = { row: read.webhook, version: step.webhookVersion, readAt };
      for (const event of read.events) this.events.set(event.id, event);
    }
    const event = this.events.get(eventId);
    this.events.delete(eventId);
    return { webhook: this.webhook!.row, event };
  }
}

/** The delivered body: the standard envelope, or a notification's payload verbatim. */
export function envelope(event: LoggedEvent): string {
  if (event.kind === "notification") return event.data;
  return `{"id":${JSON.stringify(event.id)},"type":${JSON.stringify(event.type)},"source":${JSON.stringify(event.source)},"entity":${JSON.stringify(event.entity)},"created":${event.created},"data":${event.data}}`;
}

/** The current secret, plus the previous one while its rotation overlap lasts. */
export function signingSecrets(webhook: WebhookRow, now = Date.now()): string[] {
  const previous = webhook.previousSecret && webhook.previousSecretExpires && webhook.previousSecretExpires > now ? [webhook.previousSecret] : [];
  return [webhook.secret, ...previous];
}
