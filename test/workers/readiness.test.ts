// GET /readyz asks D1 and a Durable Object, and names each one that does not answer.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { app } from "../../src/app";
import type { Env } from "../../src/env";
import { call, expectError } from "./helpers";

/** The Worker with some bindings replaced, as when that store is unreachable. */
const withBindings = (bindings: Partial<Env>) => async (request: Request) => app.fetch(request, { ...env, ...bindings }, createExecutionContext());

const failingD1 = { prepare: () => { throw new Error("D1_ERROR: Network connection lost."); } } as unknown as D1Database;
const hangingD1 = { prepare: () => ({ first: () => new Promise(() => {}) }) } as unknown as D1Database;
const failingDurableObjects = {
  idFromName: () => { throw new Error("Durable Object namespace unavailable"); },
} as unknown as Env["SEQUENCER"];

describe("GET /readyz", () => {
  it("is 200 when D1 and the Durable Objects answer", async () => {
    const response = await call("GET", "/readyz");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true, checks: { d1: "ok", durableObjects: "ok" } });
  });

  it("is 503 naming D1 when it fails, without echoing its error", async () => {
    const response = await call("GET", "/readyz", { fetch: withBindings({ DB: failingD1 }) });
    expect(expectError(response, 503, "not_ready")).toEqual(["d1"]);
    expect(response.body.error.message).toBe("Not ready: d1 down");
    expect(JSON.stringify(response.body)).not.toContain("Network connection lost");
  });

  it("is 503 naming both when D1 hangs and the Durable Objects fail", async () => {
    const response = await call("GET", "/readyz", { fetch: withBindings({ DB: hangingD1, SEQUENCER: failingDurableObjects }) });
    expect(expectError(response, 503, "not_ready")).toEqual(["d1", "durableObjects"]);
    expect(response.body.error.details[0].reason).toBe("no answer within 2000 ms");
  });
});
