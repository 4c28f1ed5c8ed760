// Types `env` and `exports` from "cloudflare:workers" for this Worker (and its tests).
declare namespace Cloudflare {
  type WorkerEnv = import("./env").Env;
  interface Env extends WorkerEnv {
    /** Only in tests: the D1 migrations, applied by test/workers/setup.ts. */
    TEST_MIGRATIONS: import("@cloudflare/vitest-plugin").D1Migration[];
  }
  interface GlobalProps {
    mainModule: typeof import("./index");
  }
}
