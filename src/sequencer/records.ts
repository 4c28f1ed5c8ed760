// What the sequencer stores and hands out, as rows and as the API shows them.
import type { DeliverStep } from "../queue/jobs";
import { formatDeliveryId, type DeliveryKey } from "./delivery-id";
import type { OperationalNews } from "./failure-run";

export const OPEN_STATUSES = ["pending", "in_flight", "retrying"] as const;
export const DELIVERY_STATUSES = [...OPEN_STATUSES, "succeeded", "failed", "cancelled"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export type ErrorKind = "timeout" | "connection" | "redirect" | "refused_url";

/** Why a delivery was cancelled unsent, as its `lastError` says. Recover sends all of them again but `eventGone`'s. */
export const CANCELLED_BECAUSE = {
  webhookDeleted: "the webhook was deleted",
  webhookDisabled: "the webhook is disabled",
  /** Past retention: there is nothing left to send. */
  eventGone: "the event no longer exists",
} as const;

/**
 * A recovery that goes on (webhook-sequencer.ts, recover): the events whose last delivery since
 * `since` did not arrive, among the deliveries up to `end` (the last there was when it began),
 * from after `after` (null: from the start), each sent again after everything queued by then, and
 * at `at` at the earliest (the log's seq when it began).
 */
export interface Recovery {
  since: number;
  at: number;
  after: DeliveryKey | null;
  end: DeliveryKey;
}

/** What happened on the wire (delivery/webhook-http-client.ts): defined here, as the sequencer keeps it in its log. */
export interface AttemptResult {
  started: number;
  durationMs: number;
  statusCode: number | null;
  errorKind: ErrorKind | null;
  error: string | null;
  responseBody: string | null;
}

/** What an attempt led to, as delivery/retry-policy.ts decides and the log keeps it. */
export type Outcome = "succeeded" | "retry" | "failed";

export interface AppendItem {
  eventId: string;
  eventType: string;
  seq: number;
}

/** What a drain tells its sequencer of the delivery it was handed: what its attempt led to, or why it was not sent. */
export type AttemptReport =
  | {
      deliveryId: string;
      outcome: Outcome;
      /** What happened on the wire. */
      attempt: AttemptResult;
      /** When to try again (outcome "retry"). */
      retryAt?: number;
    }
  | { deliveryId: string; outcome: "cancelled"; reason: string };

/** What a drain tells its sequencer on each step. */
export interface NextRequest {
  /** The outcome of the delivery it just attempted. */
  report?: AttemptReport;
  /** A fan-out watermark the drain read: after a "need-watermark" answer, or from the fan-out that started it. */
  watermark?: number;
  /** End this holder's turn: a fresh drain job continues. */
  pause?: boolean;
  /** Name the events of the next open deliveries too, so the drain can read them in one go. */
  lookahead?: boolean;
  /**
   * The delivery handed out with the lease was not sent yet (it waited its turn among a fan-out's
   * drains): hand it out again under a fresh deadline, so its lease cannot run out while it is sent.
   */
  unsent?: string;
  /** The news of a "tell" answer, told to the organization. */
  told?: OperationalNews;
}

/** The lease an append handed its caller, and the delivery it handed out with it, if one could go at once. */
export interface Claim {
  lease: string;
  first?: DeliverStep;
}

export type NextStep =
  | DeliverStep
  | { action: "need-watermark"; seq: number; orgId: string }
  /** The organization is owed news of this webhook's failures: tell it, then say so (`told`). */
  | { action: "tell"; news: OperationalNews }
  | { action: "blocked"; seq: number }
  | { action: "retry-scheduled"; retryAt: number }
  | { action: "wait"; until: number }
  | { action: "paused" }
  | { action: "idle" }
  | { action: "stale" };

export interface DeliveryRow extends Record<string, SqlStorageValue> {
  seq: number;
  position: number;
  /** The random part of its id. */
  nonce: number;
  event_id: string;
  event_type: string;
  origin: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  created: number;
  updated: number;
  last_status_code: number | null;
  last_error: string | null;
  /** The lease token it was last handed out under. */
  lease: string | null;
}

export interface DeliveryRecord {
  id: string;
  eventId: string;
  eventType: string;
  origin: "event" | "redelivery";
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  created: number;
  updated: number;
  lastStatusCode: number | null;
  lastError: string | null;
}

/** An attempt as the log keeps it: what the HTTP client saw, its number and what it led to. */
export interface AttemptRecord extends AttemptResult {
  attempt: number;
  outcome: Outcome;
}

export function toDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    id: formatDeliveryId(row),
    eventId: row.event_id,
    eventType: row.event_type,
    origin: row.origin as DeliveryRecord["origin"],
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === "retrying" ? row.next_attempt_at : null,
    created: row.created,
    updated: row.updated,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
  };
}
