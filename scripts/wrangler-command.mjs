// How the scripts start wrangler: its own entry script run by Node, not the `node_modules/.bin`
// shim, which Windows starts only through a shell (a `.cmd` file). The Node is this one when it is
// as new as wrangler asks (`engines` in its package.json; it is under `npm run`, which puts the
// project's Node 22 first), else the project's own (the `node` dev dependency).
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const wranglerPackage = require.resolve("wrangler/package.json");
const entry = join(dirname(wranglerPackage), "bin", "wrangler.js");

function newEnough(version, wanted) {
  const minimum = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(wanted ?? "");
  if (!minimum) return false;
  const have = version.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (have[i] !== Number(minimum[i + 1])) return have[i] > Number(minimum[i + 1]);
  return true;
}

function projectNode() {
  const bin = join(dirname(require.resolve("node/package.json")), "bin");
  return [join(bin, "node.exe"), join(bin, "node")].find(existsSync) ?? process.execPath;
}

const node = newEnough(process.versions.node, JSON.parse(readFileSync(wranglerPackage, "utf8")).engines?.node) ? process.execPath : projectNode();

/** The command and arguments for `wrangler ...args`, for spawn / spawnSync (typed in wrangler-command.d.mts). */
export function wranglerCommand(args) {
  return [node, [entry, ...args]];
}
