// A webhook's run of deliveries that ended failed, as its sequencer counts them for auto-disable,
// and the news it owes the organization: a `delivery.failed` per failed delivery and a decision to
// disable the webhook. The sequencer cannot tell the organization itself (the event log and D1
// configuration are above it), so it hands the news to its drain, which tells and says so on its
// next call (src/delivery/operational-events.ts). All of it is one value of the sequencer's state,
// written only when a delivery fails, a run ends, or news is told; a healthy webhook's deliveries
// write nothing here. News stays until told, so a drain that dies first leaves it to the next one
// (the event log stores each event once however often it is told).
import type { Config } from "../config";

/** The auto-disable rule (DISABLE_AFTER_FAILED_DELIVERIES, DISABLE_AFTER_FAILING_HOURS): how long a run of failures must be, and how old. */
export type AutoDisableRule = Config["autoDisable"];

/** A delivery that ended failed after its last attempt. */
export interface FailedDelivery {
  deliveryId: string;
  eventId: string;
  eventType: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
}

/** The decision to disable the webhook: when, why, and the run that led to it. */
export interface DisableDecision {
  at: number;
  reason: string;
  failingSince: number;
  failedDeliveries: number;
  lastStatusCode: number | null;
}

/** What the organization has not been told yet: failed deliveries (oldest first), then a decision not yet applied. */
export interface OperationalNews {
  failed: FailedDelivery[];
  disabling: DisableDecision | null;
}

/** Failed deliveries kept for telling; past this (telling failing for long), the oldest are dropped. */
const MAX_UNTOLD = 100;

interface RunState {
  /** Deliveries in a row that ended failed, and when the first of them did. */
  count: number;
  since: number | null;
  untold: FailedDelivery[];
  /** The decision to disable, from when it is taken until the webhook is enabled again. */
  disable: { decision: DisableDecision; applied: boolean } | null;
}

const EMPTY: RunState = { count: 0, since: null, untold: [], disable: null };

/** Where the run is kept: one value of the sequencer's state table. */
export interface RunStore {
  read(): string | null;
  write(value: string | null): void;
}

export class FailureRun {
  constructor(private readonly store: RunStore) {}

  /** A delivery succeeded: the run is over. Writes nothing when there was none. */
  succeeded(): void {
    if (this.store.read() === null) return;
    const run = this.read();
    if (run.count > 0) this.save({ ...run, count: 0, since: null });
  }

  /**
   * A delivery ended failed at `at`: it is counted and owed as news, and the webhook is to be
   * disabled if its receiver answered 410 Gone, or if the run is `rule.failedDeliveries` long and
   * its first failure `rule.failingMs` old.
   */
  failed(delivery: FailedDelivery, at: number, rule: AutoDisableRule): void {
    const run = this.read();
    const count = run.count + 1;
    const since = run.since ?? at;
    let disable = run.disable;
    if (!disable) {
      const gone = delivery.lastStatusCode === 410;
      if (gone || (count >= rule.failedDeliveries && at - since >= rule.failingMs)) {
        const last = delivery.lastStatusCode !== null ? `answered ${delivery.lastStatusCode}` : `failed: ${delivery.lastError ?? "no answer"}`;
        const reason = gone
          ? "the receiver answered 410 Gone"
          : `${count} deliveries in a row ended failed since ${new Date(since).toISOString()}; the last ${last}`;
        disable = { decision: { at, reason, failingSince: since, failedDeliveries: count, lastStatusCode: delivery.lastStatusCode }, applied: false };
      }
    }
    this.save({ count, since, untold: [...run.untold, delivery].slice(-MAX_UNTOLD), disable });
  }

  /** The news not told yet; null when there is none (the usual case, read from memory). */
  owed(): OperationalNews | null {
    if (this.store.read() === null) return null;
    const run = this.read();
    const disabling = run.disable && !run.disable.applied ? run.disable.decision : null;
    return run.untold.length > 0 || disabling ? { failed: run.untold, disabling } : null;
  }

  /** The drain told this news: it is not owed any more, and a decision it applied is decided for good until re-armed. */
  told(news: OperationalNews): void {
    const run = this.read();
    const told = new Set(news.failed.map((d) => d.deliveryId));
    const applied = run.disable && news.disabling?.at === run.disable.decision.at ? { ...run.disable, applied: true } : run.disable;
    this.save({ ...run, untold: run.untold.filter((d) => !told.has(d.deliveryId)), disable: applied });
  }

  /** The webhook was enabled again: counting starts afresh (news still owed is kept). */
  rearm(): void {
    const run = this.read();
    this.save({ ...EMPTY, untold: run.untold });
  }

  private read(): RunState {
    const raw = this.store.read();
    return raw === null ? EMPTY : (JSON.parse(raw) as RunState);
  }

  private save(run: RunState) {
    const empty = run.count === 0 && run.untold.length === 0 && run.disable === null;
    this.store.write(empty ? null : JSON.stringify(run));
  }
}
