import { env } from "cloudflare:workers";
// Helpers for delivery tests: a tenant with a producer key, webhooks pointing at the real
// receiver started in global-setup.ts, and polling until the receiver or the API shows a result.
import { inject } from "vitest";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { eventLog } from "../../src/ingest/event-log-client";
import { sequencer } from "../../src/delivery/sequencer-client";
import { call, createKey, createTenant, seedWinkCatalog, webhooksPath, type Tenant } from "./helpers";

const port = inject("receiverPort");

export interface Received {
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
  answer: string;
}

/** A URL on the receiver; `script` says how it answers (see test/support/receiver.ts). */
export function receiverUrl(bucket: string, script?: string): string {
  return `http://127.0.0.1:${port}/hook/${bucket}${script ? `?script=${script}` : ""}`;
}

export async function received(bucket: string): Promise<Received[]> {
  const response = await fetch(`http://127.0.0.1:${port}/log/${bucket}`);
  return (await response.json()) as Received[];
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function receivedCount(bucket: string, n: number, timeoutMs?: number): Promise<Received[]> {
  return waitFor(async () => {
    const got = await received(bucket);
    return got.length >= n ? got : undefined;
  }, timeoutMs, `${n} requests at ${bucket}`);
}

export interface Producer extends Tenant {
  producerKey: string;
}

/** A tenant with the Wink catalog and a producer key for source wink. */
export async function producerTenant(events = ["booking.created", "booking.cancelled", "payment.settled"]): Promise<Producer> {
  const tenant = await createTenant("dlv");
  await seedWinkCatalog(tenant, events);
  const producerKey = await createKey(tenant.org, { email: "producer@example.com", role: "producer", source: "wink" });
  return { ...tenant, producerKey };
}

export async function enabledWebhook(tenant: Tenant, postURL: string, extra: Record<string, unknown> = {}) {
  const created = await call("POST", webhooksPath(tenant.org), {
    auth: tenant.auth,
    body: { name: "hook", postURL, enabled: true, source: "wink", ...extra },
  });
  if (created.status !== 201) throw new Error(`webhook: ${JSON.stringify(created.body)}`);
  return created.body as { id: string; postUrl: string; created: number };
}

export async function postEvent(tenant: Producer, body: Record<string, unknown>, headers?: Record<string, string>) {
  return call("POST", `/v1/organizations/${tenant.org}/events`, { auth: { bearer: tenant.producerKey }, body, headers });
}

export async function deliveriesOf(tenant: Tenant, webhookId: string, query = "") {
  const list = await call("GET", `${webhooksPath(tenant.org, webhookId)}/deliveries${query}`, { auth: tenant.auth });
  if (list.status !== 200) throw new Error(`deliveries: ${JSON.stringify(list.body)}`);
  return list.body as { totalRecords: number; deliveries: any[] };
}

/** Waits until every delivery of the webhook is final and there are `n` of them. */
export async function finalDeliveries(tenant: Tenant, webhookId: string, n: number, timeoutMs?: number) {
  return waitFor(async () => {
    const list = await deliveriesOf(tenant, webhookId);
    const final = list.deliveries.filter((d) => ["succeeded", "failed", "cancelled"].includes(d.status));
    return list.totalRecords >= n && final.length === list.totalRecords ? list.deliveries : undefined;
  }, timeoutMs, `${n} final deliveries`);
}

export async function deliveryDetail(tenant: Tenant, webhookId: string, deliveryId: string) {
  const got = await call("GET", `${webhooksPath(tenant.org, webhookId)}/deliveries/${deliveryId}`, { auth: tenant.auth });
  return got.body;
}

/** The events an organization's log holds, newest first. */
export async function storedEvents(orgId: string) {
  return (await eventLog(env, orgId).listEvents({ limit: 1000, offset: 0 })).events;
}

/**
 * Leaves a recovery of the webhook going on, as its sequencer keeps one of more than a turn between
 * alarms (sequencer.test.ts drives a real one): its remainder is written to the sequencer's state,
 * and the object starts again to read it.
 */
export async function recoveryUnderWay(webhookId: string) {
  const stub = sequencer(env, webhookId);
  await runInDurableObject(stub, async (_sequencer, state) => {
    state.storage.sql.exec(`INSERT INTO state (key, value) VALUES ('recovery', ?)`, JSON.stringify({ since: 0, at: 2, after: null, end: { seq: 1, position: 1 } }));
    // Its next turn would find nothing to send and end it: no alarm comes unless the test brings one.
    await state.storage.deleteAlarm();
  });
  await evictDurableObject(stub);
}

/** Whether the webhook's sequencer still has a recovery to go on with. */
export function recoveryKept(webhookId: string): Promise<boolean> {
  return runInDurableObject(sequencer(env, webhookId), (_sequencer, state) => state.storage.sql.exec(`SELECT 1 FROM state WHERE key = 'recovery'`).toArray().length > 0);
}
