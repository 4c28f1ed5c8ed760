// Structured logs: one JSON object per line, with the ids it is about, and never a key or secret,
// even on the page's and the API's failing paths.
import { describe, expect, it } from "vitest";
import { log } from "../../src/log";
import { call, createTenant, webhooksPath } from "./helpers";
import { captureLogs, failing, SECRET_SHAPES } from "./log-capture";
import { signedIn } from "./page-helpers";

/** Every captured line, parsed; fails the test on a line that is not one JSON object. */
function parsed(lines: string[]): Record<string, unknown>[] {
  return lines.map((line) => {
    const value: unknown = JSON.parse(line);
    expect(value, line).toEqual(expect.objectContaining({ level: expect.any(String), message: expect.any(String) }));
    return value as Record<string, unknown>;
  });
}

describe("the logger", () => {
  it("prints one JSON object per call with level, message and the fields given", async () => {
    const lines = await captureLogs(async () => {
      log.info("attempt recorded", { orgId: "myorg", webhookId: "w1", deliveryId: "d1", attempt: 2, outcome: "succeeded", durationMs: 12 });
      log.warn("slow receiver", { webhookId: "w1" });
    });
    expect(parsed(lines)).toEqual([
      { level: "info", message: "attempt recorded", orgId: "myorg", webhookId: "w1", deliveryId: "d1", attempt: 2, outcome: "succeeded", durationMs: 12 },
      { level: "warn", message: "slow receiver", webhookId: "w1" },
    ]);
  });

  it("renders an error by the driver's message only, never the failed statement's bound values", async () => {
    const failedQuery = new Error("Failed query: update webhooks set secret = ?\nparams: whsec_c2VjcmV0", {
      cause: new Error("D1_ERROR: refused by the test: SQLITE_CONSTRAINT"),
    });
    const lines = await captureLogs(async () => log.error("rotation failed", { webhookId: "w1", error: failedQuery }));
    expect(parsed(lines)).toEqual([
      { level: "error", message: "rotation failed", webhookId: "w1", error: "Error: query failed: D1_ERROR: refused by the test: SQLITE_CONSTRAINT" },
    ]);
  });
});

describe("failing paths", () => {
  it("log JSON lines without a key or signing secret when the store refuses a create or a rotation, on the page and the API", async () => {
    const tenant = await createTenant("log");
    const hook = (await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body: { name: "kept", postURL: "https://kept.example/hook" } })).body;
    const secret = (await call("GET", `${webhooksPath(tenant.org, hook.id)}/secret`, { auth: tenant.auth })).body.key as string;
    const page = await signedIn(tenant);
    const statuses: number[] = [];
    const lines = await captureLogs(async () => {
      await failing("webhooks", "INSERT", tenant.org, async () => {
        statuses.push((await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body: { name: "x", postURL: "https://x.example/hook" } })).status);
        statuses.push((await page.submit("/ui/webhooks/new", "/ui/webhooks/new", { name: "x", enabled: "true", entity: "none", postUrl: "https://x.example/hook" })).status);
      });
      await failing("webhooks", "UPDATE", tenant.org, async () => {
        statuses.push((await call("POST", `${webhooksPath(tenant.org, hook.id)}/secret/rotate`, { auth: tenant.auth })).status);
        statuses.push((await page.submit(`/ui/webhooks/${hook.id}`, `/ui/webhooks/${hook.id}/secret/rotate`, { rotated: "0" })).status);
      });
    });
    expect(statuses).toEqual([500, 500, 500, 500]);
    const entries = parsed(lines);
    expect(entries.map((e) => [e.level, e.message])).toEqual([
      ["error", "unhandled error"],
      ["error", "page error"],
      ["error", "unhandled error"],
      ["error", "page error"],
    ]);
    for (const entry of entries) expect(entry.error).toMatch(/^Error: (query failed: )?D1_ERROR: refused by the test/);
    const text = lines.join("\n");
    for (const value of [tenant.key, secret, "test-admin-token"]) expect(text.includes(value), `log holds ${value}`).toBe(false);
    for (const shape of SECRET_SHAPES) expect(text).not.toMatch(shape);
  });
});
