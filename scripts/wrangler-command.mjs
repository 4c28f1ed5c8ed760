// How the scripts start wrangler: its own entry script run by Node, not the `node_modules/.bin`
// shim, which Windows starts only through a shell (a `.cmd` file). The Node is this one when it is
// new enough for wrangler (it is under `npm run`, which puts the project's Node 22 first), else the
// `node` the caller's PATH finds first (put node_modules/.bin at its head).
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const entry = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
const node = Number(process.versions.node.split(".")[0]) >= 22 ? process.execPath : "node";

/** The command and arguments for `wrangler ...args`, for spawn / spawnSync (typed in wrangler-command.d.mts). */
export function wranglerCommand(args) {
  return [node, [entry, ...args]];
}
