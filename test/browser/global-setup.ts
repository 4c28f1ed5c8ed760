// Starts the real Worker with `wrangler dev` (local D1 in a temporary directory, migrations
// applied first) for the browser tests, and refuses to run at all without Chromium: a missing
// browser is a failure with instructions, never a silent skip.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = resolve(import.meta.dirname, "../..");
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const ADMIN_TOKEN = `browser-admin-${crypto.randomUUID()}`;

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    adminToken: string;
    chromium: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

// wrangler must not prompt, phone home or open anything: the network here is closed.
const quiet = { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", BROWSER: "none" };

export default async function setup(project: TestProject) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium was not found at ${CHROMIUM}. The browser tests need Debian's chromium package: ` +
        "run `apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH). They are not skipped.",
    );
  }
  const persist = mkdtempSync(join(tmpdir(), "edge-webhooks-browser-"));
  const migrate = spawnSync(process.execPath, [WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], {
    cwd: ROOT,
    env: quiet,
    encoding: "utf8",
  });
  if (migrate.status !== 0) throw new Error(`applying the migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

  const [port, inspectorPort] = [await freePort(), await freePort()];
  const args = [
    WRANGLER, "dev",
    "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort),
    "--persist-to", persist, "--show-interactive-dev-session=false", "--log-level", "warn",
    "--var", `ADMIN_TOKEN:${ADMIN_TOKEN}`, "--var", "ALLOW_PRIVATE_URLS:true",
  ];
  // Its own process group, so teardown stops wrangler and the workerd it starts together.
  const dev: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, env: quiet, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  dev.stdout?.on("data", (chunk) => (log += chunk));
  dev.stderr?.on("data", (chunk) => (log += chunk));
  const baseUrl = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (dev.exitCode === null && dev.pid) {
      const exited = new Promise((done) => dev.once("exit", done));
      process.kill(-dev.pid, "SIGTERM");
      const timer = setTimeout(() => dev.exitCode === null && process.kill(-dev.pid!, "SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(persist, { recursive: true, force: true });
  };

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (dev.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${dev.exitCode}) before it was ready:\n${log}`);
    }
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer on ${baseUrl} within 90 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  project.provide("baseUrl", baseUrl);
  project.provide("adminToken", ADMIN_TOKEN);
  project.provide("chromium", CHROMIUM);
  return stop;
}
