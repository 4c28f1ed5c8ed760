// Starts the real platform with `wrangler dev` (local D1, Queues, Durable Objects) for end-to-end
// tests and the benchmark: a free port, its own state directory, migrations applied, and an
// admin token of its own. Stop it with `stop()`.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { wranglerCommand } from "../../scripts/wrangler-command.mjs";

export interface DevServer {
  url: string;
  adminToken: string;
  /** wrangler's process id; its workerd runs below it. */
  pid: number;
  /** Where its local D1, queues and Durable Objects keep their files (--persist-to). */
  persistDir: string;
  /** Calls the platform's API; JSON in and out. */
  api(method: string, path: string, options?: { auth?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
  /** Everything wrangler printed (for failure messages). */
  output(): string;
}

const root = new URL("../..", import.meta.url).pathname;

/**
 * Polls `probe` every 100 ms until it answers something truthy, and returns that; past `timeoutMs`
 * fails with the end of the server's output, which usually says why.
 */
export async function until<T>(server: DevServer, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out\n${server.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The entry the chaos suite and the benchmark's operation count run instead of wrangler.toml's
 * `main`: the production Worker with fault injection and metering around it (test/harness/worker.ts).
 */
export const HARNESS_SCRIPT = "test/harness/worker.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(...wranglerCommand(args), { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`wrangler ${args.join(" ")} exited ${code}:\n${out}`))));
  });
}

export async function startDevServer(
  options: {
    vars?: Record<string, string>;
    configPath?: string;
    /** An entry to run instead of the configuration's `main` (HARNESS_SCRIPT), with its bindings. */
    script?: string;
    /** false for a Worker without D1 (the benchmark's floor) */
    migrate?: boolean;
  } = {},
): Promise<DevServer> {
  const persist = mkdtempSync(join(tmpdir(), "edge-webhooks-dev-"));
  const port = await freePort();
  // wrangler's own pick (9229 or the next free port) races when two dev servers start side by side.
  const inspectorPort = await freePort();
  const adminToken = `admin-${crypto.randomUUID()}`;
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  const config = options.configPath ? ["--config", options.configPath] : [];
  if (options.migrate !== false) await run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist, ...config], env);
  const vars = { ADMIN_TOKEN: adminToken, ALLOW_PRIVATE_URLS: "true", ...options.vars };
  const child: ChildProcess = spawn(
    ...wranglerCommand(["dev", ...(options.script ? [options.script] : []), "--port", String(port), "--inspector-port", String(inspectorPort), "--ip", "127.0.0.1", "--persist-to", persist, "--show-interactive-dev-session=false", ...config, ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])]),
    { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`wrangler dev did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    adminToken,
    pid: child.pid!,
    persistDir: persist,
    output: () => output,
    async api(method, path, { auth, body, headers } = {}) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(auth ? { authorization: `Bearer ${auth}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(-child.pid!, "SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) process.kill(-child.pid!, "SIGKILL");
      }
      rmSync(persist, { recursive: true, force: true });
    },
  };
}

/** An organization with an admin key, a wink producer key, entity "Cool Account" and the given event types. */
export async function seedTenant(server: DevServer, org: string, eventTypes = ["booking.created"]) {
  const admin = server.adminToken;
  const created = await server.api("POST", "/v1/admin/organizations", { auth: admin, body: { id: org, name: org } });
  if (created.status !== 201) throw new Error(`org: ${JSON.stringify(created.body)}`);
  const adminKey = (await server.api("POST", `/v1/admin/organizations/${org}/keys`, { auth: admin, body: { email: "joe@example.com", role: "admin" } })).body.key as string;
  const producerKey = (await server.api("POST", `/v1/admin/organizations/${org}/keys`, { auth: admin, body: { email: "producer@example.com", role: "producer", source: "wink" } })).body.key as string;
  await server.api("POST", `/v1/organizations/${org}/entities`, { auth: adminKey, body: { source: "wink", name: "Cool Account" } });
  for (const name of eventTypes) {
    await server.api("POST", `/v1/organizations/${org}/event-types`, { auth: adminKey, body: { source: "wink", name } });
  }
  return { org, adminKey, producerKey };
}
