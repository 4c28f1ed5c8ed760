// The Worker's bindings and settings, typed from wrangler.toml by `npm run types` (wrangler types
// writes worker-configuration.d.ts, committed; `npm run typecheck` fails when it is out of date).
import type { Job } from "./queue/jobs";

/**
 * What wrangler.toml binds, with the jobs queue's messages typed (wrangler cannot know them).
 * Settings arrive as strings: read them through config() (src/config.ts), which checks them.
 */
export interface Env extends Omit<WranglerEnv, "JOBS"> {
  JOBS: Queue<Job>;
}
