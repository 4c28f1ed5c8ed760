// The Worker's bindings and settings, typed from wrangler.toml by `npm run types` (wrangler types
// writes worker-configuration.d.ts, committed; `npm run typecheck` fails when it is out of date).
import type { Job } from "./delivery/jobs";

/** What wrangler.toml binds, with the jobs queue's messages typed (wrangler cannot know them). Settings arrive as strings. */
export interface Env extends Omit<WranglerEnv, "JOBS"> {
  JOBS: Queue<Job>;
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
