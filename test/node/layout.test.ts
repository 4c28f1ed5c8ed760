// The code production runs carries no test or benchmark hook: fault injection and operation
// metering live in test/harness/, around the production entry points (DESIGN.md, Layout).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const src = new URL("../../src", import.meta.url).pathname;

describe("src/", () => {
  it("names no fault injection or operation metering, and imports nothing of the harness", () => {
    const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((name) => /\.tsx?$/.test(name));
    expect(files.length).toBeGreaterThan(50);
    const hooks = files.flatMap((name) => [...readFileSync(join(src, name), "utf8").matchAll(/CHAOS_FAULTS|OPS_METER|injectFault|withOutages|meter[A-Z]\w+|from "[^"]*test\/harness[^"]*"/g)].map((m) => `${name}: ${m[0]}`));
    expect(hooks).toEqual([]);
  });
});
