import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        // Low enough for a test to reach, high enough for the others' bursts.
        ratelimits: { INGEST_LIMITER: { namespace_id: "1001", simple: { limit: 60, period: 10 } } },
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
          ADMIN_TOKEN: "test-admin-token",
          // Tests deliver to receivers on 127.0.0.1.
          ALLOW_PRIVATE_URLS: "true",
          // Retries one second apart instead of five minutes (local queue delays are real time);
          // the production value is asserted on what the consumer sends.
          RETRY_DELAY_SECONDS: "1",
        },
      },
    }),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    setupFiles: ["./test/workers/setup.ts"],
    globalSetup: ["./test/support/receiver-setup.ts"],
    testTimeout: 30_000,
  },
}));
