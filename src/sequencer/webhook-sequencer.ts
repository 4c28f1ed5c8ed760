// One WebhookSequencer per webhook: its FIFO of deliveries (in ingest order), the log of every
// attempt (deliveries-table.ts), and the lease that lets exactly one consumer work on its head at a
// time. Final deliveries are kept for RETENTION_DAYS after their last change, then purged.
//
// The lease: whoever holds the current token may take the next delivery. Each delivery handed out
// is marked with the token it went out under, and a call with that token that does not report it
// is answered "stale": so a duplicate drain job (or a retried call whose first answer was lost) can
// never send a delivery again while it is in flight. If the holder dies (consumer crash,
// eviction), the alarm at the lease's deadline issues a new token and a new drain job; the delivery
// it was sending, in flight under the old token, is counted as an interrupted attempt and sent again.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { config, type Config } from "../config";
import type { DrainJob } from "../delivery/jobs";
import {
  type AppendItem,
  type Claim,
  type DeliverStep,
  type AttemptReport,
  type DeliveryRecord,
  type DeliveryStatus,
  type NextRequest,
  type NextStep,
  toDelivery,
  type AttemptRecord,
  type DeliveryRow,
} from "./records";
import { DeliveriesTable } from "./deliveries-table";
import { formatDeliveryId } from "./delivery-id";
import { log } from "../log";
import { AttemptStats, type StatsWindow, type WebhookStats } from "./stats";

/** How long a holder may take between two calls before the lease is presumed dead. */
const LEASE_MS = 60_000;
/** First re-check of a head waiting for an earlier event's fan-out; doubles up to the max. */
const BLOCKED_RECHECK_MS = 200;
const BLOCKED_RECHECK_MAX_MS = 5_000;
/** A retry due this soon is sent now rather than waited for. */
const RETRY_EARLY_MS = 1_000;
/** Events a drain reads ahead in one D1 query, with the one it is about to send. */
const UPCOMING_EVENTS = 50;
/** Expired deliveries deleted per statement, and how soon the alarm comes back while more remain. */
const PURGE_CHUNK = 500;
const PURGE_AGAIN_MS = 250;

const STATE_SCHEMA = `CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value) WITHOUT ROWID;`;

interface Lease {
  token: string;
  until: number;
  /** Whether the state table has it: only a token handed to a queued job must outlive the object. */
  stored: boolean;
}

export class WebhookSequencer extends DurableObject<Env> {
  private readonly storage: DurableObjectStorage;
  private readonly sql: SqlStorage;
  private readonly settings: Config;
  private readonly deliveries: DeliveriesTable;
  private readonly attemptStats: AttemptStats;
  /** The state table, mirrored: every call reads it, so it is read from storage once per object. */
  private readonly state = new Map<string, SqlStorageValue>();
  /**
   * Who may take the next delivery. Kept in memory while its holder is at work: each delivery it
   * takes is marked with its token, so a fresh object finds it on its in-flight head. Written to
   * the state table only when handed to a queued job (a handover, a retry's or a wait's job).
   */
  private lease: Lease | null = null;
  /**
   * The highest fan-out watermark heard of (see ordering.ts). It only grows and lives in the
   * organization's records, so a fresh object starts from 0 and asks a drain to read it again.
   */
  private watermark = 0;
  /** Consecutive "blocked" answers: how long to wait before the next re-check. */
  private blockedCount = 0;
  /** The delivery last handed out, as it stands in storage, until its report arrives. */
  private handedOut: DeliveryRow | undefined;
  /** The alarm's time as set by this object (null: none); undefined until first read. */
  private alarmAt: number | null | undefined;

  /**
   * `storage` is the object's own (`ctx.storage`) unless a subclass hands in a view of it: the
   * benchmark's harness (test/harness/) counts the rows its statements read and write.
   */
  constructor(ctx: DurableObjectState, env: Env, storage: DurableObjectStorage = ctx.storage) {
    super(ctx, env);
    this.storage = storage;
    this.settings = config(env);
    this.sql = this.storage.sql;
    this.sql.exec(STATE_SCHEMA);
    this.deliveries = new DeliveriesTable(this.sql);
    this.attemptStats = new AttemptStats(this.sql);
    this.loadState();
    this.loadLease();
  }

  // ── appending ──────────────────────────────────────────────────────────────────────────

  /**
   * Adds events to the FIFO (an event already appended is ignored). If nobody holds the lease, it
   * is handed to the caller when `claim` (the fan-out then drains right away; the lease's alarm
   * covers a caller that dies first), else to a new drain job.
   */
  async append(webhookId: string, orgId: string, items: AppendItem[], watermark?: number, claim = false): Promise<Claim | null> {
    const now = Date.now();
    if (watermark !== undefined) this.raiseWatermark(watermark);
    // An idle webhook whose first new delivery may go now hands it out with its insert: one row
    // written and one call fewer than inserting it and handing it out on the holder's first next().
    const first = items[0];
    const handOut = claim && !this.lease && first !== undefined && first.seq <= this.watermark && !this.deliveries.head() ? crypto.randomUUID() : null;
    let handedOut: DeliveryRow | undefined;
    try {
      this.storage.transactionSync(() => {
        this.setState("webhook_id", webhookId);
        this.setState("org_id", orgId);
        items.forEach((item, i) => {
          const inserted = this.deliveries.insertEvent(item, now, i === 0 ? handOut : null);
          if (i === 0 && handOut) handedOut = inserted;
        });
      });
    } catch (e) {
      this.loadState(); // the transaction rolled back the state it had set
      throw e;
    }
    if (handOut && handedOut) {
      this.handedOut = handedOut;
      this.blockedCount = 0;
      await this.holdLease(handOut, now + LEASE_MS);
      return { lease: handOut, first: this.deliverStep(handedOut, handOut, false) };
    }
    if (claim) {
      const lease = await this.claimLease();
      return lease ? { lease } : null;
    }
    await this.wake();
    return null;
  }

  /** Delivers an event again, after everything already queued. */
  async redeliver(deliveryId: string, seq: number): Promise<DeliveryRecord | null> {
    const original = this.deliveries.byId(deliveryId);
    if (!original) return null;
    const created = this.deliveries.insertRedelivery(original, seq, Date.now());
    await this.wake();
    return toDelivery(created);
  }

  /** Re-sends every failed delivery created at or after `since`; returns how many. */
  async recover(since: number, seq: number): Promise<number> {
    const failed = this.deliveries.failedSince(since);
    const now = Date.now();
    this.storage.transactionSync(() => {
      for (const row of failed) this.deliveries.insertRedelivery(row, seq, now);
    });
    if (failed.length > 0) await this.wake();
    return failed.length;
  }

  // ── draining ───────────────────────────────────────────────────────────────────────────

  /**
   * The consumer's one call per step: records the outcome of the delivery it just attempted (if
   * any), then hands out the next one, or says why not. `pause` ends this holder's turn (a fresh
   * drain job continues) so one busy webhook never keeps an invocation forever.
   */
  async next(lease: string, { report, watermark, pause = false, lookahead = false }: NextRequest = {}): Promise<NextStep> {
    const current = this.lease;
    if (!current || current.token !== lease) return { action: "stale" };
    const now = Date.now();
    if (watermark !== undefined) this.raiseWatermark(watermark);
    if (report) {
      const retryAt = this.record(report, now);
      if (retryAt !== null) {
        await this.holdLease(current.token, retryAt + LEASE_MS, { store: true });
        return { action: "retry-scheduled", retryAt };
      }
    }
    if (pause) {
      await this.handOver(0);
      return { action: "paused" };
    }
    for (;;) {
      const ready = this.deliveries.takeHeadIfReady(now, current.token, this.watermark, now + RETRY_EARLY_MS);
      if (ready) {
        this.handedOut = ready;
        this.blockedCount = 0;
        await this.holdLease(current.token, now + LEASE_MS);
        return this.deliverStep(ready, current.token, lookahead);
      }
      // Not ready: find out why.
      const head = this.deliveries.head();
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
        await this.holdLease(current.token, head.next_attempt_at + LEASE_MS, { store: true });
        return { action: "wait", until: head.next_attempt_at };
      }
      if (head.seq <= this.watermark) throw new Error(`sequencer: head ${formatDeliveryId(head)} (${head.status}) is neither ready nor waiting`);
      if (watermark !== undefined) {
        // The alarm hands the head to a fresh drain once the earlier fan-out had time.
        await this.holdLease(current.token, now + Math.min(BLOCKED_RECHECK_MS * 2 ** this.blockedCount, BLOCKED_RECHECK_MAX_MS));
        this.blockedCount += 1;
        return { action: "blocked", seq: head.seq };
      }
      return { action: "need-watermark", seq: head.seq, orgId: String(this.getState("org_id")) };
    }
  }

  private deliverStep(row: DeliveryRow, lease: string, lookahead: boolean): DeliverStep {
    return {
      action: "deliver",
      lease,
      delivery: { id: formatDeliveryId(row), eventId: row.event_id, attempt: row.attempts + 1, seq: row.seq },
      webhookVersion: Number(this.getState("webhook_version") ?? 0),
      upcomingEventIds: lookahead ? this.deliveries.eventIdsAfter(row, UPCOMING_EVENTS) : [],
    };
  }

  /** The webhook's settings changed (saved in D1 first): drains re-read them before their next attempt. */
  webhookChanged(): void {
    this.setState("webhook_version", Number(this.getState("webhook_version") ?? 0) + 1);
  }

  /**
   * The lease's deadline (its holder died, lost its token with an evicted object, or is waiting on a
   * timer: a fresh drain job takes the head), and the purge of expired deliveries, which rides on
   * the alarms the lease sets anyway.
   */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.attemptStats.flush();
    const now = Date.now();
    const current = this.lease;
    if (current && current.until > now) {
      await this.setAlarm(current.until);
    } else {
      const head = this.deliveries.head();
      if (head) {
        const waitMs = head.status === "retrying" && head.next_attempt_at ? head.next_attempt_at - now : 0;
        await this.handOver(Math.max(0, Math.ceil(waitMs / 1000)));
      } else if (current) {
        this.releaseLease();
      }
    }
    await this.purgeExpired(now);
  }

  /**
   * Deletes up to PURGE_CHUNK final deliveries whose last change is older than the retention
   * period as of `now`, and keeps the alarm coming: soon while more remain, else when the oldest
   * one left expires (unless an earlier alarm is set, which purges again when it rings). Open
   * deliveries are never purged. Returns how many it deleted.
   */
  async purgeExpired(now: number): Promise<number> {
    const { retentionMs } = this.settings;
    const purged = this.deliveries.deleteFinalBefore(now - retentionMs, PURGE_CHUNK);
    if (purged === PURGE_CHUNK) {
      await this.alarmBy(Date.now() + PURGE_AGAIN_MS);
    } else if ((await this.currentAlarm()) === null) {
      const oldest = this.deliveries.oldestFinalUpdate();
      if (oldest !== null) await this.setAlarm(oldest + retentionMs);
    }
    return purged;
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────

  /** Newest first. */
  list(filter: { status?: DeliveryStatus; eventId?: string; limit: number; offset: number }): { total: number; deliveries: DeliveryRecord[] } {
    const { total, rows } = this.deliveries.list(filter);
    return { total, deliveries: rows.map(toDelivery) };
  }

  /** Null for an id that is not one of this webhook's deliveries (or not a delivery id at all). */
  get(deliveryId: string): (DeliveryRecord & { attemptLog: AttemptRecord[] }) | null {
    const found = this.deliveries.withAttemptLog(deliveryId);
    return found ? { ...toDelivery(found.row), attemptLog: found.attemptLog } : null;
  }

  /** The most recent final outcome, for the webhooks list. */
  lastOutcome(): DeliveryRecord | null {
    const row = this.deliveries.lastOutcome();
    return row ? toDelivery(row) : null;
  }

  /** Attempts and outcomes over `window`, and the backlog now (its head is the delivery waiting longest). */
  stats(window: StatsWindow): WebhookStats {
    return this.attemptStats.read(window, Date.now(), { pending: this.openCount(), oldest: this.deliveries.head()?.created ?? null });
  }

  openCount(): number {
    return this.deliveries.openCount();
  }

  /** What this webhook keeps: its deliveries, and the bytes its database takes. */
  storageStats(): { rows: number; bytes: number } {
    return { rows: this.deliveries.rowCount(), bytes: this.sql.databaseSize };
  }

  /** The webhook is gone: drop everything, so no drain job finds work again. */
  async erase(): Promise<number> {
    const open = this.openCount();
    await this.storage.deleteAlarm();
    this.alarmAt = null;
    await this.storage.deleteAll();
    this.handedOut = undefined;
    this.lease = null;
    this.blockedCount = 0;
    // Late calls (a drain job still in the queue) must find empty tables, not missing ones.
    this.sql.exec(STATE_SCHEMA);
    this.deliveries.create();
    this.attemptStats.reset();
    this.loadState();
    return open;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  /** Applies a report; returns the retry time when the delivery is to be tried again. */
  private record(report: AttemptReport, now: number): number | null {
    const row = this.handedOut && formatDeliveryId(this.handedOut) === report.deliveryId ? this.handedOut : this.deliveries.byId(report.deliveryId);
    this.handedOut = undefined;
    if (!row || row.status !== "in_flight") return null;
    if (report.outcome === "cancelled") {
      this.deliveries.settle(row, { status: "cancelled", now, reason: report.reason });
      return null;
    }
    const retryAt = report.outcome === "retry" ? (report.retryAt ?? now) : null;
    const attempt = { attempt: row.attempts + 1, ...report.attempt, outcome: report.outcome };
    this.deliveries.settle(row, { status: report.outcome === "retry" ? "retrying" : report.outcome, now, nextAttemptAt: retryAt, attempt });
    this.attemptStats.record(attempt, now);
    return retryAt;
  }

  private interrupted(row: DeliveryRow, now: number) {
    this.handedOut = undefined;
    const last = row.attempts + 1 >= this.settings.maxAttempts;
    const attempt: AttemptRecord = {
      attempt: row.attempts + 1,
      started: row.updated,
      durationMs: Math.max(0, now - row.updated),
      statusCode: null,
      errorKind: "connection",
      error: "interrupted: the delivery worker stopped during this attempt",
      responseBody: null,
      outcome: last ? "failed" : "retry",
    };
    this.deliveries.settle(row, { status: last ? "failed" : "pending", now, attempt });
    this.attemptStats.record(attempt, now);
  }

  /** A new lease for the caller if nobody holds one and there is work. */
  private async claimLease(): Promise<string | null> {
    if (this.lease || !this.deliveries.head()) return null;
    const token = crypto.randomUUID();
    await this.holdLease(token, Date.now() + LEASE_MS);
    return token;
  }

  /** Starts a drain if nobody holds the lease and there is work. */
  private async wake() {
    if (this.lease || !this.deliveries.head()) return;
    await this.handOver(0);
  }

  /** A new token and a drain job carrying it (after `delaySeconds`). */
  private async handOver(delaySeconds: number) {
    const webhookId = this.getState("webhook_id") as string | null;
    const orgId = this.getState("org_id") as string | null;
    if (!webhookId || !orgId) return;
    const token = crypto.randomUUID();
    await this.holdLease(token, Date.now() + delaySeconds * 1000 + LEASE_MS, { store: true });
    const job: DrainJob = { kind: "drain", webhookId, orgId, lease: token };
    try {
      await this.env.JOBS.send(job, delaySeconds > 0 ? { delaySeconds } : undefined);
    } catch (e) {
      // The alarm tries again when the lease runs out; nothing is lost.
      log.error("sequencer: drain job not sent; the lease's alarm tries again", { webhookId, orgId, error: e });
    }
  }

  /** Holds the lease for `token` until `until`; `store` when the token goes to a queued job. */
  private async holdLease(token: string, until: number, { store = false } = {}) {
    const stored = store || (this.lease?.token === token && this.lease.stored);
    this.lease = { token, until, stored };
    if (store) this.setState("lease", JSON.stringify({ token, until }));
    // An earlier alarm is as good: it finds the lease still running and moves itself to `until`.
    // Most holds (one per delivery) so write no alarm.
    await this.alarmBy(until);
  }

  /**
   * The alarm stays set: when it rings it finds no work and only purges, while a webhook that gets
   * work again before then needs no new alarm. Deleting it would cost a write every time a webhook
   * goes idle, and setting it again another when it wakes.
   */
  private releaseLease() {
    if (this.lease?.stored) this.deleteState("lease");
    this.lease = null;
  }

  /** Makes sure the alarm rings by `at`. */
  private async alarmBy(at: number) {
    const current = await this.currentAlarm();
    if (current === null || current > at) await this.setAlarm(at);
  }

  private async currentAlarm(): Promise<number | null> {
    if (this.alarmAt === undefined) this.alarmAt = await this.storage.getAlarm();
    return this.alarmAt;
  }

  private async setAlarm(at: number) {
    await this.storage.setAlarm(at);
    this.alarmAt = at;
  }

  private raiseWatermark(value: number) {
    if (value > this.watermark) this.watermark = value;
  }

  private loadState() {
    this.state.clear();
    for (const row of this.sql.exec<{ key: string; value: SqlStorageValue }>(`SELECT key, value FROM state`)) this.state.set(row.key, row.value);
  }

  /** The lease a fresh object starts with: as stored for a queued job, or as its in-flight head went out under. */
  private loadLease() {
    const stored = this.getState("lease");
    const head = this.deliveries.head();
    const inFlight = head?.status === "in_flight" && head.lease ? { token: head.lease, until: head.updated + LEASE_MS } : null;
    if (typeof stored === "string") {
      const lease = JSON.parse(stored) as { token: string; until: number };
      const until = inFlight?.token === lease.token ? Math.max(lease.until, inFlight.until) : lease.until;
      this.lease = { token: lease.token, until, stored: true };
    } else {
      this.lease = inFlight && { ...inFlight, stored: false };
    }
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

  private deleteState(key: string) {
    this.sql.exec(`DELETE FROM state WHERE key = ?`, key);
    this.state.delete(key);
  }
}
