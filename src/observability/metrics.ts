// Delivery and ingest metrics, one Workers Analytics Engine data point each, for operators to chart
// with Cloudflare's SQL API (queries in the README, "Observing"). Columns, shared by both kinds so
// one query can read either:
//   index1  organization (Analytics Engine samples per index, so a busy organization cannot crowd out the rest)
//   blob1   kind: "attempt" | "ingest"
//   blob2   organization     blob3  webhook ("" for ingest)
//   blob4   outcome: an attempt's "succeeded" | "retry" | "failed"; an ingest's HTTP status, "202" | "401" | "429" | …
//   blob5   an attempt's status class: "2xx" … "5xx", or "none" (timeout, connection, refused URL); "" for ingest
//   double1 duration in ms   double2  HTTP status code (0: none)   double3  events (1 per attempt; an ingest's new events stored)
import type { Outcome } from "../sequencer/records";
import { log } from "../log";

/** The binding, absent where wrangler.toml has none (a missing binding writes nothing). */
export interface MetricsEnv {
  METRICS?: AnalyticsEngineDataset;
}

export interface AttemptMetric {
  orgId: string;
  webhookId: string;
  outcome: Outcome;
  statusCode: number | null;
  durationMs: number;
}

export interface IngestMetric {
  orgId: string;
  outcome: string;
  durationMs: number;
  events: number;
}

export function recordAttempt(env: MetricsEnv, { orgId, webhookId, outcome, statusCode, durationMs }: AttemptMetric): void {
  const statusClass = statusCode === null ? "none" : `${Math.floor(statusCode / 100)}xx`;
  write(env, { indexes: [orgId], blobs: ["attempt", orgId, webhookId, outcome, statusClass], doubles: [durationMs, statusCode ?? 0, 1] });
}

export function recordIngest(env: MetricsEnv, { orgId, outcome, durationMs, events }: IngestMetric): void {
  write(env, { indexes: [orgId], blobs: ["ingest", orgId, "", outcome, ""], doubles: [durationMs, 0, events] });
}

function write(env: MetricsEnv, point: AnalyticsEngineDataPoint) {
  try {
    env.METRICS?.writeDataPoint(point);
  } catch (error) {
    // A metric is never worth a failed delivery or request.
    log.warn("metric not written", { error });
  }
}
