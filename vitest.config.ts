import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          // Ingest requests per producer key per 10 s: low enough for a test to reach, high enough for the others' bursts.
          INGEST_RATE_LIMIT: "60",
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
          ADMIN_TOKEN: "test-admin-token",
          // Tests deliver to receivers on 127.0.0.1.
          ALLOW_PRIVATE_URLS: "true",
          // Retries one second apart instead of five minutes (local queue delays are real time);
          // the production value is asserted on what the consumer sends.
          RETRY_DELAY_SECONDS: "1",
          // A change made behind the API's back is seen within seconds, not a minute.
          CONFIG_REFRESH_SECONDS: "3",
        },
      },
    }),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    setupFiles: ["./test/workers/setup.ts"],
    globalSetup: ["./test/support/receiver-setup.ts"],
    testTimeout: 30_000,
    // One workerd per worker, running file after file, instead of one started per file (about 1.2 s
    // each, and each transforming the sources again): the suite takes about 85 s instead of 196 s on
    // 2 cores. Files share module state and local storage, so a test makes its own organization and
    // ids and assumes nothing about what other files left behind.
    isolate: false,
  },
}));
