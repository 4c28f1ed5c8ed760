// Storage stays bounded: the organization's event log deletes events and usage counters older than
// RETENTION_DAYS in small chunks. Time is injected by calling the purge with a later "now".
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { config } from "../../src/config";
import { eventLog } from "../../src/ingest/event-log-client";
import { EventsTable } from "../../src/ingest/events-table";
import { countedSql } from "./sql-reads";
import { enabledWebhook, finalDeliveries, postEvent, producerTenant, receiverUrl, storedEvents, type Producer } from "./delivery-helpers";
import { admin, call } from "./helpers";
import { conditionBody, createCondition, createWebhook, report, usageReport } from "./notification-helpers";

const RETENTION = config(env).retentionMs;

async function postBatches(tenant: Producer, batches: number) {
  for (let b = 0; b < batches; b++) {
    const answer = await postEvent(tenant, { events: Array.from({ length: 100 }, (_, n) => ({ type: "booking.created", data: { b, n } })) });
    expect(answer.status).toBe(202);
  }
}

const purge = (orgId: string, now: number) => runInDurableObject(eventLog(env, orgId), (log) => log.purgeExpired(now));

describe("retention", () => {
  it("keeps events younger than RETENTION_DAYS", async () => {
    const tenant = await producerTenant();
    await postBatches(tenant, 1);
    expect(await purge(tenant.org, Date.now() + RETENTION - 60_000)).toMatchObject({ events: 0, more: false });
    expect(await storedEvents(tenant.org)).toHaveLength(100);
  });

  it("deletes older events in chunks of at most 500, keeping the newest so seqs are never reused", async () => {
    const tenant = await producerTenant();
    await postBatches(tenant, 12);
    const later = Date.now() + RETENTION + 1;
    expect(await purge(tenant.org, later)).toMatchObject({ events: 500, more: true });
    expect(await purge(tenant.org, later)).toMatchObject({ events: 500, more: true });
    expect(await purge(tenant.org, later)).toMatchObject({ events: 199, more: false });
    const [newest] = await storedEvents(tenant.org);
    expect(await storedEvents(tenant.org)).toHaveLength(1);
    await postBatches(tenant, 1);
    const seqs = (await storedEvents(tenant.org)).map((e) => e.seq).sort((a, b) => a - b);
    expect(seqs.slice(0, 2)).toEqual([newest!.seq, newest!.seq + 1]);
  });

  it("reads no further than a chunk's worth of the oldest events to find the expired ones", async () => {
    const tenant = await producerTenant();
    const { deleted, rowsRead } = await runInDurableObject(eventLog(env, tenant.org), (_log, state) => {
      const from = new EventsTable(state.storage.sql).nextSeq();
      new EventsTable(state.storage.sql).insert(
        Array.from({ length: 2_000 }, (_, i) => ({ seq: from + i, id: `event-${i}`, kind: "event" as const, source: "wink", type: "booking.created", entity: null, producerId: null, data: "{}", created: i < 10 ? 1 : 2, webhookIds: [] })),
      );
      const counted = countedSql(state.storage.sql);
      const deleted = new EventsTable(counted.sql).deleteBefore(2, from + 2_000, 500);
      return { deleted: deleted.length, rowsRead: counted.rowsRead() };
    });
    expect(deleted).toBe(10);
    // A walk of every event below the newest, checking each one's age, read all 2,000.
    expect(rowsRead).toBeLessThanOrEqual(520);
  });

  it("stops a purge at the first event not yet expired, so the events kept are one run of seqs", async () => {
    const tenant = await producerTenant();
    const { deleted, kept, counted } = await runInDurableObject(eventLog(env, tenant.org), (_log, state) => {
      const events = new EventsTable(state.storage.sql);
      const from = events.nextSeq();
      // The third event is dated later than the fourth, as a clock set back between them would.
      const created = [1, 1, 5, 1, 1, 5];
      events.insert(created.map((at, i) => ({ seq: from + i, id: `event-${i}`, kind: "event" as const, source: "wink", type: "booking.created", entity: null, producerId: null, data: "{}", created: at, webhookIds: [] })));
      const deleted = events.deleteBefore(2, from + created.length, 500).map((seq) => seq - from);
      return { deleted, kept: state.storage.sql.exec("SELECT count(*) AS n FROM events").one().n, counted: events.count() };
    });
    expect(deleted).toEqual([0, 1]);
    expect(counted).toBe(kept);
  });

  it("answers the events' total from their first and last seq, not by reading them all", async () => {
    const tenant = await producerTenant();
    const { total, rowsRead } = await runInDurableObject(eventLog(env, tenant.org), (_log, state) => {
      const events = new EventsTable(state.storage.sql);
      const from = events.nextSeq();
      events.insert(Array.from({ length: 2_000 }, (_, i) => ({ seq: from + i, id: `event-${i}`, kind: "event" as const, source: "wink", type: "booking.created", entity: null, producerId: null, data: "{}", created: 1, webhookIds: [] })));
      const counted = countedSql(state.storage.sql);
      const { total } = new EventsTable(counted.sql).newest({ limit: 10, offset: 0 });
      return { total, rowsRead: counted.rowsRead() };
    });
    expect(total).toBe(2_000);
    // count(*) read all 2,000 (the whole table: the log answers nothing else meanwhile); the page's
    // ten rows are read twice (their sizes, then themselves).
    expect(rowsRead).toBeLessThan(30);
  });

  it("counts the events a purge left in the list's totalRecords and the operators' storage figure", async () => {
    const tenant = await producerTenant();
    await postBatches(tenant, 3);
    const firstPosted = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    await postBatches(tenant, 1);
    expect(await purge(tenant.org, firstPosted + 1 + RETENTION)).toMatchObject({ events: 300 });
    const list = await call("GET", `/v1/organizations/${tenant.org}/events?limit=1`, { auth: tenant.auth });
    expect(list.body.totalRecords).toBe(100);
    const status = await call("GET", `/v1/admin/organizations/${tenant.org}/event-log`, { auth: admin });
    expect(status.body.storage.events).toBe(100);
  });

  it("holds a steady stream's storage flat", async () => {
    const tenant = await producerTenant();
    const sizes: number[] = [];
    for (let round = 0; round < 5; round++) {
      const before = Date.now();
      await postBatches(tenant, 1);
      await new Promise((r) => setTimeout(r, 5));
      // Retention as of just after this round's events: everything before them is older than RETENTION_DAYS.
      await purge(tenant.org, before + RETENTION);
      sizes.push((await storedEvents(tenant.org)).length);
    }
    expect(sizes).toEqual([100, 100, 100, 100, 100]);
  });

  it("deletes usage counters not reported to within RETENTION_DAYS, and their firings", async () => {
    const tenant = await producerTenant();
    const webhook = await createWebhook(tenant);
    await createCondition(tenant, conditionBody("plan-1", "%= 50", [webhook.id]));
    expect((await report(tenant, usageReport("plan-1", { transactions: 600 }))).fired).toHaveLength(1);
    expect(await purge(tenant.org, Date.now() + RETENTION + 1)).toMatchObject({ usageCounters: 1 });
    const rows = await runInDurableObject(eventLog(env, tenant.org), (_log, state) => [
      state.storage.sql.exec("SELECT count(*) AS n FROM usage_counters").one().n,
      state.storage.sql.exec("SELECT count(*) AS n FROM usage_firings").one().n,
    ]);
    expect(rows).toEqual([0, 0]);
  });

  it("tells operators what an organization's event log stores", async () => {
    const tenant = await producerTenant();
    await postEvent(tenant, { events: [1, 2, 3].map((n) => ({ type: "booking.created", data: { n } })) });
    const status = await call("GET", `/v1/admin/organizations/${tenant.org}/event-log`, { auth: admin });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ orgId: tenant.org, behind: 0, storage: { events: 3 } });
    expect(status.body.storage.bytes).toBeGreaterThan(0);
  });

  it("tells operators what each of an organization's webhooks stores, a page of webhooks at a time, oldest first", async () => {
    const tenant = await producerTenant();
    const hooks: { id: string; name: string; created: number }[] = [];
    for (const name of ["first", "second", "third"]) {
      const { id, created } = await enabledWebhook(tenant, receiverUrl(crypto.randomUUID()), { name });
      hooks.push({ id, name, created });
    }
    await postEvent(tenant, { events: [1, 2].map((n) => ({ type: "booking.created", data: { n } })) });
    for (const hook of hooks) await finalDeliveries(tenant, hook.id, 2);
    const oldestFirst = [...hooks].sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
    const first = await call("GET", `/v1/admin/organizations/${tenant.org}/webhook-storage?limit=2`, { auth: admin });
    const rest = await call("GET", `/v1/admin/organizations/${tenant.org}/webhook-storage?limit=2&offset=2`, { auth: admin });
    expect(first.status).toBe(200);
    expect(first.body.totalRecords).toBe(3);
    expect(first.body.webhooks).toHaveLength(2);
    const listed = [...first.body.webhooks, ...rest.body.webhooks];
    expect(listed).toEqual(oldestFirst.map(({ id, name }) => ({ webhookId: id, name, rows: 2, bytes: expect.any(Number) })));
    expect(listed.every((w: { bytes: number }) => w.bytes > 0)).toBe(true);
  });

  it("asks at most 100 webhooks' sequencers for one page of their storage", async () => {
    const tenant = await producerTenant();
    const answer = await call("GET", `/v1/admin/organizations/${tenant.org}/webhook-storage?limit=101`, { auth: admin });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([expect.objectContaining({ field: "query.limit" })]);
  });

  it("answers 404 for the webhooks' storage of an organization that does not exist", async () => {
    const answer = await call("GET", `/v1/admin/organizations/no-such-org/webhook-storage`, { auth: admin });
    expect(answer.status).toBe(404);
  });
});
