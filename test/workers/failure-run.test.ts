// The count a sequencer keeps for auto-disable (src/sequencer/failure-run.ts), on its own: what
// decides, what ends a run, what re-arms it, and the news it keeps owing until told.
import { describe, expect, it } from "vitest";
import { FailureRun, type FailedDelivery } from "../../src/sequencer/failure-run";

const HOUR = 60 * 60 * 1000;
const rule = { failedDeliveries: 3, failingMs: 2 * HOUR };

function run() {
  let stored: string | null = null;
  const failures = new FailureRun({ read: () => stored, write: (value) => (stored = value) });
  return { failures, stored: () => stored };
}

let n = 0;
function failed(lastStatusCode: number | null = 503): FailedDelivery {
  n += 1;
  return { deliveryId: `d${n}`, eventId: `e${n}`, eventType: "booking.created", attempts: 4, lastStatusCode, lastError: null };
}

describe("a webhook's run of failed deliveries", () => {
  it("decides nothing while the run is long enough but younger than the hours", () => {
    const { failures } = run();
    for (let i = 0; i < 10; i++) failures.failed(failed(), 1000 + i * 60_000, rule);
    expect(failures.owed()?.disabling ?? null).toBeNull();
  });

  it("decides nothing while the run is old enough but shorter than the count", () => {
    const { failures } = run();
    failures.failed(failed(), 0, rule);
    failures.failed(failed(), 3 * HOUR, rule);
    expect(failures.owed()?.disabling ?? null).toBeNull();
  });

  it("decides to disable at the failure that makes the run both long and old enough, saying why", () => {
    const { failures } = run();
    failures.failed(failed(), 0, rule);
    failures.failed(failed(), HOUR, rule);
    failures.failed(failed(503), 2 * HOUR, rule);
    expect(failures.owed()?.disabling).toEqual({
      at: 2 * HOUR,
      reason: "3 deliveries in a row ended failed since 1970-01-01T00:00:00.000Z; the last answered 503",
      failingSince: 0,
      failedDeliveries: 3,
      lastStatusCode: 503,
    });
  });

  it("decides at once on a 410 Gone", () => {
    const { failures } = run();
    failures.failed(failed(410), 5, rule);
    expect(failures.owed()?.disabling).toMatchObject({ reason: "the receiver answered 410 Gone", failedDeliveries: 1, lastStatusCode: 410 });
  });

  it("starts a new run after a success", () => {
    const { failures } = run();
    failures.failed(failed(), 0, rule);
    failures.failed(failed(), HOUR, rule);
    failures.succeeded();
    failures.failed(failed(), 3 * HOUR, rule);
    failures.failed(failed(), 4 * HOUR, rule);
    expect(failures.owed()?.disabling ?? null).toBeNull();
    failures.failed(failed(), 5 * HOUR + 1, rule);
    expect(failures.owed()?.disabling).toMatchObject({ failingSince: 3 * HOUR, failedDeliveries: 3 });
  });

  it("writes nothing for a success when no run is under way", () => {
    const { failures, stored } = run();
    failures.succeeded();
    expect(stored()).toBeNull();
  });

  it("decides once, until re-armed, however many failures follow", () => {
    const { failures } = run();
    failures.failed(failed(410), 0, rule);
    failures.told(failures.owed()!);
    failures.failed(failed(410), 1, rule);
    expect(failures.owed()?.disabling ?? null).toBeNull();
    failures.rearm();
    failures.failed(failed(410), 2, rule);
    expect(failures.owed()?.disabling).toMatchObject({ at: 2 });
  });

  it("counts afresh once re-armed", () => {
    const { failures } = run();
    failures.failed(failed(), 0, rule);
    failures.failed(failed(), HOUR, rule);
    failures.rearm();
    failures.failed(failed(), 3 * HOUR, rule);
    expect(failures.owed()?.disabling ?? null).toBeNull();
  });

  it("owes each failed delivery until it is told, oldest first", () => {
    const { failures, stored } = run();
    const first = failed();
    const second = failed();
    failures.failed(first, 0, rule);
    failures.failed(second, 1, rule);
    expect(failures.owed()).toEqual({ failed: [first, second], disabling: null });
    failures.told({ failed: [first], disabling: null });
    expect(failures.owed()).toEqual({ failed: [second], disabling: null });
    failures.succeeded();
    failures.told({ failed: [second], disabling: null });
    expect(failures.owed()).toBeNull();
    expect(stored()).toBeNull();
  });

  it("keeps a decision owed until the news that told it comes back, not an older one", () => {
    const { failures } = run();
    failures.failed(failed(), 0, rule);
    const before = failures.owed()!;
    failures.failed(failed(410), 1, rule);
    failures.told(before);
    expect(failures.owed()).toMatchObject({ disabling: { at: 1 } });
  });
});
