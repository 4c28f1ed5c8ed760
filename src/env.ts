import type { WebhookSequencer } from "./sequencer/webhook-sequencer";
import type { EventLog } from "./ingest/event-log";
import type { Job } from "./delivery/jobs";

/** Bindings and settings of the Worker (wrangler.toml); every setting arrives as a string. */
export interface Env {
  DB: D1Database;
  JOBS: Queue<Job>;
  SEQUENCER: DurableObjectNamespace<WebhookSequencer>;
  EVENT_LOG: DurableObjectNamespace<EventLog>;
  /** Delivery and ingest metrics (src/observability/metrics.ts); writes nothing where unbound. */
  METRICS?: AnalyticsEngineDataset;
  ADMIN_TOKEN: string;
  MAX_BODY_BYTES: string;
  ALLOW_PRIVATE_URLS: string;
  RETRY_DELAY_SECONDS: string;
  MAX_RETRIES: string;
  CONNECT_TIMEOUT_MS: string;
  READ_TIMEOUT_MS: string;
  FANOUT_CHUNK_SIZE: string;
  INGEST_RATE_LIMIT: string;
  RETENTION_DAYS: string;
  CONFIG_REFRESH_SECONDS: string;
}

/** A numeric setting, falling back to its documented default when unset or not a number. */
export function numberSetting(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) ? n : fallback;
}

/** How long events, deliveries and usage counters are kept (RETENTION_DAYS, 30 by default). */
export function retentionMs(env: Pick<Env, "RETENTION_DAYS">): number {
  return numberSetting(env.RETENTION_DAYS, 30) * 24 * 60 * 60 * 1000;
}
