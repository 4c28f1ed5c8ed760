// Calls that arrive while one like them is under way go out together in the next one. Per key (an
// organization), one call at a time in this isolate: what queues behind it is sent as one round by
// the first of the queued callers, once the call ahead has answered. Under load that is one round
// trip for many requests; a request alone goes at once. The caller that sends does all the I/O, so
// no request does I/O on behalf of another, and a caller waiting for another's call watches for its
// answer on its own timer: the runtime does not let one request's promise wake another request.
// A request can be cancelled mid-call (its client went away) and never say how its round ended, so
// every round has a deadline: past it, whoever waited on it goes its own way (see `call`).

interface Round<In, Out> {
  inputs: In[];
  weight: number;
  /** When those waiting on this round stop waiting: its sender is presumed gone. */
  deadline: number;
  /** Set once the round's call has answered (or failed). */
  settled: boolean;
  answers?: Out[];
  error?: unknown;
  /** The round gathering behind this one while it is sent. */
  next?: Round<In, Out>;
}

/** How often a waiting caller looks whether the call it waits for has answered. */
const WATCH_MS = 1;

/** Thrown to a caller whose round's sender went away before saying how the call ended: its input may or may not have been sent. */
export class RoundAbandoned extends Error {
  constructor() {
    super("the call this request was sent with did not answer in time");
  }
}

export class Rounds<In, Out> {
  /** Per key, the round being sent. */
  private readonly underWay = new Map<string, Round<In, Out>>();

  /**
   * `send` answers each of a round's inputs in order, the first being the sender's own; a round
   * holds inputs of at most `maxWeight` in all (an input heavier than what is left goes alone);
   * those waiting on a call give up on it `patienceMs` after it was sent.
   */
  constructor(
    private readonly send: (key: string, inputs: In[]) => Promise<Out[]>,
    private readonly maxWeight: number,
    private readonly weightOf: (input: In) => number = () => 1,
    private readonly patienceMs = 10_000,
  ) {}

  /** `input`'s answer; throws RoundAbandoned if it joined a round whose sender went away. */
  async call(key: string, input: In): Promise<Out> {
    const weight = this.weightOf(input);
    let ahead = this.underWay.get(key);
    if (ahead && Date.now() > ahead.deadline) {
      this.underWay.delete(key);
      ahead = undefined;
    }
    const mine: Round<In, Out> = { inputs: [input], weight, deadline: Date.now() + this.patienceMs, settled: false };
    if (!ahead) return this.sendRound(key, mine);
    const next = ahead.next;
    if (next && next.weight + weight <= this.maxWeight) {
      const index = next.inputs.push(input) - 1;
      next.weight += weight;
      await watch(() => next.settled || Date.now() > next.deadline);
      if (!next.settled) throw new RoundAbandoned();
      if (next.error !== undefined) throw next.error;
      return next.answers![index]!;
    }
    if (next) return (await this.send(key, [input]))[0]!;
    // This caller sends the next round once the call ahead has answered, or has been given up on.
    mine.deadline = ahead.deadline + this.patienceMs;
    ahead.next = mine;
    const waitedOn = ahead;
    await watch(() => waitedOn.settled || Date.now() > waitedOn.deadline);
    return this.sendRound(key, mine);
  }

  private async sendRound(key: string, round: Round<In, Out>): Promise<Out> {
    round.deadline = Date.now() + this.patienceMs;
    this.underWay.set(key, round);
    try {
      round.answers = await this.send(key, round.inputs);
      return round.answers[0]!;
    } catch (e) {
      round.error = e;
      throw e;
    } finally {
      round.settled = true;
      if (this.underWay.get(key) === round) this.underWay.delete(key);
    }
  }
}

/** Resolves once `settled()` holds, looking every `everyMs`: the way to wait on another request's work in this runtime. */
export async function watch(settled: () => boolean, everyMs = WATCH_MS) {
  while (!settled()) await new Promise((resolve) => setTimeout(resolve, everyMs));
}
