// One WebhookSequencer per webhook: its FIFO of deliveries (in ingest order), the log of every
// attempt, and the lease that lets exactly one consumer work on its head at a time.
//
// The lease: whoever holds the current token may take the next delivery. Each delivery handed out
// is marked with the token it went out under, and a call with that token that does not report it
// is answered "stale": so a duplicate drain job (or a retried call whose first answer was lost) can
// never send a delivery again while it is in flight. If the holder dies (consumer crash,
// eviction), the alarm at `leaseUntil` issues a new token and a new drain job; the delivery it was
// sending, in flight under the old token, is counted as an interrupted attempt and sent again.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { deliverySettings } from "../delivery/retry-policy";
import type { DrainJob } from "../delivery/jobs";
import {
  type AppendItem,
  type AttemptReport,
  type DeliveryRecord,
  type DeliveryStatus,
  type NextRequest,
  type NextStep,
  toDelivery,
  type AttemptRecord,
  type DeliveryRow,
  OPEN_STATUSES,
} from "./records";
import { describeError } from "../log";
import { meterAlarm, meterBindings, meterStorage } from "../metering/ops-meter";
import { injectFault, withOutages } from "../delivery/fault-injection";
import { readStats, recordAttemptStat, STATS_SCHEMA, type StatsWindow, type WebhookStats } from "./stats";

/** How long a holder may take between two calls before the lease is presumed dead. */
const LEASE_MS = 60_000;
const LEASE_RENEW_SLACK_MS = 30_000;
/** First re-check of a head waiting for an earlier event's fan-out; doubles up to the max. */
const BLOCKED_RECHECK_MS = 200;
const BLOCKED_RECHECK_MAX_MS = 5_000;
/** A retry due this soon is sent now rather than waited for. */
const RETRY_EARLY_MS = 1_000;
/** Events a drain reads ahead in one D1 query, with the one it is about to send. */
const UPCOMING_EVENTS = 50;

// Storage bills every row written, index entries included, and rows read a thousand times less:
// so only the indexes the delivery path reads (the open FIFO, lookups by id and event), no
// AUTOINCREMENT bookkeeping (rows are never deleted one by one, so positions only grow), and
// WITHOUT ROWID where the key is the only index. Listing by status scans instead. A delivery's
// attempts live in its own row (a JSON array, appended by the statement that records the outcome):
// one statement and one row written per attempt instead of two.
/** The open deliveries, as the FIFO's partial index and every query that walks it say it. */
const OPEN = `status IN (${OPEN_STATUSES.map((status) => `'${status}'`).join(", ")})`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  position INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  seq INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  origin TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  last_status_code INTEGER,
  last_error TEXT,
  lease TEXT,
  attempt_log TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS deliveries_open ON deliveries(seq, position) WHERE ${OPEN};
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries(event_id);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
${STATS_SCHEMA}`;

/** A delivery's columns but its attempt log, which only `get` reads. */
const DELIVERY_COLUMNS = `position, id, seq, event_id, event_type, origin, status, attempts, next_attempt_at, created, updated, last_status_code, last_error, lease`;

/**
 * Brings an older sequencer's tables up to SCHEMA: deliveries gain the lease they went out under
 * (null: none) and their attempt log, into which the attempts table they kept apart is folded.
 */
function upgradeSchema(storage: DurableObjectStorage) {
  const { sql } = storage;
  const columns = new Set(sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('deliveries')`).toArray().map((column) => column.name));
  const attemptsTable = sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attempts'`).toArray().length > 0;
  if (columns.has("lease") && columns.has("attempt_log") && !attemptsTable) return;
  storage.transactionSync(() => {
    if (!columns.has("lease")) sql.exec(`ALTER TABLE deliveries ADD COLUMN lease TEXT`);
    if (!columns.has("attempt_log")) sql.exec(`ALTER TABLE deliveries ADD COLUMN attempt_log TEXT NOT NULL DEFAULT '[]'`);
    if (!attemptsTable) return;
    sql.exec(
      `UPDATE deliveries SET attempt_log = (
         SELECT json_group_array(json_object('attempt', attempt, 'started', started, 'durationMs', duration_ms, 'statusCode', status_code,
           'errorKind', error_kind, 'error', error, 'responseBody', response_body, 'outcome', outcome) ORDER BY attempt)
         FROM attempts WHERE delivery_id = deliveries.id)
       WHERE id IN (SELECT delivery_id FROM attempts)`,
    );
    sql.exec(`DROP TABLE attempts`);
  });
}

interface Lease {
  token: string;
  until: number;
}

export class WebhookSequencer extends DurableObject<Env> {
  private readonly storage: DurableObjectStorage;
  private readonly sql: SqlStorage;
  /** The state table, mirrored: every call reads it, so it is read from storage once per object. */
  private readonly state = new Map<string, SqlStorageValue>();
  /** The delivery last handed out, as it stands in storage, until its report arrives. */
  private handedOut: DeliveryRow | undefined;
  /** The alarm's time as set by this object (null: none); undefined until first read. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, meterBindings(withOutages(env)));
    this.storage = meterStorage(ctx.storage, env);
    this.sql = this.storage.sql;
    this.sql.exec(SCHEMA);
    upgradeSchema(this.storage);
    this.loadState();
  }

  // ── appending ──────────────────────────────────────────────────────────────────────────

  /**
   * Adds events to the FIFO (an event already appended is ignored). If nobody holds the lease, it
   * is handed to the caller when `claim` (the fan-out then drains right away; the lease's alarm
   * covers a caller that dies first), else to a new drain job.
   */
  async append(webhookId: string, orgId: string, items: AppendItem[], watermark?: number, claim = false): Promise<string | null> {
    const now = Date.now();
    try {
      this.storage.transactionSync(() => {
        this.setState("webhook_id", webhookId);
        this.setState("org_id", orgId);
        if (watermark !== undefined) this.raiseWatermark(watermark);
        for (const item of items) {
          this.sql.exec(
            `INSERT INTO deliveries (id, seq, event_id, event_type, origin, status, created, updated)
             SELECT ?, ?, ?, ?, 'event', 'pending', ?, ?
             WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE event_id = ? AND origin = 'event')`,
            crypto.randomUUID(), item.seq, item.eventId, item.eventType, now, now, item.eventId,
          );
        }
      });
    } catch (e) {
      this.loadState(); // the transaction rolled back the state it had set
      throw e;
    }
    if (claim) return this.claimLease();
    await this.wake();
    return null;
  }

  /** Delivers an event again, after everything already queued. */
  async redeliver(deliveryId: string, seq: number): Promise<DeliveryRecord | null> {
    const original = this.deliveryRow(deliveryId);
    if (!original) return null;
    const created = this.insertRedelivery(original, seq);
    await this.wake();
    return created;
  }

  /** Re-sends every failed delivery created at or after `since`; returns how many. */
  async recover(since: number, seq: number): Promise<number> {
    const failed = this.sql
      .exec<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE status = 'failed' AND created >= ? ORDER BY seq, position`, since)
      .toArray();
    this.storage.transactionSync(() => {
      for (const row of failed) this.insertRedelivery(row, seq);
    });
    if (failed.length > 0) await this.wake();
    return failed.length;
  }

  private insertRedelivery(original: DeliveryRow, seq: number): DeliveryRecord {
    const now = Date.now();
    const id = crypto.randomUUID();
    this.sql.exec(
      `INSERT INTO deliveries (id, seq, event_id, event_type, origin, status, created, updated)
       VALUES (?, ?, ?, ?, 'redelivery', 'pending', ?, ?)`,
      id, Math.max(seq, original.seq), original.event_id, original.event_type, now, now,
    );
    return toDelivery(this.deliveryRow(id)!);
  }

  // ── draining ───────────────────────────────────────────────────────────────────────────

  /**
   * The consumer's one call per step: records the outcome of the delivery it just attempted (if
   * any), then hands out the next one, or says why not. `pause` ends this holder's turn (a fresh
   * drain job continues) so one busy webhook never keeps an invocation forever.
   */
  async next(lease: string, { report, watermark, pause = false, lookahead = false }: NextRequest = {}): Promise<NextStep> {
    const current = this.lease();
    if (!current || current.token !== lease) return { action: "stale" };
    const now = Date.now();
    if (watermark !== undefined) this.raiseWatermark(watermark);
    if (report) {
      const retryAt = this.record(report, now);
      if (retryAt !== null) {
        await this.holdLease(current.token, retryAt + LEASE_MS);
        return { action: "retry-scheduled", retryAt };
      }
    }
    if (pause) {
      await this.handOver(0);
      return { action: "paused" };
    }
    for (;;) {
      const ready = this.takeReadyHead(now, current.token);
      if (ready) {
        this.setState("blocked_count", 0);
        await this.holdLease(current.token, now + LEASE_MS);
        if (injectFault(this.env.CHAOS_FAULTS, "evict-sequencer")) setTimeout(() => this.ctx.abort("chaos: evicted mid-delivery"), 20);
        return {
          action: "deliver",
          lease: current.token,
          delivery: { id: ready.id, eventId: ready.event_id, attempt: ready.attempts + 1, seq: ready.seq },
          webhookVersion: Number(this.getState("webhook_version") ?? 0),
          upcomingEventIds: lookahead ? this.upcomingEventIds(ready.position) : [],
        };
      }
      // Not ready: find out why.
      const head = this.head();
      if (!head) {
        this.releaseLease();
        return { action: "idle" };
      }
      if (head.status === "in_flight") {
        // Handed out under this very lease and not reported by this call: another holder of the
        // same token (a duplicate job) is sending it, or this is a retried call whose first answer
        // handed it out and was lost. Either way, not to be sent again now.
        if (head.lease === current.token) return { action: "stale" };
        // Its holder died mid-attempt: count the attempt, and send it again unless it was the last.
        this.interrupted(head, now);
        continue;
      }
      if (head.status === "retrying" && head.next_attempt_at !== null && head.next_attempt_at > now + RETRY_EARLY_MS) {
        await this.holdLease(current.token, head.next_attempt_at + LEASE_MS);
        return { action: "wait", until: head.next_attempt_at };
      }
      if (head.seq <= this.watermark()) throw new Error(`sequencer: head ${head.id} (${head.status}) is neither ready nor waiting`);
      if (watermark !== undefined) {
        const blocked = Number(this.getState("blocked_count") ?? 0);
        this.setState("blocked_count", blocked + 1);
        await this.holdLease(current.token, now + Math.min(BLOCKED_RECHECK_MS * 2 ** blocked, BLOCKED_RECHECK_MAX_MS));
        return { action: "blocked", seq: head.seq };
      }
      return { action: "need-watermark", seq: head.seq, orgId: String(this.getState("org_id")) };
    }
  }

  /** The webhook's settings changed (saved in D1 first): drains re-read them before their next attempt. */
  webhookChanged(): void {
    this.setState("webhook_version", Number(this.getState("webhook_version") ?? 0) + 1);
  }

  /** The lease holder died or is waiting on a timer: hand the head to a fresh drain job. */
  override async alarm(): Promise<void> {
    meterAlarm(this.env);
    this.alarmAt = null;
    const current = this.lease();
    if (!current) return;
    if (current.until > Date.now()) {
      await this.setAlarm(current.until);
      return;
    }
    const head = this.head();
    if (!head) {
      this.releaseLease();
      return;
    }
    const waitMs = head.status === "retrying" && head.next_attempt_at ? head.next_attempt_at - Date.now() : 0;
    await this.handOver(Math.max(0, Math.ceil(waitMs / 1000)));
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────

  list(filter: { status?: DeliveryStatus; eventId?: string; limit: number; offset: number }): { total: number; deliveries: DeliveryRecord[] } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.status) {
      where.push("status = ?");
      args.push(filter.status);
    }
    if (filter.eventId) {
      where.push("event_id = ?");
      args.push(filter.eventId);
    }
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const total = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM deliveries ${clause}`, ...args).one().n;
    const rows = this.sql
      .exec<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries ${clause} ORDER BY position DESC LIMIT ? OFFSET ?`, ...args, filter.limit, filter.offset)
      .toArray();
    return { total, deliveries: rows.map(toDelivery) };
  }

  get(deliveryId: string): (DeliveryRecord & { attemptLog: AttemptRecord[] }) | null {
    const row = this.sql
      .exec<DeliveryRow & { attempt_log: string }>(`SELECT ${DELIVERY_COLUMNS}, attempt_log FROM deliveries WHERE id = ?`, deliveryId)
      .toArray()[0];
    if (!row) return null;
    return { ...toDelivery(row), attemptLog: JSON.parse(row.attempt_log) as AttemptRecord[] };
  }

  /** The most recent final outcome, for the webhooks list. */
  lastOutcome(): DeliveryRecord | null {
    const row = this.sql
      .exec<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE status IN ('succeeded', 'failed') ORDER BY position DESC LIMIT 1`)
      .toArray()[0];
    return row ? toDelivery(row) : null;
  }

  /** Attempts and outcomes over `window`, and the backlog now. */
  stats(window: StatsWindow): WebhookStats {
    const backlog = this.sql.exec<{ pending: number; oldest: number | null }>(`SELECT count(*) AS pending, min(created) AS oldest FROM deliveries WHERE ${OPEN}`).one();
    return readStats(this.sql, window, Date.now(), backlog);
  }

  openCount(): number {
    return this.sql
      .exec<{ n: number }>(`SELECT count(*) AS n FROM deliveries WHERE ${OPEN}`)
      .one().n;
  }

  /** The webhook is gone: drop everything, so no drain job finds work again. */
  async erase(): Promise<number> {
    const open = this.openCount();
    await this.storage.deleteAlarm();
    this.alarmAt = null;
    await this.storage.deleteAll();
    this.handedOut = undefined;
    // Late calls (a drain job still in the queue) must find empty tables, not missing ones.
    this.sql.exec(SCHEMA);
    this.loadState();
    return open;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  /** Applies a report; returns the retry time when the delivery is to be tried again. */
  private record(report: AttemptReport, now: number): number | null {
    const row = this.handedOut?.id === report.deliveryId ? this.handedOut : this.deliveryRow(report.deliveryId);
    this.handedOut = undefined;
    if (!row || row.status !== "in_flight") return null;
    if (report.outcome === "cancelled") {
      this.settle(row, { status: "cancelled", now, reason: report.reason });
      return null;
    }
    const retryAt = report.outcome === "retry" ? (report.retryAt ?? now) : null;
    this.settle(row, {
      status: report.outcome === "retry" ? "retrying" : report.outcome,
      now,
      nextAttemptAt: retryAt,
      attempt: { attempt: row.attempts + 1, ...report.attempt, outcome: report.outcome },
    });
    return retryAt;
  }

  private interrupted(row: DeliveryRow, now: number) {
    this.handedOut = undefined;
    const last = row.attempts + 1 >= deliverySettings(this.env).maxAttempts;
    this.settle(row, {
      status: last ? "failed" : "pending",
      now,
      attempt: {
        attempt: row.attempts + 1,
        started: row.updated,
        durationMs: Math.max(0, now - row.updated),
        statusCode: null,
        errorKind: "connection",
        error: "interrupted: the delivery worker stopped during this attempt",
        responseBody: null,
        outcome: last ? "failed" : "retry",
      },
    });
  }

  /**
   * A delivery's new status after an attempt (appended to its log, and counted) or without one (a
   * cancellation, for `reason`): one statement, so it needs no transaction.
   */
  private settle(row: DeliveryRow, change: { status: DeliveryStatus; now: number; nextAttemptAt?: number | null; attempt?: AttemptRecord; reason?: string }) {
    const { attempt } = change;
    const logged = attempt ? JSON.stringify(attempt) : null;
    this.sql.exec(
      `UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, updated = ?, last_status_code = ?, last_error = ?,
         attempt_log = CASE WHEN ? IS NULL THEN attempt_log ELSE json_insert(attempt_log, '$[#]', json(?)) END
       WHERE id = ?`,
      change.status, row.attempts + (attempt ? 1 : 0), change.nextAttemptAt ?? null, change.now, attempt?.statusCode ?? null,
      attempt?.error ?? change.reason ?? null, logged, logged, row.id,
    );
    if (attempt) recordAttemptStat(this.sql, attempt, change.now);
  }

  /**
   * The head, marked in flight under `lease`, if it can be sent now (pending, or a retry due within
   * RETRY_EARLY_MS, and its event's fan-out watermark reached): one statement in the usual case,
   * which `next` falls back from to find out why not.
   */
  private takeReadyHead(now: number, lease: string): DeliveryRow | undefined {
    this.handedOut = this.sql
      .exec<DeliveryRow>(
        `UPDATE deliveries SET status = 'in_flight', updated = ?, lease = ?
         WHERE position = (SELECT position FROM deliveries WHERE ${OPEN} ORDER BY seq, position LIMIT 1)
           AND seq <= ? AND (status = 'pending' OR (status = 'retrying' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)))
         RETURNING ${DELIVERY_COLUMNS}`,
        now, lease, this.watermark(), now + RETRY_EARLY_MS,
      )
      .toArray()[0];
    return this.handedOut;
  }

  private upcomingEventIds(afterPosition: number): string[] {
    return this.sql
      .exec<{ event_id: string }>(
        `SELECT event_id FROM deliveries WHERE ${OPEN} AND position != ? ORDER BY seq, position LIMIT ?`,
        afterPosition, UPCOMING_EVENTS,
      )
      .toArray()
      .map((row) => row.event_id);
  }

  private head(): DeliveryRow | undefined {
    return this.sql
      .exec<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE ${OPEN} ORDER BY seq, position LIMIT 1`)
      .toArray()[0];
  }

  private deliveryRow(id: string): DeliveryRow | undefined {
    return this.sql.exec<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = ?`, id).toArray()[0];
  }

  /** A new lease for the caller if nobody holds one and there is work. */
  private async claimLease(): Promise<string | null> {
    if (this.lease() || !this.head()) return null;
    const token = crypto.randomUUID();
    await this.holdLease(token, Date.now() + LEASE_MS);
    return token;
  }

  /** Starts a drain if nobody holds the lease and there is work. */
  private async wake() {
    if (this.lease() || !this.head()) return;
    await this.handOver(0);
  }

  /** A new token and a drain job carrying it (after `delaySeconds`). */
  private async handOver(delaySeconds: number) {
    const webhookId = this.getState("webhook_id") as string | null;
    const orgId = this.getState("org_id") as string | null;
    if (!webhookId || !orgId) return;
    const token = crypto.randomUUID();
    await this.holdLease(token, Date.now() + delaySeconds * 1000 + LEASE_MS);
    const job: DrainJob = { kind: "drain", webhookId, orgId, lease: token };
    try {
      await this.env.JOBS.send(job, delaySeconds > 0 ? { delaySeconds } : undefined);
    } catch (e) {
      // The alarm tries again when the lease runs out; nothing is lost.
      console.error("sequencer: drain job not sent", webhookId, describeError(e));
    }
  }

  private lease(): Lease | null {
    const token = this.getState("lease_token") as string | null;
    return token ? { token, until: Number(this.getState("lease_until")) } : null;
  }

  private async holdLease(token: string, until: number) {
    this.setState("lease_token", token);
    // A hand-out every few milliseconds need not push the deadline each time: any deadline up to
    // LEASE_RENEW_SLACK_MS short of `until` still leaves an attempt ample time.
    const current = Number(this.state.get("lease_until") ?? 0);
    if (current > until || current < until - LEASE_RENEW_SLACK_MS) this.setState("lease_until", until);
    // An earlier alarm is as good: it finds the lease still running and moves itself to `until`.
    // Most holds (one per delivery) so write no alarm.
    if (this.alarmAt === undefined) this.alarmAt = await this.storage.getAlarm();
    if (this.alarmAt === null || this.alarmAt > until) await this.setAlarm(until);
  }

  private async setAlarm(at: number) {
    await this.storage.setAlarm(at);
    this.alarmAt = at;
  }

  /**
   * The alarm stays set: when it rings it finds no lease and does nothing, while a webhook that gets
   * work again before then needs no new alarm. Deleting it would cost a write every time a webhook
   * goes idle, and setting it again another when it wakes.
   */
  private releaseLease() {
    this.sql.exec(`DELETE FROM state WHERE key IN ('lease_token', 'lease_until')`);
    this.state.delete("lease_token");
    this.state.delete("lease_until");
  }

  private watermark(): number {
    return Number(this.getState("watermark") ?? 0);
  }

  private raiseWatermark(value: number) {
    if (value > this.watermark()) this.setState("watermark", value);
  }

  private loadState() {
    this.state.clear();
    for (const row of this.sql.exec<{ key: string; value: SqlStorageValue }>(`SELECT key, value FROM state`)) this.state.set(row.key, row.value);
  }

  private getState(key: string): SqlStorageValue {
    return this.state.get(key) ?? null;
  }

  /** Writes only a changed value: rows written are what storage bills. */
  private setState(key: string, value: string | number) {
    if (this.getState(key) === value) return;
    this.sql.exec(`INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value);
    this.state.set(key, value);
  }
}
