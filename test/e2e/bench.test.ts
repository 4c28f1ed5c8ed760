// A smoke run of the benchmark (`npm run bench -- --quick --only=ingest,e2e,ordered`): it starts the
// platform and the floor, measures three scenarios on both (with the durable-ingest and strict-order
// floors) and writes the JSON and chart. Speed is not asserted.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const out = mkdtempSync(join(tmpdir(), "edge-webhooks-bench-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("npm run bench -- --quick", () => {
  it("measures ingest, end to end and ordered on the floors and on the platform and writes the results", async () => {
    await promisify(execFile)(process.execPath, ["--disable-warning=ExperimentalWarning", "bench/run.ts", "--quick", "--only=ingest,e2e,ordered", `--out=${out}`], {
      cwd: new URL("../..", import.meta.url).pathname,
      timeout: 110_000,
    });
    const result = JSON.parse(readFileSync(join(out, "latest.json"), "utf8"));
    const figure = (metric: string) => result.figures.find((f: { metric: string }) => f.metric === metric);
    expect(result.failures).toEqual([]);
    const p50 = figure("p50 at 20/s");
    expect(p50).toMatchObject({ scenario: "end to end", unit: "ms", note: expect.stringMatching(/^(\d+)\/\1 of ours and \1\/\1 of the floor's arrived$/) });
    expect(p50.ours).toBeGreaterThan(0);
    expect(p50.floor).toBeGreaterThan(0);
    // The reference floors run beside the plain one: the durable-ingest floor at each concurrency,
    // the strict-order floor in the ordered scenario (whose every event arrived, in order).
    for (const c of [1, 16, 64]) expect(figure(`against the durable-ingest floor, req/s c=${c}`).floor).toBeGreaterThan(0);
    expect(figure("against the strict-order floor, /s").floor).toBeGreaterThan(0);
    expect(figure("deliveries/s to one webhook").note).toMatch(/ours 400\/400 delivered, 0 order breaks/);
    expect(result.targets.map((t: { name: string }) => t.name)).toEqual(["ingest throughput", "ingest p50", "end-to-end p50", "ordered, one webhook"]);
    expect(result.targets[0].reached).toMatch(/the durable-ingest floor: /);
    expect(result.targets[3].reached).toMatch(/the strict-order floor: /);
    expect(readFileSync(join(out, "latest.svg"), "utf8")).toMatch(/^<svg[\s\S]*end to end[\s\S]*strict-order floor[\s\S]*<\/svg>\n$/);
  });
});
