// A smoke run of the benchmark (`npm run bench -- --quick --only=ingest,e2e,quiet,ordered,ceiling,fanout
// --fanouts=1,10`): it starts the platform and the floor, measures those scenarios on both (with the
// durable-ingest, strict-order and per-webhook-object floors), prints every target and writes the
// JSON and chart. Speed is not asserted. Counting operations needs a third `wrangler dev` and about
// 15 s more, and fan-out to 1,000 webhooks takes a minute, so the smoke run leaves both out; their
// targets and the operation table are checked on figures and counts given here.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { dollarsPerMillionEvents, floorOps, type OpsCount } from "../../bench/ops.ts";
import { judge, table } from "../../bench/report.ts";
import type { Figure } from "../../bench/scenarios.ts";

const out = mkdtempSync(join(tmpdir(), "edge-webhooks-bench-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("npm run bench -- --quick", () => {
  it("measures the scenarios on the floors and on the platform, prints the targets and writes the results", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "bench/run.ts", "--quick", "--only=ingest,e2e,quiet,ordered,ceiling,fanout", "--fanouts=1,10", `--out=${out}`],
      { cwd: new URL("../..", import.meta.url).pathname, timeout: 110_000 },
    );
    const result = JSON.parse(readFileSync(join(out, "latest.json"), "utf8"));
    const figure = (metric: string) => result.figures.find((f: { metric: string }) => f.metric === metric);
    expect(result.failures).toEqual([]);
    const p50 = figure("p50 at 20/s");
    expect(p50).toMatchObject({ scenario: "end to end", unit: "ms", note: expect.stringMatching(/^(\d+)\/\1 of ours and \1\/\1 of the floor's arrived$/) });
    // Timed from the send, so the request's own time is in it on both sides; from the 202 it is not.
    expect(p50.ours).toBeGreaterThan(0);
    expect(p50.floor).toBeGreaterThan(0);
    const fromAnswer = figure("p50 at 20/s, from the 202");
    expect(fromAnswer.ours).toBeLessThan(p50.ours);
    expect(fromAnswer.floor).toBeLessThan(p50.floor);
    // The reference floors run beside the plain one: the durable-ingest floor at each concurrency,
    // the strict-order floor in the ordered scenario (whose every event arrived, in order).
    for (const c of [1, 16, 64]) expect(figure(`against the durable-ingest floor, req/s c=${c}`).floor).toBeGreaterThan(0);
    expect(figure("against the strict-order floor, /s").floor).toBeGreaterThan(0);
    expect(figure("deliveries/s to one webhook").note).toMatch(/ours 400\/400 delivered, 0 order breaks/);
    // Quiet: each of the 3 events reached its idle webhook on both sides (timed from the 202, which
    // either side may beat: a figure may be negative).
    for (const metric of ["p50, one event every 2 s", "p95, one event every 2 s"]) {
      expect(figure(metric)).toMatchObject({ scenario: "quiet", unit: "ms" });
      expect(Number.isFinite(figure(metric).ours)).toBe(true);
      expect(Number.isFinite(figure(metric).floor)).toBe(true);
    }
    expect(figure("p50, one event every 2 s").note).toMatch(/^3\/3 of ours and 3\/3 of the floor's arrived/);
    // The EventLog ceiling has no floor (null in JSON) and took events at every concurrency.
    for (const c of [1, 4, 16]) expect(figure(`events/s accepted c=${c}`)).toMatchObject({ scenario: "eventlog ceiling", floor: null, ours: expect.any(Number) });
    // Fan-out to each size given, on the floor, the per-webhook-object floor and ours, every receiver reached.
    for (const size of [1, 10]) {
      for (const metric of [`time to all ${size}`, `time to all ${size}, again`]) {
        for (const shown of [figure(metric), figure(`${metric}, against the per-webhook-object floor`)]) {
          expect(shown).toMatchObject({ scenario: "fan-out", unit: "ms", floor: expect.any(Number), ours: expect.any(Number) });
          expect(shown.note).toBeUndefined();
        }
      }
    }
    expect(result.targets.map((t: { name: string }) => t.name)).toEqual([
      "ingest throughput",
      "ingest p50",
      "quiet p50",
      "fan-out to 10",
      "ordered, one webhook",
      "EventLog ceiling, one organization",
      "end-to-end p50",
    ]);
    for (const t of result.targets) expect(stdout).toContain(`${t.met ? "met    " : "NOT MET"}  ${t.name}: ${t.reached}   (wanted ${t.wanted})`);
    expect(result.targets.find((t: { name: string }) => t.name === "ingest throughput").reached).toMatch(/the durable-ingest floor: /);
    expect(result.targets.find((t: { name: string }) => t.name === "ordered, one webhook").reached).toMatch(/× \(.+ vs .+\/s\), 0 breaks/);
    expect(result.targets.find((t: { name: string }) => t.name === "fan-out to 10").reached).toMatch(/the per-webhook-object floor \d+ ms, .+× the floor, ours .+× it\); the next event/);
    expect(readFileSync(join(out, "platform.log"), "utf8")).toMatch(/POST \/v1\/organizations\/bench-ingest\/events 202/);
    expect(readFileSync(join(out, "latest.svg"), "utf8")).toMatch(/^<svg[\s\S]*end to end[\s\S]*strict-order floor[\s\S]*eventlog ceiling[\s\S]*<\/svg>\n$/);
  });

  it("judges the fan-out and cost targets and prints the operation counts at fan-out 1 and 10, on given figures and counts", () => {
    const count = (webhooks: number, perEvent: OpsCount["perEvent"]): OpsCount => ({
      webhooks,
      events: 20,
      perEvent,
      dollarsPerMillion: dollarsPerMillionEvents(perEvent),
      floorDollarsPerMillion: dollarsPerMillionEvents(floorOps(webhooks)),
    });
    const fanout1 = count(1, { workerInvocations: 1.1, queueWrites: 1, doRowsWritten: 2, d1RowsRead: 0.05 });
    const fanout10 = count(10, { workerInvocations: 2, queueWrites: 10, doRowsWritten: 20, d1RowsRead: 0.5, d1RowsWritten: 1 });
    const ops = {
      fanout1,
      fanout10,
      dollarsPerMillionPerAdditionalWebhook: (fanout10.dollarsPerMillion - fanout1.dollarsPerMillion) / 9,
      floorDollarsPerMillionPerAdditionalWebhook: (fanout10.floorDollarsPerMillion - fanout1.floorDollarsPerMillion) / 9,
    };
    const fanouts: Figure[] = [
      { scenario: "fan-out", metric: "time to all 10", unit: "ms", floor: 60, ours: 240, better: "lower" },
      { scenario: "fan-out", metric: "time to all 10, against the per-webhook-object floor", unit: "ms", floor: 180, ours: 240, better: "lower" },
      { scenario: "fan-out", metric: "time to all 10, again", unit: "ms", floor: 50, ours: 100, better: "lower" },
      { scenario: "fan-out", metric: "time to all 100", unit: "ms", floor: 100, ours: 9000, better: "lower" },
      { scenario: "fan-out", metric: "time to all 1000", unit: "ms", floor: 500, ours: NaN, better: "lower", note: "reached ours 900, floor 1000 of 1000" },
    ];
    const targets = judge(fanouts, ops);
    expect(targets.map((t) => [t.name, t.met])).toEqual([
      ["D1 rows written per event", false],
      ["D1 rows read per event", false],
      ["$ per million events, fan-out 1", true],
      ["$ per million events per additional webhook", true],
      ["fan-out to 10", true],
      ["fan-out to 1,000", false],
    ]);
    expect(targets[1]!.reached).toBe("0.05 at fan-out 1, 0.50 at fan-out 10");
    // The per-webhook-object floor is shown beside the figure it was measured with (here only the first event's).
    expect(targets[4]!.reached).toBe(
      "4.0× (240 vs 60 ms; the per-webhook-object floor 180 ms, 3.0× the floor, ours 1.33× it); the next event, to the same webhooks: 2.0× (100 vs 50 ms)",
    );
    expect(targets[5]!.reached).toBe("did not finish (reached ours 900, floor 1000 of 1000)");
    const printed = table([], ops, targets);
    expect(printed).toMatch(/^ {2}doRowsWritten +2\.00 +20\.00 {3}\S/m);
    expect(printed).toContain(`$ per million events: ours ${fanout1.dollarsPerMillion.toFixed(2)} at fan-out 1, ${fanout10.dollarsPerMillion.toFixed(2)} at fan-out 10; floor 1.80 and 12.60`);
    expect(printed).toMatch(/per additional webhook, \(fan-out 10 − fan-out 1\) \/ 9: ours \d+\.\d\d, floor 1\.20/);
  });

  it("judges the end-to-end p50 and the 503 storm on their ratios", () => {
    const e2eMet = (ours: number, floor: number) => judge([{ scenario: "end to end", metric: "p50 at 20/s", unit: "ms", floor, ours, better: "lower" }], undefined)[0]!.met;
    expect([e2eMet(240, 100), e2eMet(260, 100)]).toEqual([true, false]);
    const storm = (calm: number, hot: number): Figure[] => [
      { scenario: "retry storm", metric: "healthy p50, calm", unit: "ms", floor: 10, ours: calm, better: "lower" },
      { scenario: "retry storm", metric: "healthy p50, storm", unit: "ms", floor: 10, ours: hot, better: "lower" },
      { scenario: "retry storm", metric: "healthy p50 storm/calm", unit: "×", floor: 1, ours: hot / calm, better: "lower" },
    ];
    const stormMet = (calm: number, hot: number) => judge(storm(calm, hot), undefined)[0]!.met;
    expect([stormMet(20, 24), stormMet(20, 25), stormMet(20, 12)]).toEqual([true, false, true]);
  });

  it("judges the throttle against its rate, its order and the unlimited webhook beside it, on given figures", () => {
    const throttle = (limited: number, unlimited: number, breaks = 0): Figure[] => [
      { scenario: "throttle", metric: "deliveries/s, limited to 20/s", unit: "/s", floor: NaN, ours: limited, better: "higher", note: `200/200 delivered, ${breaks} order breaks` },
      { scenario: "throttle", metric: "deliveries/s, the unlimited webhook beside it", unit: "/s", floor: NaN, ours: unlimited, better: "higher", note: "200/200 delivered, 0 order breaks" },
    ];
    const verdict = (figures: Figure[]) => judge(figures, undefined).map((t) => [t.name, t.met]);
    expect(verdict(throttle(19.2, 180))).toEqual([["throttle, 20/s", true]]);
    expect(verdict(throttle(22.5, 180))).toEqual([["throttle, 20/s", false]]);
    expect(verdict(throttle(20, 180, 1))).toEqual([["throttle, 20/s", false]]);
    expect(verdict(throttle(20, 19))).toEqual([["throttle, 20/s", false]]);
    expect(judge(throttle(19.9, 212), undefined)[0]!.reached).toBe("19.9/s (200/200 delivered, 0 order breaks); unlimited 212/s (200/200 delivered, 0 order breaks)");
  });
});
