// The two Workers under test, started side by side with `wrangler dev`: ours (the platform, with
// RETRY_DELAY_SECONDS=1) and the floor (bench/floor), and how each takes an event.
import { readdirSync, readFileSync } from "node:fs";
import { startDevServer, seedTenant, type DevServer } from "../test/support/dev-server.ts";
import { inParallel, type HttpRequest } from "./load.ts";

export const FLOOR_CONFIG = "bench/floor/wrangler.toml";
/** Producer keys ingest is spread over, so the per-key rate limit (1,000/s) is not what is measured. */
const PRODUCER_KEYS = 8;

export interface Tenant {
  org: string;
  adminKey: string;
  producerKeys: string[];
}

/** `script`: an entry to run instead of src/index.ts (the harness, for the operation count). */
export async function startOurs(vars: Record<string, string> = {}, script?: string): Promise<DevServer> {
  return startDevServer({ script, vars: { RETRY_DELAY_SECONDS: "1", ...vars } });
}

export async function startFloor(): Promise<DevServer> {
  return startDevServer({ configPath: FLOOR_CONFIG, migrate: false });
}

/** An organization with its event types, an admin key and several producer keys. */
export async function seedOrg(server: DevServer, org: string, eventTypes: string[]): Promise<Tenant> {
  const { adminKey, producerKey } = await seedTenant(server, org, eventTypes);
  const producerKeys = [producerKey];
  while (producerKeys.length < PRODUCER_KEYS) {
    const created = await server.api("POST", `/v1/admin/organizations/${org}/keys`, {
      auth: server.adminToken,
      body: { email: `producer${producerKeys.length}@example.com`, role: "producer", source: "wink" },
    });
    producerKeys.push(created.body.key);
  }
  return { org, adminKey, producerKeys };
}

/** Enabled webhooks of the org, each posting to its URL for the given event types (at most `rateLimit` a second); returns their ids. */
export async function createWebhooks(server: DevServer, tenant: Tenant, hooks: { url: string; events: string[]; rateLimit?: number }[]): Promise<string[]> {
  const ids: string[] = [];
  await inParallel(hooks, 8, async (hook, i) => {
    const created = await server.api("POST", `/v1/mint/organizations/${tenant.org}/webhooks`, {
      auth: tenant.adminKey,
      body: { name: `bench ${i}`, postURL: hook.url, enabled: true, source: "wink", events: hook.events, rateLimit: hook.rateLimit },
    });
    if (created.status !== 201) throw new Error(`webhook not created: ${created.status} ${JSON.stringify(created.body)}`);
    ids[i] = created.body.id;
  });
  return ids;
}

/** One event posted to our ingest; `n` goes in its data. */
export function ourIngest(server: DevServer, tenant: Tenant, type: string, n: number): HttpRequest {
  return {
    url: `${server.url}/v1/organizations/${tenant.org}/events`,
    headers: { authorization: `Bearer ${tenant.producerKeys[Math.abs(n) % tenant.producerKeys.length]}`, "content-type": "application/json" },
    body: JSON.stringify({ type, data: { n } }),
  };
}

/** A batch of events (at most 100) posted to our ingest in one request, with the tenant's `key`th producer key. */
export function ourBatchIngest(server: DevServer, tenant: Tenant, type: string, ns: number[], key = 0): HttpRequest {
  return {
    url: `${server.url}/v1/organizations/${tenant.org}/events`,
    headers: { authorization: `Bearer ${tenant.producerKeys[key]}`, "content-type": "application/json" },
    body: JSON.stringify({ events: ns.map((n) => ({ type, data: { n } })) }),
  };
}

/**
 * The same event posted to the floor, which sends it to each target (`/durable`: after writing it to
 * D1; `/per-webhook-object`: through one Durable Object per target, bench/floor/worker.js).
 */
export function floorIngest(floor: DevServer, targets: string[], type: string, n: number, path: "/" | "/durable" | "/per-webhook-object" = "/"): HttpRequest {
  return {
    url: `${floor.url}${path}`,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ targets, event: { type, data: { n } } }),
  };
}

/** Runs the floor's strict-order loop (bench/floor/worker.js): `count` POSTs to `target`, each outcome recorded before the next. */
export async function strictFloor(floor: DevServer, target: string, type: string, count: number): Promise<void> {
  const response = await fetch(`${floor.url}/strict`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ target, type, count }) });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`strict-order floor answered ${response.status}: ${body}`);
}

export async function post(request: HttpRequest): Promise<void> {
  const response = await fetch(request.url, { method: "POST", headers: request.headers, body: request.body });
  await response.arrayBuffer();
  if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
}

/** The workerd processes below a wrangler process. */
export function workerdProcesses(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      names.set(Number(entry), name);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while being listed
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      if (names.get(child) === "workerd") found.push(child);
      walk(child);
    }
  };
  walk(rootPid);
  return found;
}

/** Peak resident memory (VmHWM) of the workerd processes below a wrangler process, in MB. */
export function peakWorkerdMemoryMb(rootPid: number): number {
  let kb = 0;
  for (const pid of workerdProcesses(rootPid)) {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    kb += match ? Number(match[1]) : 0;
  }
  return kb / 1024;
}
