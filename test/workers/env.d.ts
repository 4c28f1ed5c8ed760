// What the workerd tests bind beside wrangler.toml's bindings (vitest.config.ts), on `env` from "cloudflare:workers".
declare namespace Cloudflare {
  interface Env {
    /** The D1 migrations, applied by setup.ts. */
    TEST_MIGRATIONS: import("@cloudflare/vitest-plugin").D1Migration[];
  }
}
