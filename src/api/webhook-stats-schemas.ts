// A webhook's delivery statistics (kept by its sequencer, src/sequencer/stats.ts): the query and
// the answer, for the API and its OpenAPI.
import { z } from "@hono/zod-openapi";
import { LATENCY_BOUNDS_MS, STATS_WINDOWS, type StatsWindow } from "../sequencer/stats";

const windows = Object.keys(STATS_WINDOWS) as [StatsWindow, ...StatsWindow[]];

export const StatsQuery = z.object({
  window: z
    .enum(windows, { error: `must be one of ${windows.join(", ")}` })
    .default("24h")
    .openapi({ description: "The period: 1h (5-minute points), 24h (hourly), 7d (6-hourly)" }),
});

const Latency = z
  .object({ p50: z.number().int().nullable(), p95: z.number().int().nullable() })
  .openapi("Latency", {
    description: `Attempt durations (ms), as the upper bound of the histogram bin the percentile falls in (bins end at ${LATENCY_BOUNDS_MS.join(", ")} ms); null without attempts`,
  });

const Counts = {
  succeeded: z.number().int().openapi({ description: "Deliveries that succeeded (their last attempt) in the period" }),
  failed: z.number().int().openapi({ description: "Deliveries that failed for good in the period" }),
  attempts: z.number().int().openapi({ description: "Attempts made, retries included" }),
  latencyMs: Latency,
};

export const WebhookStats = z
  .object({
    window: z.enum(windows),
    from: z.number().int().openapi({ description: "Start of the first point (epoch ms)" }),
    to: z.number().int().openapi({ description: "When these figures were read (epoch ms)" }),
    stepMs: z.number().int().openapi({ description: "Length of each point of the series" }),
    totals: z.object({ ...Counts, successRate: z.number().nullable().openapi({ description: "succeeded / (succeeded + failed), 0 to 1; null when none ended" }) }),
    backlog: z.object({
      pending: z.number().int().openapi({ description: "Deliveries not final yet (pending, in flight, retrying)" }),
      oldestAgeMs: z.number().int().nullable().openapi({ description: "How long the oldest of them has waited; null when none" }),
    }),
    series: z.array(z.object({ start: z.number().int(), ...Counts })),
  })
  .openapi("WebhookStats");
