// The settings: one schema over the env (src/config.ts), parsed once per env object into a typed
// Config, and a value that is not valid failing loudly, at the first request, rather than falling
// back to its default.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { app } from "../../src/app";
import { config, ConfigError } from "../../src/config";
import { captureLogs } from "./log-capture";

const DAY_MS = 24 * 60 * 60 * 1000;

describe("configuration", () => {
  it("gives every setting its default when unset", () => {
    expect(config({})).toEqual({
      allowPrivateUrls: false,
      maxBodyBytes: 102_400,
      retryDelaySeconds: 300,
      maxAttempts: 4,
      connectTimeoutMs: 3_000,
      readTimeoutMs: 3_000,
      fanoutChunkSize: 40,
      ingestRateLimit: 10_000,
      retentionMs: 30 * DAY_MS,
      configRefreshMs: 60_000,
      autoDisable: { failedDeliveries: 20, failingMs: 5 * DAY_MS },
      leaseMs: 60_000,
    });
  });

  it("reads wrangler.toml's values with the tests' overrides, typed", () => {
    expect(config(env)).toEqual({ ...config({}), allowPrivateUrls: true, retryDelaySeconds: 1, ingestRateLimit: 60, configRefreshMs: 3_000 });
  });

  it("parses an env object once, and each env object by its own values", () => {
    expect(config(env)).toBe(config(env));
    expect(config({ ...env, MAX_RETRIES: "5" }).maxAttempts).toBe(6);
  });

  it("takes bare TOML numbers and booleans as well as strings", () => {
    expect(config({ MAX_RETRIES: 0, RETENTION_DAYS: " 7 ", ALLOW_PRIVATE_URLS: true })).toMatchObject({ maxAttempts: 1, retentionMs: 7 * DAY_MS, allowPrivateUrls: true });
  });

  it("takes a fraction of an hour for DISABLE_AFTER_FAILING_HOURS, and refuses one below zero or not a number", () => {
    expect(config({ DISABLE_AFTER_FAILED_DELIVERIES: "3", DISABLE_AFTER_FAILING_HOURS: "0.0005" }).autoDisable).toEqual({ failedDeliveries: 3, failingMs: 1_800 });
    for (const hours of ["-1", "soon", "9000"]) {
      expect(() => config({ DISABLE_AFTER_FAILING_HOURS: hours }), hours).toThrow("DISABLE_AFTER_FAILING_HOURS (hours since the first of those failures before the webhook is disabled automatically) must be a number from 0 to 8760");
    }
  });

  it("refuses a value out of range, not a whole number or not a boolean, naming each setting, its meaning, what it must be and what it is", () => {
    const bad = { ...env, MAX_RETRIES: "abc", RETENTION_DAYS: "0", READ_TIMEOUT_MS: "", FANOUT_CHUNK_SIZE: "2.5", ALLOW_PRIVATE_URLS: "yes" };
    let error: unknown;
    try {
      config(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      { setting: "ALLOW_PRIVATE_URLS", reason: 'must be "true" or "false"' },
      { setting: "MAX_RETRIES", reason: "must be a whole number from 0 to 50" },
      { setting: "READ_TIMEOUT_MS", reason: "must be a whole number from 100 to 30000" },
      { setting: "FANOUT_CHUNK_SIZE", reason: "must be a whole number from 1 to 1000" },
      { setting: "RETENTION_DAYS", reason: "must be a whole number from 1 to 3650" },
    ]);
    expect((error as Error).message).toContain('MAX_RETRIES (retries after the first attempt) must be a whole number from 0 to 50, got "abc"');
    // Not parsed once and then trusted: the same env object fails again.
    expect(() => config(bad)).toThrow(ConfigError);
  });

  it("refuses a lease shorter than twice an attempt's timeouts, which would hand a delivery on the wire to a second drain", () => {
    expect(config({ LEASE_SECONDS: "12" }).leaseMs).toBe(12_000);
    expect(() => config({ LEASE_SECONDS: "11" })).toThrow(ConfigError);
    try {
      config({ LEASE_SECONDS: "30", CONNECT_TIMEOUT_MS: "10000", READ_TIMEOUT_MS: "10000" });
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([{ setting: "LEASE_SECONDS", reason: "must be at least twice CONNECT_TIMEOUT_MS + READ_TIMEOUT_MS" }]);
      return;
    }
    throw new Error("expected a ConfigError");
  });

  it("answers the first request 500 naming the bad setting, and logs it with its value", async () => {
    const misconfigured = { ...env, MAX_RETRIES: "abc" };
    let response: Response | undefined;
    const logs = await captureLogs(async () => {
      response = await app.fetch(new Request("http://platform.test/healthz"), misconfigured, { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext);
    });
    expect(response!.status).toBe(500);
    expect(await response!.json()).toEqual({
      error: {
        code: "misconfigured",
        message: "The platform's settings are not valid; its operator must correct them",
        details: [{ field: "MAX_RETRIES", reason: "must be a whole number from 0 to 50" }],
      },
    });
    expect(logs.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: "error", message: "the Worker's settings are not valid", error: expect.stringContaining('MAX_RETRIES (retries after the first attempt) must be a whole number from 0 to 50, got "abc"') }),
    ]);
  });
});
