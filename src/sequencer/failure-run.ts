// A webhook's run of deliveries that ended failed, as its sequencer counts them for auto-disable
// (src/webhooks/auto-disable.ts), and the operational news it owes the organization: a
// `delivery.failed` per failed delivery and a decision to disable. All of it is one row of the
// sequencer's state, written only when a delivery fails, a run ends, or news is told; a healthy
// webhook's deliveries write nothing here. News stays in the row until told, so a sequencer that
// restarts tells it again (the event log stores each event once).
import type { AutoDisableRule, DisableDecision } from "../webhooks/auto-disable";
import type { FailedDelivery } from "../webhooks/operational-events";

/** Failed deliveries kept for telling; past this (the event log unreachable for long), the oldest are dropped. */
const MAX_UNTOLD = 100;

interface RunState {
  /** Deliveries in a row that ended failed, and when the first of them did. */
  count: number;
  since: number | null;
  /** Failed deliveries not yet stored as `delivery.failed`, oldest first. */
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

  /** A delivery ended failed at `at`: it is counted and owed as news, and the webhook is to be disabled if `rule` says so or its receiver answered 410 Gone. */
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

  /** What the organization has not been told yet: failed deliveries, then a decision not yet applied. */
  owed(): { untold: FailedDelivery[]; disabling: DisableDecision | null } {
    const run = this.read();
    return { untold: run.untold, disabling: run.disable && !run.disable.applied ? run.disable.decision : null };
  }

  told(deliveryId: string): void {
    const run = this.read();
    this.save({ ...run, untold: run.untold.filter((d) => d.deliveryId !== deliveryId) });
  }

  /** The decision was applied: nothing more is decided until the webhook is enabled again. */
  applied(): void {
    const run = this.read();
    if (run.disable) this.save({ ...run, disable: { ...run.disable, applied: true } });
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
