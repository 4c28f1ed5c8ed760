#!/usr/bin/env node
// `npm run check:bundle` (a step of `npm test`): builds the production bundle as `wrangler deploy`
// would (`--dry-run --outdir`) and fails when its gzip size passes the budget. The budget is the
// size on 2026-12-01 (274 KiB: event log, portal, contract and observability included) plus room
// (300.6 KiB on 2026-12-02 with operationIds and schema rules for third-party clients, 310.4 KiB
// with the fuzzing pass's fixes, README "Bundle budget"); raise it on purpose,
// in a commit that says why, never to make CI pass. Cloudflare's own limits are 3 MiB (Free) and
// 10 MiB (Paid) gzipped, so the budget is about noticing growth, not about the limit.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { wranglerCommand } from "./wrangler-command.mjs";

export const BUDGET_KIB = 315;

/**
 * The gzip size of a built Worker: its modules concatenated and gzipped, as wrangler measures the
 * upload (source maps are not uploaded as modules).
 */
export function gzipSizeOf(outdir: string): number {
  const modules = readdirSync(outdir).filter((name) => /\.(m?js|wasm)$/.test(name)).sort();
  return gzipSync(Buffer.concat(modules.map((name) => readFileSync(join(outdir, name))))).byteLength;
}

/** The verdict printed by the check; `ok` false fails it. */
export function verdict(gzipBytes: number, budgetKib = BUDGET_KIB): { ok: boolean; message: string } {
  const kib = (gzipBytes / 1024).toFixed(1);
  return gzipBytes <= budgetKib * 1024
    ? { ok: true, message: `bundle: ${kib} KiB gzip, within the ${budgetKib} KiB budget` }
    : { ok: false, message: `bundle: ${kib} KiB gzip is over the ${budgetKib} KiB budget (scripts/bundle-size.ts says why it is set there)` };
}

function main() {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const outdir = mkdtempSync(join(tmpdir(), "edge-webhooks-bundle-"));
  try {
    // `--env=` is production (the top level), named so wrangler does not warn about staging.
    const build = spawnSync(...wranglerCommand(["deploy", "--dry-run", "--outdir", outdir, "--env="]), {
      cwd: root,
      env: { ...process.env, PATH: [join(root, "node_modules", ".bin"), process.env.PATH].join(delimiter), WRANGLER_SEND_METRICS: "false" },
      encoding: "utf8",
    });
    if (build.status !== 0) {
      console.error(`bundle: wrangler deploy --dry-run failed\n${build.stdout}${build.stderr}`);
      return 1;
    }
    const { ok, message } = verdict(gzipSizeOf(outdir));
    (ok ? console.log : console.error)(message);
    return ok ? 0 : 1;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main();
