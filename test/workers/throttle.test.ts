// The per-webhook throttle's pace on a simulated clock (src/delivery/throttle.ts), and the drains
// side by side letting another run while a throttled one waits (restOutside, src/delivery/dispatch.ts).
import { describe, expect, it } from "vitest";
import pLimit from "p-limit";
import { Throttle } from "../../src/delivery/throttle";
import { drainPool, restOutside } from "../../src/delivery/dispatch";

/** A throttle on a clock that only moves when told or while it rests; records each wait. */
function simulated(start = 1_000_000) {
  let now = start;
  const waits: number[] = [];
  const throttle = new Throttle(
    async (ms) => {
      waits.push(ms);
      now += ms;
    },
    () => now,
  );
  return { throttle, waits, advance: (ms: number) => (now += ms), now: () => now };
}

describe("the throttle", () => {
  it("does not wait for a webhook without a rate limit", async () => {
    const { throttle, waits, now } = simulated();
    await throttle.turn(null, now());
    await throttle.turn(null, now());
    expect(waits).toEqual([]);
  });

  it("waits one turn after the webhook's last attempt, though another drain made it", async () => {
    const { throttle, waits, now } = simulated();
    await throttle.turn(20, now() - 10);
    expect(waits).toEqual([40]);
  });

  it("spaces attempts a turn apart when they take no time", async () => {
    const { throttle, waits } = simulated();
    for (let i = 0; i < 4; i++) await throttle.turn(20, null);
    expect(waits).toEqual([50, 50, 50]);
  });

  it("keeps to its grid when an attempt goes late, coming no nearer than half a turn after it", async () => {
    const { throttle, waits, advance } = simulated();
    await throttle.turn(10, null);
    advance(130); // the attempt and its report took longer than a turn
    await throttle.turn(10, null);
    advance(10);
    await throttle.turn(10, null);
    // The second attempt went 30 ms late, so the third is due 70 ms after it (200 ms after the first), not 100.
    expect(waits).toEqual([60]);
  });

  it("starts a new grid when more than a turn behind, sending no burst to catch up", async () => {
    const { throttle, waits, advance } = simulated();
    await throttle.turn(10, null);
    advance(1_000); // a pause: ten turns missed
    await throttle.turn(10, null);
    await throttle.turn(10, null);
    expect(waits).toEqual([100]);
  });
});

describe("drains side by side", () => {
  it("run another drain while a throttled one waits for its turn", async () => {
    const limit = pLimit(1);
    const rest = restOutside(limit);
    const log: string[] = [];
    await Promise.all([
      limit(async () => {
        log.push("throttled sends");
        await rest(50);
        log.push("throttled sends again");
      }),
      limit(async () => {
        log.push("other sends");
      }),
    ]);
    expect(log).toEqual(["throttled sends", "other sends", "throttled sends again"]);
  });

  it("send again after a wait only once a place is free, never beside every drain that started meanwhile", async () => {
    const limit = pLimit(2);
    const rest = restOutside(limit);
    const others = Array.from({ length: 2 }, () => Promise.withResolvers<void>());
    const log: string[] = [];
    const throttled = limit(async () => {
      await rest(20);
      log.push(`throttled sends again beside ${limit.activeCount - 1}`);
    });
    // Its wait lets one more drain start; the third waits for a place.
    const started = others.map((other, i) => limit(async () => (log.push(`drain ${i} runs`), await other.promise)));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(log).toEqual(["drain 0 runs", "drain 1 runs"]);
    others[0]!.resolve();
    await throttled;
    expect(log).toEqual(["drain 0 runs", "drain 1 runs", "throttled sends again beside 1"]);
    others[1]!.resolve();
    await Promise.all(started);
  });

  it("keep their limit once the wait is over", async () => {
    const limit = pLimit(2);
    await limit(() => restOutside(limit)(5));
    expect(limit.concurrency).toBe(2);
  });

  it("run five side by side, one connection of the six left for a fan-out's queue sends, while its appends go on or not", async () => {
    const pool = drainPool();
    let running = 0;
    const release = Promise.withResolvers<void>();
    const drains = Array.from({ length: 7 }, () => pool.limit(async () => (running++, await release.promise)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(running).toBe(5);
    release.resolve();
    await Promise.all(drains);
  });
});
