/**
 * Runs drains at most `concurrency` at a time, in the order added. A drain waiting for its
 * throttle's next turn holds no connection, so it gives its place up meanwhile (`rest`): other
 * webhooks' drains are not held up by a throttled one. Coming back, it goes before drains not
 * yet started.
 */
export class DrainPool {
  private active = 0;
  private readonly queued: (() => void)[] = [];
  private readonly started: Promise<unknown>[] = [];

  constructor(private readonly concurrency: number) {}

  add(work: (rest: (ms: number) => Promise<void>) => Promise<unknown>) {
    this.started.push(this.place(false).then(() => work(this.rest)).finally(() => this.leave()));
  }

  async idle() {
    for (let i = 0; i < this.started.length; i++) await this.started[i];
  }

  private readonly rest = async (ms: number) => {
    this.leave();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.place(true);
  };

  private place(first: boolean): Promise<void> {
    if (this.active < this.concurrency) {
      this.active += 1;
      return Promise.resolve();
    }
    // The place is handed over by `leave`, so `active` stays as it is.
    return new Promise((resolve) => (first ? this.queued.unshift(resolve) : this.queued.push(resolve)));
  }

  private leave() {
    const next = this.queued.shift();
    if (next) next();
    else this.active -= 1;
  }
}
