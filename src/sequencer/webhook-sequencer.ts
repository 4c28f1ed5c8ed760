// One WebhookSequencer per webhook: its FIFO of deliveries (in ingest order), the log of every
// attempt (deliveries-table.ts), and the lease that lets exactly one consumer work on its head at a
// time (lease.ts). Final deliveries are kept for RETENTION_DAYS after their last change, then purged.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { config, type Config } from "../config";
import type { DeliverStep, DrainJob } from "../queue/jobs";
import {
  type AppendItem,
  type Claim,
  type AttemptReport,
  type DeliveryRecord,
  type DeliveryStatus,
  type NextRequest,
  type NextStep,
  toDelivery,
  type AttemptRecord,
  type DeliveryRow,
  type Recovery,
} from "./records";
import { DeliveriesTable, type Settlement } from "./deliveries-table";
import { Alarm } from "./alarm";
import { LeaseKeeper, type Lease } from "./lease";
import { SequencerState } from "./state";
import { formatDeliveryId } from "./delivery-id";
import { log } from "../log";
import { AttemptStats, type StatsWindow, type WebhookStats } from "./stats";
import { FailureRun, type FailedDelivery, type OperationalNews } from "./failure-run";

/** First re-check of a head waiting for an earlier event's fan-out; doubles up to the max. */
const BLOCKED_RECHECK_MS = 200;
const BLOCKED_RECHECK_MAX_MS = 5_000;
/** A retry due this soon is sent now rather than waited for. */
const RETRY_EARLY_MS = 1_000;
/** Events a drain reads ahead in one D1 query, with the one it is about to send. */
const UPCOMING_EVENTS = 50;
/** Deliveries a recovery looks at per statement, and per call or alarm (a turn). */
const RECOVER_CHUNK = 1_000;
export const RECOVER_PER_TURN = 10_000;
/** Expired deliveries deleted per statement. */
const PURGE_CHUNK = 500;
/** How soon the alarm comes back while a purge or a recovery has more to do. */
const AGAIN_SOON_MS = 250;
/** The least time between two purges that each found less than a chunk to delete. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

export class WebhookSequencer extends DurableObject<Env> {
  private readonly storage: DurableObjectStorage;
  private readonly sql: SqlStorage;
  private readonly settings: Config;
  private readonly deliveries: DeliveriesTable;
  private readonly attemptStats: AttemptStats;
  private readonly state: SequencerState;
  private readonly nextAlarm: Alarm;
  private readonly leaseKeeper: LeaseKeeper;
  /**
   * The highest fan-out watermark heard of (see ordering.ts). It only grows and lives in the
   * organization's records, so a fresh object starts from 0 and asks a drain to read it again.
   */
  private watermark = 0;
  /** Consecutive "blocked" answers: how long to wait before the next re-check. */
  private blockedCount = 0;
  /** Failed deliveries in a row, and the news they make (auto-disable, `delivery.failed`). */
  private readonly failures = new FailureRun({ read: () => this.state.failureRun, write: (value) => this.state.storeFailureRun(value) });
  /** When the last attempt reported started: a throttled drain spaces the next one from it. */
  private lastAttemptAt: number | null = null;

  /**
   * `storage` is the object's own (`ctx.storage`) unless a subclass hands in a view of it: the
   * benchmark's harness (test/harness/) counts the rows its statements read and write.
   */
  constructor(ctx: DurableObjectState, env: Env, storage: DurableObjectStorage = ctx.storage) {
    super(ctx, env);
    this.storage = storage;
    this.settings = config(env);
    this.sql = this.storage.sql;
    this.state = new SequencerState(this.sql);
    this.deliveries = new DeliveriesTable(this.sql, {
      readBound: () => this.state.openBound,
      writeBound: (key) => this.state.storeOpenBound(key),
      readRaced: () => this.state.raced,
      writeRaced: (raced) => this.state.storeRaced(raced),
    });
    this.attemptStats = new AttemptStats(this.sql, this.deliveries);
    this.nextAlarm = new Alarm(this.storage);
    this.leaseKeeper = new LeaseKeeper(this.state, this.nextAlarm, this.settings.leaseMs);
    this.leaseKeeper.load(this.deliveries.head());
  }

  /** Who may take the next delivery (lease.ts). */
  private get lease(): Lease | null {
    return this.leaseKeeper.current;
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
    const handedOut = this.transaction(() => {
      this.state.setWebhook(webhookId, orgId);
      return this.deliveries.insertEvents(items, now, handOut).find((row) => row.lease !== null);
    });
    if (handOut && handedOut) {
      this.blockedCount = 0;
      await this.leaseKeeper.hold(handOut, now + this.settings.leaseMs);
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
    const created = this.transaction(() => this.deliveries.insertRedelivery(original, seq, Date.now()));
    await this.wake();
    return toDelivery(created);
  }

  /**
   * Sends again, once each and in the order they were queued, the events whose last delivery since
   * `since` ended failed or cancelled unsent (deliveries-table.ts, undeliveredIn), among the
   * deliveries there were when the recovery began: of the first RECOVER_PER_TURN of those now, of
   * the rest at this object's next alarms, as many each time (a webhook disabled for days can have
   * millions, and one busy for a month as many older than `since`).
   * Returns how many it queued now and whether that was all; null while an earlier recovery is
   * still going on (two at once would interleave their events).
   */
  async recover(since: number, seq: number): Promise<{ redelivered: number; complete: boolean } | null> {
    if (this.state.recovery) {
      // Its alarm carries it on; should that have been lost, it comes now.
      await this.nextAlarm.ringBy(Date.now());
      return null;
    }
    const end = this.deliveries.lastDeliveryKey();
    if (!end) return { redelivered: 0, complete: true };
    return this.recoverTurn({ since, at: seq, after: null, end });
  }

  /** One turn of `recovery`: RECOVER_PER_TURN deliveries looked at, RECOVER_CHUNK a statement; kept for the next alarm if more remain. */
  private async recoverTurn(recovery: Recovery): Promise<{ redelivered: number; complete: boolean }> {
    let { after } = recovery;
    let redelivered = 0;
    let complete = false;
    for (let looked = 0; !complete && looked < RECOVER_PER_TURN; looked += RECOVER_CHUNK) {
      const { undelivered, last, done } = this.deliveries.undeliveredIn(recovery.since, after, recovery.end, RECOVER_CHUNK);
      const now = Date.now();
      // After everything queued by now, so past `end` (a fan-out may have appended past the seq the
      // caller read): later chunks never meet what this one sends again. A turn cut short after a
      // chunk is harmless: what it sent again is no event's last failed delivery any more.
      const at = Math.max(recovery.at, this.deliveries.lastDeliveryKey()?.seq ?? 0);
      this.transaction(() => {
        for (const row of undelivered) this.deliveries.insertRedelivery(row, at, now);
      });
      redelivered += undelivered.length;
      if (last) after = last;
      complete = done;
    }
    this.state.storeRecovery(complete ? null : { ...recovery, after });
    if (!complete) await this.nextAlarm.ringBy(Date.now() + AGAIN_SOON_MS);
    if (redelivered > 0) await this.wake();
    return { redelivered, complete };
  }

  // ── draining ───────────────────────────────────────────────────────────────────────────

  /**
   * The consumer's one call per step: records the outcome of the delivery it just attempted (if
   * any), then hands out the next one, or says why not: in the same row write when it can go at
   * once (deliveries-table.ts). `pause` ends this holder's turn (a fresh
   * drain job continues) so one busy webhook never keeps an invocation forever. News the
   * organization is owed (failures, a decision to disable) goes to the holder before anything
   * else; once it says the news was `told`, a disable it applied makes it re-read the webhook.
   */
  async next(lease: string, { report, watermark, pause = false, lookahead = false, told, unsent }: NextRequest = {}): Promise<NextStep> {
    const current = this.lease;
    if (!current || current.token !== lease) return { action: "stale" };
    const now = Date.now();
    if (watermark !== undefined) this.raiseWatermark(watermark);
    const waited = this.deliveries.onTheWire();
    if (unsent && waited && waited.lease === current.token && formatDeliveryId(waited) === unsent) {
      const renewed = this.deliveries.handOutAgain(waited, now);
      await this.leaseKeeper.hold(current.token, now + this.settings.leaseMs);
      return this.deliverStep(renewed, current.token, lookahead);
    }
    // Written below, with the next hand-out if one goes at once.
    let reported = report ? this.record(report, now) : null;
    const retryAt = reported?.change.status === "retrying" ? reported.change.nextAttemptAt! : null;
    if (reported && (retryAt !== null || told || pause || this.failures.owed())) {
      this.deliveries.settle(reported.row, reported.change);
      reported = null;
    }
    if (retryAt !== null) {
      await this.leaseKeeper.hold(current.token, retryAt + this.settings.leaseMs, { store: true });
      return { action: "retry-scheduled", retryAt };
    }
    if (told) this.heard(told);
    const news = this.failures.owed();
    if (news) return { action: "tell", news };
    if (pause) {
      await this.handOver(0);
      return { action: "paused" };
    }
    for (;;) {
      const dueBy = now + RETRY_EARLY_MS;
      const onWire = reported ? undefined : this.deliveries.onTheWire();
      if (onWire) {
        // On the wire and not reported by this call: under this lease, another holder of the same
        // token (a duplicate job) is sending it, or this is a retried call whose first answer handed
        // it out and was lost: not to be sent again now. Under an older lease, its holder died
        // mid-attempt: count the attempt, and send it again unless it was the last.
        if (onWire.lease === current.token) return { action: "stale" };
        this.interrupted(onWire, now);
        const news = this.failures.owed();
        if (news) return { action: "tell", news };
        continue;
      }
      const ready = reported
        ? this.deliveries.settleAndTakeNext(reported.row, reported.change, current.token, this.watermark, dueBy)
        : this.deliveries.takeHeadIfReady(now, current.token, this.watermark, dueBy);
      reported = null;
      if (ready) {
        this.blockedCount = 0;
        await this.leaseKeeper.hold(current.token, now + this.settings.leaseMs);
        return this.deliverStep(ready, current.token, lookahead);
      }
      // Not ready: find out why.
      const head = this.deliveries.head();
      if (!head) {
        this.leaseKeeper.release();
        return { action: "idle" };
      }
      // Reading the head found it on the wire (handed out before this object started): as above.
      if (head.status === "in_flight") continue;
      if (head.status === "retrying" && head.next_attempt_at !== null && head.next_attempt_at > now + RETRY_EARLY_MS) {
        await this.leaseKeeper.hold(current.token, head.next_attempt_at + this.settings.leaseMs, { store: true });
        return { action: "wait", until: head.next_attempt_at };
      }
      if (head.seq <= this.watermark) throw new Error(`sequencer: head ${formatDeliveryId(head)} (${head.status}) is neither ready nor waiting`);
      if (watermark !== undefined) {
        // The alarm hands the head to a fresh drain once the earlier fan-out had time.
        await this.leaseKeeper.hold(current.token, now + Math.min(BLOCKED_RECHECK_MS * 2 ** this.blockedCount, BLOCKED_RECHECK_MAX_MS));
        this.blockedCount += 1;
        return { action: "blocked", seq: head.seq };
      }
      return { action: "need-watermark", seq: head.seq, orgId: String(this.state.orgId) };
    }
  }

  private deliverStep(row: DeliveryRow, lease: string, lookahead: boolean): DeliverStep {
    return {
      action: "deliver",
      lease,
      delivery: { id: formatDeliveryId(row), eventId: row.event_id, attempt: row.attempts + 1, seq: row.seq },
      handedOutAt: row.updated,
      webhookVersion: this.state.webhookVersion,
      previousAttemptAt: this.lastAttemptAt,
      upcomingEventIds: lookahead ? this.deliveries.eventIdsAfter(row, UPCOMING_EVENTS) : [],
    };
  }

  /**
   * The webhook's settings changed (saved in D1 first): drains re-read them before their next
   * attempt. `reenabled`: it was disabled and is enabled again, so failures count afresh;
   * `disabled`: a recovery going on stops (what it would queue would only be cancelled).
   */
  webhookChanged(change: { reenabled?: boolean; disabled?: boolean } = {}): void {
    this.state.webhookChanged();
    if (change.reenabled) this.failures.rearm();
    if (change.disabled) this.state.storeRecovery(null);
  }

  /**
   * The lease's deadline (its holder died, lost its token with an evicted object, or is waiting on a
   * timer: a fresh drain job takes the head, or the news its holder did not tell), a turn of a
   * recovery that goes on, and the purge of expired deliveries, which rides on the alarms the lease
   * sets anyway (and runs even if the turn fails).
   */
  override async alarm(): Promise<void> {
    this.nextAlarm.rang();
    this.attemptStats.flush();
    this.deliveries.storeBound();
    const now = Date.now();
    const current = this.lease;
    if (current && current.until > now) {
      await this.nextAlarm.set(current.until);
    } else {
      const head = this.deliveries.head();
      if (head || this.failures.owed()) {
        const waitMs = head?.status === "retrying" && head.next_attempt_at ? head.next_attempt_at - now : 0;
        await this.handOver(Math.max(0, Math.ceil(waitMs / 1000)));
      } else if (current) {
        this.leaseKeeper.release();
      }
    }
    const recovery = this.state.recovery;
    try {
      if (recovery) await this.recoverTurn(recovery);
    } finally {
      await this.purgeExpired(now);
    }
  }

  /**
   * Deletes up to PURGE_CHUNK final deliveries whose last change is older than the retention
   * period as of `now`, and keeps the alarm coming: soon while more remain, else when the oldest
   * one left expires, but not sooner than PURGE_INTERVAL_MS from now, so a webhook gone quiet after
   * a busy month wakes once an hour to purge, not once per delivery as each expires (unless an
   * earlier alarm is set, which purges again when it rings). Open deliveries are never purged.
   * Returns how many it deleted.
   */
  async purgeExpired(now: number): Promise<number> {
    const { retentionMs } = this.settings;
    const purged = this.deliveries.deleteFinalBefore(now - retentionMs, PURGE_CHUNK);
    if (purged === PURGE_CHUNK) {
      await this.nextAlarm.ringBy(Date.now() + AGAIN_SOON_MS);
    } else if ((await this.nextAlarm.current()) === null) {
      const oldest = this.deliveries.oldestFinalUpdate();
      if (oldest !== null) await this.nextAlarm.set(Math.max(oldest + retentionMs, now + PURGE_INTERVAL_MS));
    }
    return purged;
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────

  /** Newest first. */
  list(filter: { status?: DeliveryStatus; event?: { id: string; seq: number }; limit: number; offset: number }): { total: number; deliveries: DeliveryRecord[] } {
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
    await this.nextAlarm.delete();
    await this.storage.deleteAll();
    this.leaseKeeper.current = null;
    this.blockedCount = 0;
    // Late calls (a drain job still in the queue) must find empty tables, not missing ones.
    this.state.create();
    this.deliveries.create();
    this.attemptStats.reset();
    return open;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  /**
   * Applies a report but for its write: returns the delivery's settlement for the caller to write,
   * or null when the delivery is not on the wire (a report applied before).
   */
  private record(report: AttemptReport, now: number): { row: DeliveryRow; change: Settlement } | null {
    const onWire = this.deliveries.onTheWire();
    const row = onWire && formatDeliveryId(onWire) === report.deliveryId ? onWire : this.deliveries.byId(report.deliveryId);
    if (!row || row.status !== "in_flight") return null;
    if (report.outcome === "cancelled") return { row, change: { status: "cancelled", now, reason: report.reason } };
    const retryAt = report.outcome === "retry" ? (report.retryAt ?? now) : null;
    const attempt = { attempt: row.attempts + 1, ...report.attempt, outcome: report.outcome };
    this.attemptStats.record(attempt, now);
    this.lastAttemptAt = attempt.started;
    if (report.outcome === "succeeded") this.failures.succeeded();
    else if (report.outcome === "failed") this.failures.failed(failedDelivery(row, attempt), now, this.settings.autoDisable);
    return { row, change: { status: report.outcome === "retry" ? "retrying" : report.outcome, now, nextAttemptAt: retryAt, attempt } };
  }

  private interrupted(row: DeliveryRow, now: number) {
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
    if (last) this.failures.failed(failedDelivery(row, attempt), now, this.settings.autoDisable);
  }

  /** `work` in one storage transaction; if it throws, memory is read again from what was rolled back. */
  private transaction<T>(work: () => T): T {
    try {
      return this.storage.transactionSync(work);
    } catch (e) {
      this.reload();
      throw e;
    }
  }

  /** Reads storage again into memory: after a transaction rolled back what it had set there. */
  private reload() {
    this.state.load();
    this.deliveries.create();
  }

  /** The holder told the organization this news; a disable it applied changes the webhook its drains must read. */
  private heard(news: OperationalNews) {
    this.failures.told(news);
    if (news.disabling) this.webhookChanged({ disabled: true });
  }

  /** A new lease for the caller if nobody holds one and there is work. */
  private async claimLease(): Promise<string | null> {
    if (this.lease || !this.deliveries.head()) return null;
    const token = crypto.randomUUID();
    await this.leaseKeeper.hold(token, Date.now() + this.settings.leaseMs);
    return token;
  }

  /** Starts a drain if nobody holds the lease and there is work. */
  private async wake() {
    if (this.lease || !this.deliveries.head()) return;
    await this.handOver(0);
  }

  /** A new token and a drain job carrying it (after `delaySeconds`). */
  private async handOver(delaySeconds: number) {
    const { webhookId, orgId } = this.state;
    if (!webhookId || !orgId) return;
    const token = crypto.randomUUID();
    await this.leaseKeeper.hold(token, Date.now() + delaySeconds * 1000 + this.settings.leaseMs, { store: true });
    const job: DrainJob = { kind: "drain", webhookId, orgId, lease: token };
    try {
      await this.env.JOBS.send(job, delaySeconds > 0 ? { delaySeconds } : undefined);
    } catch (e) {
      // The alarm tries again when the lease runs out; nothing is lost.
      log.error("sequencer: drain job not sent; the lease's alarm tries again", { webhookId, orgId, error: e });
    }
  }

  private raiseWatermark(value: number) {
    if (value > this.watermark) this.watermark = value;
  }
}

function failedDelivery(row: DeliveryRow, attempt: AttemptRecord): FailedDelivery {
  return {
    deliveryId: formatDeliveryId(row),
    eventId: row.event_id,
    eventType: row.event_type,
    attempts: attempt.attempt,
    lastStatusCode: attempt.statusCode,
    lastError: attempt.error,
  };
}
