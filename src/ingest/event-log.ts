// One EventLog per organization: its events, in order. It admits a producer's events (the exact
// per-key rate limit and the catalog, from its cached copy of the organization's configuration),
// deduplicates them on the producer's id, gives each its sequence number, stores it and matches it
// to its webhooks, all in one call; then it knows how far fan-out has got, re-drives any fan-out
// that does not report back, and purges what is older than the retention period.
//
// Fan-out is done by the caller right after the answer (src/delivery/fanout.ts), which reports
// back with `fannedOut`. The fan-out watermark (every event with a smaller seq has reached all its
// webhooks' sequencers) is kept in memory and written to storage by the alarm (and when a chunked
// or re-driven fan-out ends, see fanOutDone): after a restart the log takes every event from the
// last written watermark on as not fanned out yet (but those fanOutDone recorded as ended) and
// fans it out again, which appends nothing twice. This costs no row written per event.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
// Aliased: "config" here is the organization's configuration (OrgConfig).
import { config as platformSettings, type Config } from "../config";
import type { Job } from "../queue/jobs";
import type { UsageReportInput, UsageResultJson } from "../notifications/usage-report";
import type { WebhookRow } from "../db/webhooks";
import { readOrgConfig } from "../db/org-config";
import { recordUsage, purgeUsage, USAGE_SCHEMA } from "../notifications/usage";
import { describeError, log } from "../log";
import { OrgConfig } from "./org-config";
import { OPERATIONAL_SOURCE } from "../db/operational-catalog";
import { eventIdFor } from "./event-ids";
import { EventsTable, PAGE_CHARS, type EventFilter, type PageRoom } from "./events-table";
import type {
  AddressedEvent,
  EventLogStatus,
  FanoutItem,
  FanoutWork,
  Ingested,
  IngestRequest,
  LoggedEvent,
  LogAnswer,
  OperationalEvent,
  Refusal,
  StoredAnswer,
} from "./records";

/** How long the caller's own fan-out gets before the log sends the event's fan-out through the queue. */
const FANOUT_GRACE_MS = 5_000;
/**
 * A large fan-out's chunks go through the queue, which may be behind, and run one batch after
 * another: it is re-driven only after this long without a chunk reporting (and first this long
 * after it was stored), so a queue backlog does not send its chunks twice.
 */
const CHUNK_PROGRESS_GRACE_MS = 30_000;
/** Re-drives back off by doubling up to this: an event is retried for as long as it is kept. */
const REDRIVE_MAX_DELAY_MS = 6 * 60 * 60 * 1000;
/** Events one alarm re-drives at most (100 per queue message); the rest on the next. */
const REDRIVE_EVENTS_PER_ALARM = 1_000;
const SEQS_PER_JOB = 100;
/** After a failed read of the configuration, a stale copy is used for this long before D1 is asked again. */
const CONFIG_RETRY_MS = 5_000;
/** Rows deleted per statement by the retention purge, and how often it runs. */
const PURGE_CHUNK = 500;
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** Seqs a filtered list of events counts in one statement (about 5 ms) before it lets other calls in. */
export const FILTER_SLICE_SEQS = 50_000;
/** The ingest rate window per producer key (INGEST_RATE_LIMIT requests per window). */
const RATE_WINDOW_MS = 10_000;

/**
 * The log's own values (its organization, the watermark last written), the chunked or re-driven
 * events past that watermark whose fan-out has ended (fanOutDone), and the usage tables.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ended_ahead (seq INTEGER PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks_done (seq INTEGER NOT NULL, size INTEGER NOT NULL, chunk INTEGER NOT NULL, PRIMARY KEY (seq, size, chunk)) WITHOUT ROWID;
${USAGE_SCHEMA}`;

const toFanoutItem = (event: Pick<LoggedEvent, "seq" | "id" | "type" | "webhookIds">): FanoutItem => ({
  seq: event.seq,
  eventId: event.id,
  eventType: event.type,
  webhookIds: event.webhookIds,
});

/** An event waiting for its fan-out to report back. */
interface Waiting {
  eventId: string;
  created: number;
  /** More webhooks than one invocation appends to: fanned out in chunk jobs. */
  chunked: boolean;
  redrives: number;
  nextRedriveAt: number;
  /** Chunks of a large fan-out that reported back, by the chunk size they were cut with. */
  chunksDone?: Map<number, Set<number>>;
  /**
   * Its webhooks as matched when it was stored: OrgConfig hands events matched alike the same list,
   * so an identical reference means the same webhooks in the same chunks (see chunkWatermark).
   * Not known after a restart.
   */
  webhookIds?: readonly string[];
}

class ConfigUnavailable extends Error {}

export class EventLog extends DurableObject<Env> {
  private readonly storage: DurableObjectStorage;
  private readonly sql: SqlStorage;
  private readonly events: EventsTable;
  private readonly settings: Config;
  private orgId: string | null;
  private nextSeq: number;
  /** In seq order (a Map iterates in insertion order, and seqs are inserted ascending): the first key is the watermark. */
  private readonly waiting = new Map<number, Waiting>();
  private storedWatermark: number;
  /** The seqs ended_ahead holds, kept here so a watermark write deletes rows only when it passes one. */
  private readonly endedAhead: Set<number>;
  private config: OrgConfig | undefined;
  private configStale = false;
  private configLoad: Promise<OrgConfig> | undefined;
  private configFailedAt = 0;
  private lastFanoutError: { message: string; at: number } | null = null;
  private readonly rates = new Map<string, { window: number; count: number }>();
  private alarmAt: number | null | undefined;
  private nextPurgeAt = 0;

  /**
   * `storage` is the object's own (`ctx.storage`) unless a subclass hands in a view of it: the
   * benchmark's harness (test/harness/) counts the rows its statements read and write.
   */
  constructor(ctx: DurableObjectState, env: Env, storage: DurableObjectStorage = ctx.storage) {
    super(ctx, env);
    this.storage = storage;
    this.settings = platformSettings(env);
    this.sql = this.storage.sql;
    this.events = new EventsTable(this.sql);
    this.sql.exec(SCHEMA);
    const state = new Map(this.sql.exec<{ key: string; value: SqlStorageValue }>(`SELECT key, value FROM state`).toArray().map((r) => [r.key, r.value]));
    this.orgId = (state.get("org_id") as string | undefined) ?? null;
    this.nextSeq = this.events.nextSeq();
    this.storedWatermark = Number(state.get("watermark") ?? 1);
    this.endedAhead = new Set(this.sql.exec<{ seq: number }>(`SELECT seq FROM ended_ahead`).toArray().map((row) => row.seq));
    const now = Date.now();
    for (const row of this.events.toFanOutFrom(this.storedWatermark)) {
      if (!this.endedAhead.has(row.seq)) this.startWaiting(row.seq, row.id, row.created, row.webhooks, now);
    }
    // A large fan-out's chunks that reported before a restart still count; the rest may still be
    // in the queue, so it gets its progress grace again from now rather than a re-drive at once.
    for (const { seq, size, chunk } of this.sql.exec<{ seq: number; size: number; chunk: number }>(`SELECT seq, size, chunk FROM chunks_done`)) {
      const entry = this.waiting.get(seq);
      if (entry) this.chunksReported(entry, size, now).add(chunk);
    }
  }

  // ── storing ─────────────────────────────────────────────────────────────────────────────

  /**
   * Stores a producer's events, all or nothing: 429 past the key's rate, 400 naming every type or
   * entity not in the source's catalog, else each event stored once (a repeated producer id
   * answers the first event as a duplicate).
   */
  async ingest(request: IngestRequest): Promise<LogAnswer<Ingested>> {
    this.bind(request.orgId);
    const limited = this.countRequest(request.keyId);
    if (limited) return { ok: false, refusal: limited };
    const config = await this.currentConfigOrRefusal();
    if (!(config instanceof OrgConfig)) return { ok: false, refusal: config };
    const problems = request.events.flatMap((event, i) => {
      const at = request.batch ? `events.${i}.` : "";
      return [
        ...(config.hasEventType(request.source, event.type) ? [] : [{ field: `${at}type`, reason: `${event.type} is not an event type of ${request.source} in the catalog` }]),
        ...(event.entity === null || config.hasEntity(request.source, event.entity)
          ? []
          : [{ field: `${at}entity`, reason: `no entity named ${JSON.stringify(event.entity)} exists on ${request.source}` }]),
      ];
    });
    if (problems.length > 0) {
      return { ok: false, refusal: { status: 400, code: "invalid_request", message: "The events name unknown types or entities; nothing was stored", details: problems } };
    }
    const created = Date.now();
    const producerIds = request.events.flatMap((event) => event.producerId ?? []);
    const { stored, answers } = this.transaction(() => {
      const earlier = this.events.byProducerIds(request.source, producerIds);
      const firstInRequest = new Map<string, number>();
      const fresh: IngestRequest["events"] = [];
      // Per event: the stored event it repeats, or its place among those stored now (the place of
      // the first one with its id, if it repeats an event of this request).
      const places = request.events.map((event): { earlier: StoredAnswer } | { fresh: number; duplicate: boolean } => {
        if (event.producerId !== null) {
          const original = earlier.get(event.producerId);
          if (original) return { earlier: original };
          const first = firstInRequest.get(event.producerId);
          if (first !== undefined) return { fresh: first, duplicate: true };
          firstInRequest.set(event.producerId, fresh.length);
        }
        return { fresh: fresh.push(event) - 1, duplicate: false };
      });
      const stored = this.insert(
        fresh.map((event) => ({ kind: "event", source: request.source, type: event.type, entity: event.entity, producerId: event.producerId, data: event.data, webhookIds: config.subscribers({ source: request.source, type: event.type, entity: event.entity }) })),
        created,
      );
      const answers = places.map((place) => {
        if ("earlier" in place) return { ...place.earlier, duplicate: true };
        const { id, seq, type, created } = stored[place.fresh]!;
        return { id, seq, type, created, duplicate: place.duplicate };
      });
      return { stored, answers };
    });
    const fanout = stored.filter(awaitsFanOut).map(toFanoutItem);
    await this.armAlarm(created + FANOUT_GRACE_MS);
    const webhookIds = new Set(stored.flatMap((event) => event.webhookIds));
    const seed = webhookIds.size > 0 && webhookIds.size <= this.settings.fanoutChunkSize ? { webhooks: [...webhookIds].map((id) => config.webhook(id)!), events: stored } : null;
    return { ok: true, value: { events: answers, fanout, seed, watermark: this.watermark() } };
  }

  /** Several producers' requests in one call (a round of them, see event-log-client.ts), each answered as `ingest` would. */
  async ingestAll(requests: IngestRequest[]): Promise<LogAnswer<Ingested>[]> {
    const answers: LogAnswer<Ingested>[] = [];
    for (const request of requests) {
      try {
        answers.push(await this.ingest(request));
      } catch (e) {
        // Its own transaction rolled back; the others of the round stand.
        log.error("event log: a request of a round failed", { orgId: request.orgId, error: e });
        answers.push({ ok: false, refusal: { status: 503, code: "unavailable", message: "The event log could not store these events; nothing was stored", details: [], retryAfterSeconds: 1 } });
      }
    }
    return answers;
  }

  /** The 429 a request of this key gets now, if any; counts the request. For refusals decided before `ingest`. */
  admit(orgId: string, keyId: string): Refusal | null {
    this.bind(orgId);
    return this.countRequest(keyId);
  }

  /** Stores events addressed to given webhooks (those enabled now); returns them for the caller to fan out. */
  async storeAddressed(orgId: string, events: AddressedEvent[]): Promise<LogAnswer<FanoutItem[]>> {
    this.bind(orgId);
    const config = await this.currentConfigOrRefusal();
    if (!(config instanceof OrgConfig)) return { ok: false, refusal: config };
    const created = Date.now();
    const fanout = this.transaction(() =>
      this.insert(events.map((event) => ({ ...event, entity: null, producerId: null, webhookIds: config.enabledOf(event.webhookIds) })), created).map(toFanoutItem),
    );
    await this.armAlarm(created + FANOUT_GRACE_MS);
    return { ok: true, value: fanout };
  }

  /**
   * Stores operational events, each for the webhooks subscribed to it (never the one it is about),
   * and sends their fan-out through the queue at once: their callers (a drain, a management call)
   * do not deliver them. An event whose key is stored already is not stored again (a repeated
   * telling), nor one about the delivery of an operational event. Answers how many were stored.
   */
  async storeOperational(orgId: string, events: OperationalEvent[]): Promise<LogAnswer<{ stored: number }>> {
    this.bind(orgId);
    const config = await this.currentConfigOrRefusal();
    if (!(config instanceof OrgConfig)) return { ok: false, refusal: config };
    const created = Date.now();
    const stored = this.transaction(() => {
      const told = this.events.byProducerIds(OPERATIONAL_SOURCE, events.map((event) => event.key));
      const news = events.filter((event) => !told.has(event.key) && !this.aboutOperationalDelivery(event));
      return this.insert(
        news.map((event) => {
          const webhookIds = config.subscribers({ source: OPERATIONAL_SOURCE, type: event.type, entity: null }).filter((id) => id !== event.about);
          return { kind: "operational", source: OPERATIONAL_SOURCE, type: event.type, entity: null, producerId: event.key, data: JSON.stringify(event.data), webhookIds };
        }),
        created,
      );
    });
    const fanout = stored.filter(awaitsFanOut).map((event) => event.seq);
    if (fanout.length > 0) {
      await this.armAlarm(created + FANOUT_GRACE_MS);
      await this.queueFanout(fanout, created);
    }
    return { ok: true, value: { stored: stored.length } };
  }

  /** Records a usage report and stores a notification for each crossing it claims, in one transaction. */
  async reportUsage(orgId: string, report: UsageReportInput): Promise<LogAnswer<{ result: UsageResultJson; fanout: FanoutItem[] }>> {
    this.bind(orgId);
    const config = await this.currentConfigOrRefusal();
    if (!(config instanceof OrgConfig)) return { ok: false, refusal: config };
    const now = Date.now();
    const fanout: FanoutItem[] = [];
    const result = this.transaction(() =>
      recordUsage(this.sql, orgId, report, config.conditionsOn(report.ratePlan.id), (notification) => {
        const stored = this.insert(
          [{ kind: "notification", source: NOTIFICATION_SOURCE, type: notification.type, entity: null, producerId: null, data: JSON.stringify(notification.body), webhookIds: config.enabledOf(notification.webhookIds) }],
          now,
        )[0]!;
        fanout.push(toFanoutItem(stored));
        return stored.id;
      }, now),
    );
    if (fanout.length > 0) await this.armAlarm(now + FANOUT_GRACE_MS);
    return { ok: true, value: { result, fanout } };
  }

  // ── fan-out bookkeeping ─────────────────────────────────────────────────────────────────

  /**
   * A queued fan-out's work: of these events, those still waiting for their fan-out (with `chunk`,
   * only that chunk of one event's webhooks), what their drains need (the events, and the
   * webhooks of fan-outs small enough for one invocation as configured now) and the watermark, so
   * an idle webhook hands its delivery out with the append and its drain asks the log for nothing.
   */
  async fanoutWork(orgId: string, seqs: number[], chunk?: { chunk: number; size: number }): Promise<FanoutWork> {
    this.bind(orgId);
    const events = this.events.bySeq(seqs.filter((seq) => this.waiting.has(seq)));
    const items = events.map(toFanoutItem).map((item) => {
      if (chunk) return { ...item, webhookIds: item.webhookIds.slice(chunk.chunk * chunk.size, (chunk.chunk + 1) * chunk.size) };
      const chunksDone = this.waiting.get(item.seq)?.chunksDone;
      return chunksDone ? { ...item, chunksDone: [...chunksDone].map(([size, chunks]) => ({ size, chunks: [...chunks] })) } : item;
    });
    const config = await this.currentConfig();
    const seeded = new Set(items.filter((item) => item.webhookIds.length <= this.settings.fanoutChunkSize).flatMap((item) => item.webhookIds));
    const webhooks = [...seeded].flatMap((id) => config.webhook(id) ?? []);
    return { items, seed: { webhooks, events }, watermark: chunk && seqs.length === 1 ? this.chunkWatermark(seqs[0]!, chunk) : this.watermark() };
  }

  /**
   * The watermark for the webhooks of one chunk of event `seq`: `seq` itself when every earlier
   * event still waiting went to the same webhooks (the same list, so the same chunks) and that
   * chunk of it has reported, since then each of these webhooks has every earlier event appended;
   * else the organization's watermark. Events of a steady stream to one large set of webhooks
   * overlap (the previous one's chunks are still reporting), and without this the appends of the
   * next could not hand their deliveries out: a call and a row more per delivery.
   */
  private chunkWatermark(seq: number, { chunk, size }: { chunk: number; size: number }): number {
    const watermark = this.watermark();
    const webhookIds = this.waiting.get(seq)?.webhookIds;
    if (seq <= watermark || !webhookIds) return watermark;
    for (const [earlier, entry] of this.waiting) {
      if (earlier >= seq) break;
      if (entry.webhookIds !== webhookIds || !entry.chunksDone?.get(size)?.has(chunk)) return watermark;
    }
    return seq;
  }

  /** These events reached all their webhooks' sequencers; answers the watermark. */
  fannedOut(seqs: number[]): number {
    for (const seq of seqs) this.fanOutDone(seq);
    this.lastFanoutError = null;
    return this.watermark();
  }

  /**
   * One chunk of a large fan-out reached its webhooks; the event is fanned out when all `chunks`
   * have. A fan-out that reports progress is not re-driven until it has been quiet for CHUNK_PROGRESS_GRACE_MS.
   */
  chunkFannedOut(seq: number, { chunk, chunks, size }: { chunk: number; chunks: number; size: number }): number {
    const entry = this.waiting.get(seq);
    if (entry) {
      const done = this.chunksReported(entry, size, Date.now());
      if (!done.has(chunk)) {
        done.add(chunk);
        // Written, so that a restart (an eviction, a deploy) does not forget the chunks that reported
        // and hold back every later event until a re-drive sends them again (seen locally: 70 s).
        this.sql.exec(`INSERT OR IGNORE INTO chunks_done (seq, size, chunk) VALUES (?, ?, ?)`, seq, size, chunk);
      }
      // Chunks cut with another size cover other slices: only one size's chunks can add up to all.
      if (done.size >= chunks) this.fanOutDone(seq);
    }
    return this.watermark();
  }

  /** The chunks of `size` that reported, for the caller to add one to: a fan-out reporting progress is not re-driven for CHUNK_PROGRESS_GRACE_MS. */
  private chunksReported(entry: Waiting, size: number, now: number): Set<number> {
    entry.nextRedriveAt = Math.max(entry.nextRedriveAt, now + CHUNK_PROGRESS_GRACE_MS);
    entry.chunksDone ??= new Map();
    let done = entry.chunksDone.get(size);
    if (!done) entry.chunksDone.set(size, (done = new Set()));
    return done;
  }

  /**
   * The event reached all its webhooks. The alarm its ingest set writes the new watermark, unless
   * the fan-out is one that can end after that alarm (chunked or re-driven): then its end is
   * written at once, since a restart before the next alarm would send it all again and hold back
   * every later event's deliveries until it was done (seen locally: a 1,000-webhook event
   * re-driven twice). That is the new watermark, or, while an earlier event still waits, a row of
   * ended_ahead, cleared once the watermark passes it.
   */
  private fanOutDone(seq: number) {
    const entry = this.stopWaiting(seq);
    if (!entry) return;
    if (!entry.chunksDone && entry.redrives === 0) return;
    if (seq >= this.watermark()) {
      this.sql.exec(`INSERT OR IGNORE INTO ended_ahead (seq) VALUES (?)`, seq);
      this.endedAhead.add(seq);
    }
    this.writeWatermark();
  }

  /** The event waits no more (its fan-out ended, or it was purged); the rows of its chunks' progress go with it. */
  private stopWaiting(seq: number): Waiting | undefined {
    const entry = this.waiting.get(seq);
    if (!entry) return undefined;
    this.waiting.delete(seq);
    if (entry.chunksDone) this.sql.exec(`DELETE FROM chunks_done WHERE seq = ?`, seq);
    return entry;
  }

  /** A fan-out failed: kept for operators (the log re-drives it on its own). */
  fanoutFailed(message: string): void {
    this.lastFanoutError = { message, at: Date.now() };
  }

  /** Deliveries of events with seq <= this may go: every earlier event has reached its webhooks. */
  watermark(): number {
    const first = this.waiting.keys().next();
    return first.done ? this.nextSeq : first.value;
  }

  /** The newest seq: a redelivery is ordered after everything stored before it was asked for. */
  latestSeq(): number {
    return this.nextSeq - 1;
  }

  // ── reading ─────────────────────────────────────────────────────────────────────────────

  /** What a drain needs: the webhook as configured now (null if gone) and the events it names. */
  async deliveryInputs(orgId: string, webhookId: string | null, eventIds: string[]): Promise<{ webhook: WebhookRow | null | undefined; events: LoggedEvent[] }> {
    this.bind(orgId);
    const webhook = webhookId === null ? undefined : ((await this.currentConfig()).webhook(webhookId) ?? null);
    return { webhook, events: this.events.byIds(eventIds) };
  }

  getEvent(id: string): (LoggedEvent & { fannedOut: boolean }) | null {
    const event = this.events.byIds([id])[0];
    return event ? { ...event, fannedOut: !this.waiting.has(event.seq) } : null;
  }

  /**
   * Newest first. A filtered list counts the events there were when the call came: those posted
   * while it counts are left out, and a purge meanwhile can take old ones before they are counted.
   */
  async listEvents(query: EventFilter & { limit: number; offset: number }): Promise<{ total: number; events: (LoggedEvent & { fannedOut: boolean })[] }> {
    const page = { limit: query.limit, offset: query.offset };
    const { total, events } = query.type || query.source ? await this.matchingEvents(query, page) : this.events.newest(page);
    return { total, events: events.map((event) => ({ ...event, fannedOut: !this.waiting.has(event.seq) })) };
  }

  /**
   * No index serves a filter (one would cost a row written per event), so the matching events are
   * counted FILTER_SLICE_SEQS seqs at a time, newest first, and the log answers its other calls
   * between slices: one statement over a month of events would hold the organization's ingest for
   * seconds.
   */
  private async matchingEvents(filter: EventFilter, page: { limit: number; offset: number }): Promise<{ total: number; events: LoggedEvent[] }> {
    const { first, last } = this.events.bounds();
    if (first === null || last === null) return { total: 0, events: [] };
    let total = 0;
    const events: LoggedEvent[] = [];
    const room: PageRoom = { chars: PAGE_CHARS };
    for (let high = last; high >= first; high -= FILTER_SLICE_SEQS) {
      if (high < last) await this.letOthersIn();
      const low = Math.max(first, high - FILTER_SLICE_SEQS + 1);
      const slice = this.events.matchingIn(filter, low, high, { limit: page.limit - events.length, offset: Math.max(0, page.offset - total) }, room);
      total += slice.count;
      events.push(...slice.events);
    }
    return { total, events };
  }

  /** Ends this turn: the calls waiting for the log (an ingest, a drain's read) go first. */
  private letOthersIn(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  /** The API changed the organization's configuration: read it again before using it. */
  configChanged(): void {
    this.configStale = true;
    this.configFailedAt = 0;
  }

  status(): EventLogStatus {
    const now = Date.now();
    const first = this.waiting.entries().next();
    return {
      orgId: this.orgId,
      behind: this.waiting.size,
      oldestWaiting: first.done ? null : { seq: first.value[0], eventId: first.value[1].eventId, ageMs: now - first.value[1].created, redrives: first.value[1].redrives },
      watermark: this.watermark(),
      latestSeq: this.latestSeq(),
      lastFanoutError: this.lastFanoutError,
      storage: { events: this.events.count(), bytes: this.sql.databaseSize },
    };
  }

  /** An operator asks for every waiting event's fan-out now, back-off reset. Returns how many were sent. */
  async redrive(): Promise<number> {
    const now = Date.now();
    for (const entry of this.waiting.values()) entry.nextRedriveAt = now;
    return this.redriveDue(now);
  }

  // ── alarm: re-drive, write the watermark, purge ───────────────────────────────────────────

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    this.writeWatermark();
    await this.redriveDue(now);
    let purgeMore = false;
    if (now >= this.nextPurgeAt) {
      purgeMore = this.purgeExpired(now).more;
      this.nextPurgeAt = purgeMore ? now : now + PURGE_INTERVAL_MS;
    }
    const next = [...(purgeMore ? [now + 1_000] : []), ...(this.nextSeq > 1 ? [this.nextPurgeAt] : []), ...this.redriveTimes()];
    if (next.length > 0) await this.armAlarm(Math.min(...next));
  }

  /**
   * Deletes what is older than the retention period as of `now`, one bounded chunk of each kind:
   * events (the newest is always kept, so seqs are never reused) and usage counters. Returns
   * whether more is left to purge.
   */
  purgeExpired(now: number): { events: number; usageCounters: number; more: boolean } {
    const before = now - this.settings.retentionMs;
    const expired = this.events.deleteBefore(before, this.nextSeq - 1, PURGE_CHUNK);
    for (const seq of expired) {
      if (this.stopWaiting(seq)) log.error("event log: an event was purged before its fan-out ever succeeded", { orgId: this.orgId ?? undefined, seq });
    }
    const usageCounters = purgeUsage(this.sql, before, PURGE_CHUNK);
    return { events: expired.length, usageCounters, more: expired.length === PURGE_CHUNK || usageCounters === PURGE_CHUNK };
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────

  private bind(orgId: string) {
    if (this.orgId === orgId) return;
    if (this.orgId !== null) throw new Error(`event log of ${this.orgId} called for ${orgId}`);
    this.orgId = orgId;
    this.sql.exec(`INSERT INTO state (key, value) VALUES ('org_id', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, orgId);
  }

  /**
   * Runs `write` in one transaction. If it throws, the rows it wrote are rolled back, and so are
   * the seqs it gave and the fan-outs it started waiting for: else the next event would leave a gap
   * in the seqs (count() relies on none), and the watermark would wait for an event never stored.
   */
  private transaction<T>(write: () => T): T {
    const nextSeq = this.nextSeq;
    try {
      return this.storage.transactionSync(write);
    } catch (e) {
      for (let seq = nextSeq; seq < this.nextSeq; seq++) this.waiting.delete(seq);
      this.nextSeq = nextSeq;
      throw e;
    }
  }

  /** Stores events, in this order; each waits for its fan-out if it has webhooks to reach. */
  private insert(events: Omit<LoggedEvent, "seq" | "id" | "created">[], created: number): LoggedEvent[] {
    const stored = events.map((event, i) => ({ ...event, seq: this.nextSeq + i, id: eventIdFor(this.nextSeq + i), created }));
    this.events.insert(stored);
    this.nextSeq += stored.length;
    for (const event of stored) if (awaitsFanOut(event)) this.startWaiting(event.seq, event.id, created, event.webhookIds.length, created, event.webhookIds);
    return stored;
  }

  /** An event waits for its fan-out's report; it is re-driven if none comes within its grace (not before `now`). */
  private startWaiting(seq: number, eventId: string, created: number, webhooks: number, now: number, webhookIds?: readonly string[]) {
    const chunked = webhooks > this.settings.fanoutChunkSize;
    this.waiting.set(seq, { eventId, created, chunked, redrives: 0, nextRedriveAt: Math.max(now, created + graceMs(chunked)), webhookIds });
  }

  private aboutOperationalDelivery(event: OperationalEvent): boolean {
    return event.causeEventId !== undefined && this.events.byIds([event.causeEventId])[0]?.source === OPERATIONAL_SOURCE;
  }

  private countRequest(keyId: string): Refusal | null {
    const now = Date.now();
    const window = Math.floor(now / RATE_WINDOW_MS);
    const limit = this.settings.ingestRateLimit;
    const entry = this.rates.get(keyId);
    if (!entry || entry.window !== window) {
      // Old windows go as new ones open, so the map holds only keys active in the current window.
      for (const [id, old] of this.rates) if (old.window !== window) this.rates.delete(id);
      this.rates.set(keyId, { window, count: 1 });
      return null;
    }
    entry.count += 1;
    if (entry.count <= limit) return null;
    const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * RATE_WINDOW_MS - now) / 1000));
    return {
      status: 429,
      code: "rate_limited",
      message: "Too many ingest requests for this key; slow down",
      details: [{ field: "authorization", reason: `this key is over its ingest rate of ${limit} requests per ${RATE_WINDOW_MS / 1000} s; retry after ${retryAfterSeconds} s` }],
      retryAfterSeconds,
    };
  }

  private async currentConfigOrRefusal(): Promise<OrgConfig | Refusal> {
    try {
      return await this.currentConfig();
    } catch (e) {
      if (!(e instanceof ConfigUnavailable)) throw e;
      return { status: 503, code: "unavailable", message: "The organization's configuration cannot be read right now; nothing was stored, try again", details: [] };
    }
  }

  /**
   * The organization's configuration: the cached copy unless it was announced changed or is older
   * than CONFIG_REFRESH_SECONDS (in case an announcement was lost). If D1 cannot be read, a copy already held is used (and D1 asked again
   * CONFIG_RETRY_MS later), so ingest and delivery go on while D1 is down.
   */
  private async currentConfig(): Promise<OrgConfig> {
    const now = Date.now();
    const config = this.config;
    const fresh = config && !this.configStale && now - config.loadedAt < this.settings.configRefreshMs;
    if (fresh || (config && now - this.configFailedAt < CONFIG_RETRY_MS)) return config;
    this.configLoad ??= this.loadConfig().finally(() => (this.configLoad = undefined));
    try {
      return await this.configLoad;
    } catch (e) {
      this.configFailedAt = Date.now();
      if (config) {
        log.warn("event log: configuration not read, using the copy held", { orgId: this.orgId ?? undefined, error: e });
        return config;
      }
      throw new ConfigUnavailable(describeError(e));
    }
  }

  private async loadConfig(): Promise<OrgConfig> {
    const stale = this.configStale;
    this.configStale = false;
    try {
      const config = new OrgConfig(await readOrgConfig(this.env.DB, this.orgId!), Date.now());
      this.config = config;
      return config;
    } catch (e) {
      this.configStale ||= stale;
      throw e;
    }
  }

  private writeWatermark() {
    const watermark = this.watermark();
    if (watermark === this.storedWatermark) return;
    this.sql.exec(`INSERT INTO state (key, value) VALUES ('watermark', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, watermark);
    this.storedWatermark = watermark;
    const passed = [...this.endedAhead].filter((seq) => seq < watermark);
    if (passed.length === 0) return;
    this.sql.exec(`DELETE FROM ended_ahead WHERE seq < ?`, watermark);
    for (const seq of passed) this.endedAhead.delete(seq);
  }

  /** Sends the fan-out of every waiting event whose re-drive is due through the queue; the next one waits twice as long. */
  private async redriveDue(now: number): Promise<number> {
    const due: number[] = [];
    for (const [seq, entry] of this.waiting) {
      if (due.length >= REDRIVE_EVENTS_PER_ALARM) break;
      if (entry.nextRedriveAt <= now) due.push(seq);
    }
    if (due.length === 0 || this.orgId === null) return 0;
    if (await this.queueFanout(due, now)) log.warn("event log: fan-out re-driven through the queue", { orgId: this.orgId, events: due.length });
    for (const seq of due) {
      const entry = this.waiting.get(seq)!;
      entry.redrives += 1;
      entry.nextRedriveAt = now + Math.min(graceMs(entry.chunked) * 2 ** entry.redrives, REDRIVE_MAX_DELAY_MS);
    }
    await this.armAlarm(Math.min(...this.redriveTimes()));
    return due.length;
  }

  /** Sends fan-out jobs for these events; a refused send is kept for operators and left to the re-drive. */
  private async queueFanout(seqs: number[], now: number): Promise<boolean> {
    const jobs: Job[] = [];
    for (let i = 0; i < seqs.length; i += SEQS_PER_JOB) jobs.push({ kind: "fanout", orgId: this.orgId!, seqs: seqs.slice(i, i + SEQS_PER_JOB) });
    try {
      for (let i = 0; i < jobs.length; i += 100) await this.env.JOBS.sendBatch(jobs.slice(i, i + 100).map((body) => ({ body })));
      return true;
    } catch (e) {
      this.lastFanoutError = { message: `fan-out job not queued: ${describeError(e)}`, at: now };
      log.error("event log: fan-out job not queued; trying again later", { orgId: this.orgId ?? undefined, error: e });
      return false;
    }
  }

  private redriveTimes(): number[] {
    let earliest = Infinity;
    for (const entry of this.waiting.values()) earliest = Math.min(earliest, entry.nextRedriveAt);
    return earliest === Infinity ? [] : [earliest];
  }

  /** Sets the alarm to `at` unless one is set earlier: most calls write no alarm. */
  private async armAlarm(at: number) {
    if (!Number.isFinite(at)) return;
    if (this.alarmAt === undefined) this.alarmAt = await this.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    await this.storage.setAlarm(at);
    this.alarmAt = at;
  }
}

/** How long a fan-out may take to report before the log sends it again (the first time). */
function graceMs(chunked: boolean): number {
  return chunked ? CHUNK_PROGRESS_GRACE_MS : FANOUT_GRACE_MS;
}

/** An event addressed to no webhook (nobody subscribes to it) is fanned out as it is stored. */
function awaitsFanOut(event: LoggedEvent): boolean {
  return event.webhookIds.length > 0;
}

/** The source of usage notifications (Apigee Edge monetization). */
export const NOTIFICATION_SOURCE = "mint";
