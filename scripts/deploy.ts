#!/usr/bin/env node
// `npm run deploy [-- --env staging] [wrangler deploy flags]`, after `wrangler login`: creates what
// the account is missing, applies the remote D1 migrations, sets ADMIN_TOKEN if unset, deploys and
// prints the URL and the first curl. Safe to run again. The decisions are in deploy-steps.ts.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_readConfig } from "wrangler";
import { deploy, deployArguments, targetOf, type Wrangler } from "./deploy-steps.ts";
import { wranglerCommand } from "./wrangler-command.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { environment, configPath, configFlags, deployFlags } = deployArguments(process.argv.slice(2), process.env.CLOUDFLARE_ENV, join(root, "wrangler.toml"));

const { CLOUDFLARE_ENV: _chosenAbove, ...inherited } = process.env;
const childEnv = {
  ...inherited,
  PATH: [join(root, "node_modules", ".bin"), process.env.PATH].join(delimiter),
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
};

const wrangler: Wrangler = async (args, options = {}) => {
  const secretsDir = options.secretsFile ? mkdtempSync(join(tmpdir(), "edge-webhooks-deploy-")) : null;
  const fullArgs = [...args];
  if (secretsDir) {
    const file = join(secretsDir, "secrets.json");
    writeFileSync(file, JSON.stringify(options.secretsFile), { mode: 0o600 });
    fullArgs.push("--secrets-file", file);
  }
  try {
    return await new Promise((resolvePromise, reject) => {
      const child = spawn(...wranglerCommand(fullArgs), { cwd: root, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
      const printed = { stdout: "", stderr: "" };
      for (const [name, stream, echo] of [["stdout", child.stdout, process.stdout], ["stderr", child.stderr, process.stderr]] as const) {
        stream.on("data", (chunk: Buffer) => {
          printed[name] += chunk.toString();
          if (options.show) echo.write(chunk);
        });
      }
      child.on("error", reject);
      child.on("close", (code) => resolvePromise({ code: code ?? 1, ...printed }));
    });
  } finally {
    if (secretsDir) rmSync(secretsDir, { recursive: true, force: true });
  }
};

try {
  const target = targetOf(unstable_readConfig({ config: configPath, env: environment }));
  console.log(`deploy: ${target.worker}${environment ? ` (environment ${environment})` : ""}`);
  await deploy({
    target,
    wrangler,
    configFlags,
    deployFlags,
    environment,
    say: (line) => console.log(line),
    newToken: () => randomBytes(32).toString("base64url"),
  });
} catch (error) {
  console.error(`deploy: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
