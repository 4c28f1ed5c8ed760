// The chaos suite (test/chaos/): the real `wrangler dev` under random receiver failures and
// injected platform faults. Sized for CI by default; CHAOS_EVENTS=5000 runs the full load.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/chaos/**/*.test.ts"],
    testTimeout: 30 * 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
