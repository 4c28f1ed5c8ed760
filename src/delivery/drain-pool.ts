/** Runs drains at most `concurrency` at a time, in the order added. */
export class DrainPool {
  private readonly waiting: (() => Promise<unknown>)[] = [];
  private running = 0;
  private readonly lanes: Promise<void>[] = [];

  constructor(private readonly concurrency: number) {}

  add(work: () => Promise<unknown>) {
    this.waiting.push(work);
    if (this.running < this.concurrency) this.lanes.push(this.lane());
  }

  private async lane() {
    this.running += 1;
    for (let work = this.waiting.shift(); work; work = this.waiting.shift()) await work();
    this.running -= 1;
  }

  async idle() {
    while (this.lanes.length > 0) await this.lanes.shift();
  }
}
