// Browser tests: headless Chromium (Debian's package, driven by playwright-core) against the real
// `wrangler dev` (test/support/dev-server.ts), one server per file. Plain Node, not the workers pool.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    // One wrangler dev and one browser at a time: the machines running this have two cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
