// The bundle budget's measure and verdict (scripts/bundle-size.ts); `npm test` runs the real build.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { gzipSizeOf, verdict } from "../../scripts/bundle-size.ts";

describe("the bundle budget", () => {
  let outdir: string;
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  it("measures the gzip of the Worker's modules, not of their source maps", () => {
    outdir = mkdtempSync(join(tmpdir(), "bundle-test-"));
    // Random bytes do not compress: the gzip size stays near the input's.
    writeFileSync(join(outdir, "index.js"), randomBytes(40 * 1024));
    const withoutMap = gzipSizeOf(outdir);
    writeFileSync(join(outdir, "index.js.map"), randomBytes(400 * 1024));
    expect(gzipSizeOf(outdir)).toBe(withoutMap);
    expect(withoutMap).toBeGreaterThan(40 * 1024);
    expect(withoutMap).toBeLessThan(41 * 1024);
  });

  it("passes at the budget and fails one byte past it", () => {
    expect(verdict(315 * 1024)).toEqual({ ok: true, message: "bundle: 315.0 KiB gzip, within the 315 KiB budget" });
    expect(verdict(315 * 1024 + 1).ok).toBe(false);
    expect(verdict(315 * 1024 + 1).message).toMatch(/over the 315 KiB budget/);
  });
});
