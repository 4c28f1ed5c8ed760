// Call rounds: per key one call at a time, and what arrives meanwhile goes out together, sent by
// the first caller that queued, each caller answered with its own answer.
import { describe, expect, it } from "vitest";
import { RoundAbandoned, Rounds } from "../../src/rounds";

/** Rounds whose calls record their inputs and answer each doubled; the first call is held until `release`. */
function recording(maxWeight = 100) {
  const calls: number[][] = [];
  const held = Promise.withResolvers<void>();
  const rounds = new Rounds<number, number>(
    async (_key, inputs) => {
      calls.push(inputs);
      if (calls.length === 1) await held.promise;
      return inputs.map((n) => n * 2);
    },
    maxWeight,
    (n) => n,
  );
  return { rounds, calls, release: held.resolve };
}

describe("rounds", () => {
  it("sends a call at once when none is under way", async () => {
    const { rounds, calls, release } = recording();
    release();
    expect(await rounds.call("a", 1)).toBe(2);
    expect(calls).toEqual([[1]]);
  });

  it("sends what arrives during a call as one round once it has answered, each caller getting its own answer", async () => {
    const { rounds, calls, release } = recording();
    const answers = [rounds.call("a", 1), rounds.call("a", 2), rounds.call("a", 3), rounds.call("a", 4)];
    expect(calls).toEqual([[1]]);
    release();
    expect(await Promise.all(answers)).toEqual([2, 4, 6, 8]);
    expect(calls).toEqual([[1], [2, 3, 4]]);
  });

  it("keeps keys apart", async () => {
    const { rounds, calls, release } = recording();
    const first = rounds.call("a", 1);
    expect(await rounds.call("b", 2)).toBe(4);
    expect(calls).toEqual([[1], [2]]);
    release();
    await first;
  });

  it("sends alone, at once, an input heavier than what its round has left", async () => {
    const { rounds, calls, release } = recording(10);
    const answers = [rounds.call("a", 1), rounds.call("a", 6), rounds.call("a", 5)];
    await Promise.resolve();
    expect(calls).toEqual([[1], [5]]);
    release();
    expect(await Promise.all(answers)).toEqual([2, 12, 10]);
    expect(calls).toEqual([[1], [5], [6]]);
  });

  it("gives up on a round whose sender never says how it ended: its callers are told, and later calls go on", async () => {
    const calls: number[][] = [];
    const rounds = new Rounds<number, number>(
      async (_key, inputs) => {
        calls.push(inputs);
        // The first call's request is cancelled mid-call: it never answers.
        if (calls.length === 1) return new Promise<number[]>(() => {});
        return inputs;
      },
      100,
      () => 1,
      50,
    );
    void rounds.call("a", 1);
    const queued = [rounds.call("a", 2), rounds.call("a", 3)];
    // The second caller sends its round once the first is given up on; the third had joined it.
    expect(await Promise.all(queued)).toEqual([2, 3]);
    expect(calls).toEqual([[1], [2, 3]]);
    expect(await rounds.call("a", 4)).toBe(4);
  });

  it("tells the callers of a round whose sender went away that it was abandoned", async () => {
    const rounds = new Rounds<number, number>(() => new Promise<number[]>(() => {}), 100, () => 1, 50);
    void rounds.call("a", 1);
    void rounds.call("a", 2);
    await expect(rounds.call("a", 3)).rejects.toBeInstanceOf(RoundAbandoned);
  });

  it("fails every caller of a round whose call failed, and the next round goes on", async () => {
    let fail = true;
    const held = Promise.withResolvers<void>();
    const rounds = new Rounds<number, number>(async (_key, inputs) => {
      if (inputs[0] === 0) await held.promise;
      if (inputs[0] !== 0 && fail) {
        fail = false;
        throw new Error("down");
      }
      return inputs;
    }, 100);
    const first = rounds.call("a", 0);
    const failed = [rounds.call("a", 1), rounds.call("a", 2)];
    held.resolve();
    await first;
    for (const call of failed) await expect(call).rejects.toThrow("down");
    expect(await rounds.call("a", 3)).toBe(3);
  });
});
