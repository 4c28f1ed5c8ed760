// What an organization's event log keeps and answers: its events as stored, what fan-out needs of
// them, and its refusals. Shared by the log (event-log.ts) and the routes and delivery that call it.
import type { WebhookRow } from "../db/webhooks";
import type { OperationalType } from "../db/operational-catalog";

export type EventKind = "event" | "test" | "notification" | "operational";

/** An event as the log keeps it. `data` is JSON text: the envelope's data, or a notification's body. */
export interface LoggedEvent {
  seq: number;
  id: string;
  kind: EventKind;
  source: string;
  type: string;
  entity: string | null;
  producerId: string | null;
  data: string;
  created: number;
  /** The webhooks it goes to, matched when it was stored. */
  webhookIds: readonly string[];
}

/** The chunks of one size (FanoutChunkJob) that have reported back. */
export interface ChunksDone {
  size: number;
  chunks: number[];
}

/** What fan-out needs of one event. */
export interface FanoutItem {
  seq: number;
  eventId: string;
  eventType: string;
  webhookIds: readonly string[];
  /** A large fan-out's chunks that have reached their webhooks already, per chunk size: a re-drive sends only the others. */
  chunksDone?: ChunksDone[];
}

/** A producer's event, validated by the route. */
export interface PostedEvent {
  type: string;
  entity: string | null;
  data: string;
  producerId: string | null;
}

/** A producer's request to store its events, as the route hands it to the log. */
export interface IngestRequest {
  orgId: string;
  keyId: string;
  source: string;
  events: PostedEvent[];
  /** Posted as a batch (`events: […]`): problems name `events.<i>.<field>`. */
  batch: boolean;
}

/** An event addressed to given webhooks: a test event or a usage notification. */
export interface AddressedEvent {
  kind: "test" | "notification";
  source: string;
  type: string;
  data: string;
  webhookIds: readonly string[];
}

/** An event the platform tells an organization about one of its webhooks (source operational). */
export interface OperationalEvent {
  type: OperationalType;
  /** The webhook it is about: it is never delivered there. */
  about: string;
  /** Stored as the event's producer id: telling the log again stores it once. */
  key: string;
  data: Record<string, unknown>;
  /** The event whose delivery it reports: none is stored about an operational event's delivery, so two failing operational webhooks cannot feed each other. */
  causeEventId?: string;
}

/** Why the log refused a call, for the route to answer with. */
export interface Refusal {
  status: 400 | 429 | 503;
  code: string;
  message: string;
  details: { field: string; reason: string }[];
  retryAfterSeconds?: number;
}

export type LogAnswer<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

/**
 * What the drains of a fan-out need, handed over by the call that stored the events so that the
 * first drains ask the log for nothing: the events and their webhooks as configured now.
 */
export interface DeliverySeed {
  webhooks: WebhookRow[];
  events: LoggedEvent[];
}

/** A queued fan-out's work, as the log hands it over (see EventLog.fanoutWork). */
export interface FanoutWork {
  items: FanoutItem[];
  seed: DeliverySeed;
  watermark: number;
}

/** What ingest answers about a stored event: a repeat gets the event first stored with its id. */
export interface StoredAnswer {
  id: string;
  seq: number;
  type: string;
  created: number;
}

export interface Ingested {
  events: (StoredAnswer & { duplicate: boolean })[];
  /** The events this call stored, for the caller to fan out. */
  fanout: FanoutItem[];
  /** For fan-outs small enough to go out in one invocation (FANOUT_CHUNK_SIZE webhooks). */
  seed: DeliverySeed | null;
  /** The watermark once they were stored: a sequencer that gets one of them at or below it may send it at once. */
  watermark: number;
}

export interface EventLogStatus {
  orgId: string | null;
  /** Events stored and not yet fanned out to every webhook. */
  behind: number;
  oldestWaiting: { seq: number; eventId: string; ageMs: number; redrives: number } | null;
  watermark: number;
  latestSeq: number;
  lastFanoutError: { message: string; at: number } | null;
  storage: { events: number; bytes: number };
}
