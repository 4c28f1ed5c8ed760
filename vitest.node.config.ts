// Unit tests of the Node-side scripts (the deploy's decisions, the bundle budget) and of modules that
// need no runtime (src/rounds.ts): plain Node, no workerd and no `wrangler dev`, so they run in seconds.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/node/**/*.test.ts"],
  },
});
