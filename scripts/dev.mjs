#!/usr/bin/env node
// `npm run dev [-- wrangler flags]`: the platform on this machine, ready for a first curl.
// Makes .dev.vars (a random ADMIN_TOKEN, private URLs allowed) if missing, applies the D1
// migrations locally, starts `wrangler dev` with every flag given, waits for /healthz and seeds the
// demo organization `myorg` through the admin API, then prints its keys and curl examples.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { wranglerCommand } from "./wrangler-command.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const ORG = "myorg";
const ADMIN_EMAIL = "joe@example.com";
const PRODUCER_EMAIL = "wink@example.com";
const SOURCE = "wink";

// Children that start `node` get the project's Node 22, even when this script was started with plain `node`.
const childEnv = {
  ...process.env,
  PATH: [join(root, "node_modules", ".bin"), process.env.PATH].join(delimiter),
  WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
};

/** The value of `--name value` or `--name=value` (the last one given), or undefined. */
function flag(...names) {
  let value;
  args.forEach((arg, i) => {
    for (const name of names) {
      if (arg === name && args[i + 1] !== undefined && !args[i + 1].startsWith("-")) value = args[i + 1];
      else if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
    }
  });
  return value;
}

/** NAME:VALUE pairs given with --var (each flag may carry several, as wrangler accepts). */
function vars() {
  const found = {};
  for (let i = 0; i < args.length; i++) {
    const pairs = [];
    if (args[i].startsWith("--var=")) pairs.push(args[i].slice("--var=".length));
    else if (args[i] === "--var") while (args[i + 1] !== undefined && !args[i + 1].startsWith("-")) pairs.push(args[++i]);
    for (const pair of pairs) {
      const colon = pair.indexOf(":");
      if (colon > 0) found[pair.slice(0, colon)] = pair.slice(colon + 1);
    }
  }
  return found;
}

/** KEY=VALUE lines of a dotenv file (quotes stripped). */
function readDotenv(path) {
  const values = {};
  if (!existsSync(path)) return values;
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) values[match[1]] = match[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return values;
}

function ensureDevVars() {
  const environment = flag("--env", "-e");
  const path = join(root, environment ? `.dev.vars.${environment}` : ".dev.vars");
  const existing = readDotenv(path);
  const lines = [];
  if (!existsSync(path)) lines.push("# Local secrets and settings for `wrangler dev` (made by npm run dev; not committed).");
  if (!existing.ADMIN_TOKEN) lines.push(`ADMIN_TOKEN=${randomBytes(24).toString("base64url")}`);
  if (!existing.ALLOW_PRIVATE_URLS) lines.push("ALLOW_PRIVATE_URLS=true");
  if (lines.length > 0) {
    appendFileSync(path, (existsSync(path) && !readFileSync(path, "utf8").endsWith("\n") ? "\n" : "") + lines.join("\n") + "\n");
    console.log(`dev: wrote ${lines.filter((l) => !l.startsWith("#")).map((l) => l.split("=")[0]).join(", ")} to ${path}`);
  }
  return readDotenv(path);
}

function run(command, commandArgs, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, commandArgs, { cwd: root, env: childEnv, stdio: ["ignore", "inherit", "inherit"], ...options });
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? resolvePromise() : reject(new Error(`${command} ${commandArgs.join(" ")} failed (${signal ?? code})`))));
  });
}

/** Flags that choose which configuration and local state wrangler uses; migrations need the same. */
function stateFlags() {
  const chosen = [];
  for (const [names, as] of [[["--config", "-c"], "--config"], [["--env", "-e"], "--env"], [["--persist-to"], "--persist-to"]]) {
    const value = flag(...names);
    if (value !== undefined) chosen.push(as, value);
  }
  return chosen;
}

async function waitForHealth(base, wrangler) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (wrangler.exitCode !== null) throw new Error(`wrangler dev exited (${wrangler.exitCode}) before it was ready`);
    try {
      const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${base}/healthz did not answer within 120 s`);
}

async function api(base, method, path, { token, auth, body } = {}) {
  const headers = { authorization: auth ?? `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Creates something unless it exists (409); anything else is a failure worth stopping for. */
async function ensure(what, response) {
  const { status, body } = await response;
  if (status === 201) console.log(`dev: created ${what}`);
  else if (status === 409) console.log(`dev: ${what} already exists`);
  else throw new Error(`could not create ${what}: ${status} ${JSON.stringify(body)}`);
}

/**
 * Keys are shown only once, so the seeded ones are kept beside the local database they belong to
 * and reused while that database still holds them unrevoked.
 */
async function ensureKeys(base, token, persistDir) {
  const file = join(persistDir, "dev-keys.json");
  const saved = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  const listed = await api(base, "GET", `/v1/admin/organizations/${ORG}/keys`, { token });
  if (listed.status !== 200) throw new Error(`could not list ${ORG}'s keys: ${listed.status} ${JSON.stringify(listed.body)}`);
  const active = new Set(listed.body.keys.filter((k) => k.revoked === null).map((k) => k.id));
  const keys = {};
  for (const [name, request] of [
    ["admin", { email: ADMIN_EMAIL, role: "admin" }],
    ["producer", { email: PRODUCER_EMAIL, role: "producer", source: SOURCE }],
  ]) {
    const kept = saved[name];
    if (kept && active.has(kept.split("_")[1])) {
      keys[name] = kept;
      continue;
    }
    const created = await api(base, "POST", `/v1/admin/organizations/${ORG}/keys`, { token, body: request });
    if (created.status !== 201) throw new Error(`could not create the ${name} key: ${created.status} ${JSON.stringify(created.body)}`);
    console.log(`dev: created the ${name} key for ${request.email}`);
    keys[name] = created.body.key;
  }
  mkdirSync(persistDir, { recursive: true });
  writeFileSync(file, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600 });
  return keys;
}

async function seed(base, token, persistDir) {
  await ensure(`organization ${ORG}`, api(base, "POST", "/v1/admin/organizations", { token, body: { id: ORG, name: "My Org" } }));
  const keys = await ensureKeys(base, token, persistDir);
  const auth = `Basic ${Buffer.from(`${ADMIN_EMAIL}:${keys.admin}`).toString("base64")}`;
  await ensure(
    `entity "Cool Account" on ${SOURCE}`,
    api(base, "POST", `/v1/organizations/${ORG}/entities`, { auth, body: { source: SOURCE, name: "Cool Account" } }),
  );
  await ensure(
    `event type booking.created on ${SOURCE}`,
    api(base, "POST", `/v1/organizations/${ORG}/event-types`, {
      auth,
      body: { source: SOURCE, name: "booking.created", description: "A booking was made on Wink" },
    }),
  );
  return keys;
}

function printWelcome(base, token, keys) {
  const u = `-u ${ADMIN_EMAIL}:${keys.admin}`;
  const hooks = `${base}/v1/mint/organizations/${ORG}/webhooks`;
  const json = "-H 'content-type: application/json'";
  console.log(`
──────────────────────────────────────────────────────────────────────────────
 Edge Webhooks is running at ${base}   (API reference: ${base}/docs)
 The webhooks page:  ${base}/ui   (sign in with ${ADMIN_EMAIL} and the admin key)

 Organization:  ${ORG}
 Admin key:     ${ADMIN_EMAIL}:${keys.admin}
 Producer key:  ${keys.producer}   (${PRODUCER_EMAIL}, source ${SOURCE}: posts events, cannot manage webhooks)
 Admin token:   ${token}   (operator routes under /v1/admin)

 Try:
   curl ${u} ${hooks}

   curl ${u} ${json} \\
     -d '{"name":"webhook3","postURL":"http://mycompany.com/callbackhandler3"}' ${hooks}

   curl ${u} ${json} -d '{"name":"Wink Stalker","postURL":"https://my.system.com/webhook/wink",
     "enabled":true,"source":"wink","entity":"Cool Account","events":["booking.created"]}' ${hooks}

   curl ${u} ${json} -X POST -d '{"enabled":"true"}' ${hooks}/<id>
   curl ${u} -X DELETE '${hooks}/<id>?forceDelete=true'

   curl -H 'authorization: Bearer ${token}' ${base}/v1/admin/organizations/${ORG}/keys

 The page for a host product's user (open the "url" it answers within 10 minutes, once):
   curl ${u} ${json} -d '{"email":"ann@wink.example","source":"wink","entities":["Cool Account"]}' \
     ${base}/v1/organizations/${ORG}/portal-links
──────────────────────────────────────────────────────────────────────────────
`);
}

async function main() {
  const devVars = ensureDevVars();
  const token = vars().ADMIN_TOKEN ?? devVars.ADMIN_TOKEN;
  const persistDir = resolve(root, flag("--persist-to") ?? join(".wrangler", "state"));

  await run(...wranglerCommand(["d1", "migrations", "apply", "DB", "--local", ...stateFlags()]));

  const wrangler = spawn(...wranglerCommand(["dev", ...args]), { cwd: root, env: childEnv, stdio: "inherit" });
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    if (wrangler.exitCode === null) wrangler.kill(signal);
    // wrangler normally exits within a second; do not leave it (and workerd) behind if it hangs.
    setTimeout(() => wrangler.exitCode === null && wrangler.kill("SIGKILL"), 10_000).unref();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  const exited = new Promise((r) => wrangler.on("exit", (code, signal) => r(code ?? (signal ? 0 : 1))));

  const ip = flag("--ip");
  const host = !ip || ip === "0.0.0.0" || ip === "::" || ip === "*" ? "localhost" : ip.includes(":") ? `[${ip}]` : ip;
  const base = `http://${host}:${flag("--port") ?? "8787"}`;
  let failed = false;
  try {
    await waitForHealth(base, wrangler);
    printWelcome(base, token, await seed(base, token, persistDir));
  } catch (error) {
    if (!stopping) {
      failed = true;
      console.error(`dev: ${error.message}`);
      stop("SIGTERM");
    }
  }
  const code = await exited;
  process.exitCode = failed ? 1 : code;
}

main().catch((error) => {
  console.error(`dev: ${error.message}`);
  process.exit(1);
});
