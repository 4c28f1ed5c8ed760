// A sequencer's one alarm (the lease's deadline, the purge), its time kept in memory so that most
// checks cost no storage call.
export class Alarm {
  /** The alarm's time as set by this object (null: none); undefined until first read. */
  private at: number | null | undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Makes sure the alarm rings by `at`. */
  async ringBy(at: number) {
    const current = await this.current();
    if (current === null || current > at) await this.set(at);
  }

  async current(): Promise<number | null> {
    if (this.at === undefined) this.at = await this.storage.getAlarm();
    return this.at;
  }

  async set(at: number) {
    await this.storage.setAlarm(at);
    this.at = at;
  }

  /** It is ringing: none is set until the next `set`. */
  rang() {
    this.at = null;
  }

  async delete() {
    await this.storage.deleteAlarm();
    this.at = null;
  }
}
