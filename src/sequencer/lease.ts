// The lease: whoever holds the current token may take a sequencer's next delivery. Each delivery
// handed out is marked with the token it went out under, and a call with that token that does not
// report it is answered "stale": so a duplicate drain job (or a retried call whose first answer was
// lost) can never send a delivery again while it is in flight. If the holder dies (consumer crash,
// eviction), the alarm at the lease's deadline issues a new token and a new drain job; the delivery
// it was sending, in flight under the old token, is counted as an interrupted attempt and sent again.
import type { Alarm } from "./alarm";
import type { DeliveryRow } from "./records";
import type { SequencerState } from "./state";

export interface Lease {
  token: string;
  until: number;
  /** Whether the state table has it: only a token handed to a queued job must outlive the object. */
  stored: boolean;
}

export class LeaseKeeper {
  /**
   * Who may take the next delivery. Kept in memory while its holder is at work: each delivery it
   * takes is marked with its token, so a fresh object finds it on its in-flight head. Written to
   * the state table only when handed to a queued job (a handover, a retry's or a wait's job).
   */
  current: Lease | null = null;

  /** `leaseMs`: how long a holder may take between two calls before the lease is presumed dead (LEASE_SECONDS). */
  constructor(
    private readonly state: SequencerState,
    private readonly alarm: Alarm,
    private readonly leaseMs: number,
  ) {}

  /** The lease a fresh object starts with: as stored for a queued job, or as its in-flight head went out under. */
  load(head: DeliveryRow | undefined) {
    const stored = this.state.lease;
    const inFlight = head?.status === "in_flight" && head.lease ? { token: head.lease, until: head.updated + this.leaseMs } : null;
    if (stored) {
      const until = inFlight?.token === stored.token ? Math.max(stored.until, inFlight.until) : stored.until;
      this.current = { token: stored.token, until, stored: true };
    } else {
      this.current = inFlight && { ...inFlight, stored: false };
    }
  }

  /** Holds the lease for `token` until `until`; `store` when the token goes to a queued job. */
  async hold(token: string, until: number, { store = false } = {}) {
    const stored = store || (this.current?.token === token && this.current.stored);
    this.current = { token, until, stored };
    if (store) this.state.storeLease({ token, until });
    // An earlier alarm is as good: it finds the lease still running and moves itself to `until`.
    // Most holds (one per delivery) so write no alarm.
    await this.alarm.ringBy(until);
  }

  /**
   * Nobody holds it. The alarm stays set: when it rings it finds no work and only purges, while a
   * webhook that gets work again before then needs no new alarm. Deleting it would cost a write
   * every time a webhook goes idle, and setting it again another when it wakes.
   */
  release() {
    if (this.current?.stored) this.state.deleteLease();
    this.current = null;
  }
}
