// The Worker's settings: every [vars] entry of wrangler.toml with its default, its range and what
// it means, checked by one zod schema and parsed once per env object (an isolate's, a Durable
// Object's) into the typed Config every reader uses. A value that is not valid is an error naming
// the setting, never a quiet fall back to the default: a typo in a deploy must not change what the
// platform does unseen. The HTTP entry checks them before any route (src/app.ts), so a bad value
// fails the first request. Secrets (ADMIN_TOKEN) are used as they are.
import { z } from "zod";
import type { Env } from "./env";

/** The settings: the strings wrangler.toml binds, but the secret. */
type Setting = Exclude<{ [K in keyof Env]: Env[K] extends string ? K : never }[keyof Env], "ADMIN_TOKEN">;

/** A whole number from `min` to `max`, `fallback` when unset; as a string, or a bare TOML number. */
function wholeNumber(min: number, max: number, fallback: number, meaning: string) {
  const error = `must be a whole number from ${min} to ${max}`;
  const digits = (value: unknown) => (typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value);
  return z.preprocess(digits, z.number({ error }).int({ error }).min(min, { error }).max(max, { error })).default(fallback).describe(meaning);
}

/** A number from `min` to `max`, fractions allowed, `fallback` when unset; as a string, or a bare TOML number. */
function decimal(min: number, max: number, fallback: number, meaning: string) {
  const error = `must be a number from ${min} to ${max}`;
  const numeric = (value: unknown) => (typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value);
  return z.preprocess(numeric, z.number({ error }).min(min, { error }).max(max, { error })).default(fallback).describe(meaning);
}

/** "true" or "false", `fallback` when unset; as a string, or a bare TOML boolean. */
function flag(fallback: boolean, meaning: string) {
  const text = (value: unknown) => (typeof value === "boolean" ? String(value) : value);
  return z
    .preprocess(text, z.enum(["true", "false"], { error: 'must be "true" or "false"' }))
    .transform((value) => value === "true")
    .default(fallback)
    .describe(meaning);
}

const shape = {
  ALLOW_PRIVATE_URLS: flag(false, "lets postUrl point at loopback and private addresses: local development and tests only"),
  MAX_BODY_BYTES: wholeNumber(1_024, 1_048_576, 102_400, "largest accepted request body in bytes"),
  RETRY_DELAY_SECONDS: wholeNumber(0, 86_400, 300, "seconds between delivery retries; a queue message waits 24 h at most"),
  MAX_RETRIES: wholeNumber(0, 50, 3, "retries after the first attempt"),
  CONNECT_TIMEOUT_MS: wholeNumber(100, 30_000, 3_000, "milliseconds to connect and receive the response headers"),
  READ_TIMEOUT_MS: wholeNumber(100, 30_000, 3_000, "milliseconds to read the response body"),
  FANOUT_CHUNK_SIZE: wholeNumber(1, 1_000, 40, "webhooks appended per invocation of a fan-out"),
  INGEST_RATE_LIMIT: wholeNumber(1, 1_000_000, 10_000, "ingest requests each producer key may make per 10 s"),
  RETENTION_DAYS: wholeNumber(1, 3_650, 30, "days events, final deliveries and usage counters are kept"),
  CONFIG_REFRESH_SECONDS: wholeNumber(1, 3_600, 60, "seconds an event log trusts its copy of the configuration without an announced change"),
  DISABLE_AFTER_FAILED_DELIVERIES: wholeNumber(1, 100_000, 20, "deliveries in a row that must have ended failed before a webhook is disabled automatically"),
  DISABLE_AFTER_FAILING_HOURS: decimal(0, 8_760, 120, "hours since the first of those failures before the webhook is disabled automatically"),
  LEASE_SECONDS: wholeNumber(10, 600, 60, "seconds a drain may go between two calls to its sequencer before its delivery is sent again by a fresh one"),
} satisfies Record<Setting, z.ZodType>;

const settings = z
  .object(shape)
  .refine((s) => s.LEASE_SECONDS * 1000 >= 2 * (s.CONNECT_TIMEOUT_MS + s.READ_TIMEOUT_MS), {
    // A lease shorter than an attempt could take would hand a delivery still on the wire to a second drain.
    message: "must be at least twice CONNECT_TIMEOUT_MS + READ_TIMEOUT_MS",
    path: ["LEASE_SECONDS"],
  })
  .transform((s) => ({
  allowPrivateUrls: s.ALLOW_PRIVATE_URLS,
  maxBodyBytes: s.MAX_BODY_BYTES,
  retryDelaySeconds: s.RETRY_DELAY_SECONDS,
  /** The first attempt and its retries. */
  maxAttempts: 1 + s.MAX_RETRIES,
  connectTimeoutMs: s.CONNECT_TIMEOUT_MS,
  readTimeoutMs: s.READ_TIMEOUT_MS,
  fanoutChunkSize: s.FANOUT_CHUNK_SIZE,
  ingestRateLimit: s.INGEST_RATE_LIMIT,
  retentionMs: s.RETENTION_DAYS * 24 * 60 * 60 * 1000,
  configRefreshMs: s.CONFIG_REFRESH_SECONDS * 1000,
  /**
   * When a sequencer disables its webhook (src/sequencer/failure-run.ts): a run of this many
   * failed deliveries whose first failed this long ago. A 410 Gone disables at once.
   */
  autoDisable: { failedDeliveries: s.DISABLE_AFTER_FAILED_DELIVERIES, failingMs: Math.round(s.DISABLE_AFTER_FAILING_HOURS * 60 * 60 * 1000) },
  /** How long a sequencer's lease lasts without a call from its holder (src/sequencer/lease.ts). */
  leaseMs: s.LEASE_SECONDS * 1000,
}));

export type Config = z.output<typeof settings>;

/** An env to read settings from: the Worker's, or one a test made. */
export type SettingsSource = { readonly [K in Setting]?: unknown };

export interface SettingProblem {
  setting: Setting;
  /** What it must be. */
  reason: string;
}

/** Settings that are not valid: each named with its meaning, what it must be and what it is. */
export class ConfigError extends Error {
  constructor(
    readonly problems: SettingProblem[],
    values: SettingsSource,
  ) {
    const described = problems.map(({ setting, reason }) => `${setting} (${shape[setting].description}) ${reason}, got ${JSON.stringify(values[setting])}`);
    super(`The Worker's settings are not valid: ${described.join("; ")}`);
    this.name = "ConfigError";
  }
}

const parsed = new WeakMap<SettingsSource, Config>();

/** The settings of `env`, parsed the first time this env object is seen. Throws a ConfigError if any is not valid. */
export function config(env: SettingsSource): Config {
  let found = parsed.get(env);
  if (!found) {
    const result = settings.safeParse(env);
    if (!result.success) throw new ConfigError(result.error.issues.map((issue) => ({ setting: issue.path[0] as Setting, reason: issue.message })), env);
    found = result.data;
    parsed.set(env, found);
  }
  return found;
}
