// A smoke run of the benchmark (`npm run bench -- --quick --only=e2e`): it starts the platform and
// the floor, measures one scenario on both and writes its JSON and chart. Speed is not asserted.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const out = mkdtempSync(join(tmpdir(), "edge-webhooks-bench-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("npm run bench -- --quick", () => {
  it("measures the end-to-end scenario on the floor and on the platform and writes the results", async () => {
    await promisify(execFile)(process.execPath, ["--disable-warning=ExperimentalWarning", "bench/run.ts", "--quick", "--only=e2e", `--out=${out}`], {
      cwd: new URL("../..", import.meta.url).pathname,
      timeout: 90_000,
    });
    const result = JSON.parse(readFileSync(join(out, "latest.json"), "utf8"));
    expect(result.failures).toEqual([]);
    const p50 = result.figures.find((f: { metric: string }) => f.metric.startsWith("p50"));
    expect(p50).toMatchObject({ scenario: "end to end", unit: "ms", note: expect.stringMatching(/^(\d+)\/\1 of ours and \1\/\1 of the floor's arrived$/) });
    expect(p50.ours).toBeGreaterThan(0);
    expect(p50.floor).toBeGreaterThan(0);
    expect(result.targets.map((t: { name: string }) => t.name)).toEqual(["end-to-end p50"]);
    expect(readFileSync(join(out, "latest.svg"), "utf8")).toMatch(/^<svg[\s\S]*end to end[\s\S]*<\/svg>\n$/);
  });
});
