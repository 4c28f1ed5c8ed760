// The per-webhook throttle: a webhook with a rateLimit (deliveries per second) gets its attempts
// 1/rateLimit s apart. Its drain, the only sender while it holds the lease, waits before sending;
// the previous attempt's start comes from the sequencer, so the pace holds across drain turns and
// across the webhook going idle and waking. Order is untouched: the drain still sends one at a time.

/** One drain's pace: when its attempts were due and sent. */
export class Throttle {
  private due: number | null = null;
  private sentAt = 0;
  /** Milliseconds waited so far. */
  rested = 0;

  /** `rest`: how to wait (a drain pool lets other drains run meanwhile); `now`: the clock. */
  constructor(
    private readonly rest: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Waits for the next attempt's turn at `rateLimit` per second; `previousAttemptAt` is when the
   * sequencer saw the webhook's last attempt start (another drain's, maybe). Turns keep to a grid,
   * so a timer that fires late does not slow the pace, yet never come closer than half a turn
   * after the last attempt; a drain more than a turn behind (after a pause, or behind a receiver
   * slower than the limit) starts a new grid instead of sending a burst to catch up.
   */
  async turn(rateLimit: number | null, previousAttemptAt: number | null): Promise<void> {
    if (!rateLimit) {
      this.due = null;
      return;
    }
    const interval = 1000 / rateLimit;
    const now = this.now();
    let due = this.due === null ? (previousAttemptAt ?? -Infinity) + interval : Math.max(this.due + interval, this.sentAt + interval / 2);
    if (due < now - interval) due = now;
    this.due = due;
    if (due > now) {
      this.rested += due - now;
      await this.rest(due - now);
    }
    this.sentAt = this.now();
  }
}
