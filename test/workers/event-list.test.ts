// The organization's list of events (GET …/events): newest first, paged, optionally narrowed to a
// type or a source, and never holding up the organization's ingest while it is read.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { eventLog } from "../../src/ingest/event-log-client";
import { FILTER_SLICE_SEQS } from "../../src/ingest/event-log";
import { EventsTable, PAGE_CHARS, type PageRoom } from "../../src/ingest/events-table";
import type { LoggedEvent } from "../../src/ingest/records";
import { countedSql } from "./sql-reads";
import { postEvent, producerTenant } from "./delivery-helpers";
import { call } from "./helpers";

/** `count` events stored straight into the table after the log's last, every other one a booking.cancelled; returns the first seq. */
function fill(sql: SqlStorage, count: number, data = "{}"): number {
  const events = new EventsTable(sql);
  const from = events.nextSeq();
  const rows: LoggedEvent[] = Array.from({ length: count }, (_, i) => ({
    seq: from + i,
    id: `event-${from + i}`,
    kind: "event",
    source: "wink",
    type: i % 2 ? "booking.cancelled" : "booking.created",
    entity: null,
    producerId: null,
    data,
    created: 1,
    webhookIds: [],
  }));
  events.insert(rows);
  return from;
}

describe("the events list", () => {
  it("pages newest first, narrowed to a type when asked, with the total of the whole list", async () => {
    const tenant = await producerTenant();
    for (let batch = 0; batch < 3; batch++) {
      const events = Array.from({ length: 100 }, (_, i) => batch * 100 + i).map((n) => ({ type: n % 3 ? "booking.created" : "booking.cancelled", data: { n } }));
      expect((await postEvent(tenant, { events })).status).toBe(202);
    }
    const all = await call("GET", `/v1/organizations/${tenant.org}/events?limit=50&offset=120`, { auth: tenant.auth });
    expect(all.body.totalRecords).toBe(300);
    expect(all.body.events.map((e: { data: { n: number } }) => e.data.n)).toEqual(Array.from({ length: 50 }, (_, i) => 179 - i));
    const cancelled = await call("GET", `/v1/organizations/${tenant.org}/events?type=booking.cancelled&limit=10&offset=5`, { auth: tenant.auth });
    expect(cancelled.body.totalRecords).toBe(100);
    expect(cancelled.body.events.map((e: { data: { n: number } }) => e.data.n)).toEqual(Array.from({ length: 10 }, (_, i) => 282 - 3 * i));
  });

  it("takes limit and offset in digits only, once each", async () => {
    const tenant = await producerTenant();
    const refusal = async (query: string) => {
      const answer = await call("GET", `/v1/organizations/${tenant.org}/events?${query}`, { auth: tenant.auth });
      expect(answer.status, query).toBe(400);
      return answer.body.error.details;
    };
    for (const query of ["limit=1e2", "limit=0x10", "limit=%201", "limit=1.0", "offset=+5", "offset=", "offset=-1"]) {
      expect(await refusal(query)).toEqual([{ field: `query.${query.split("=")[0]}`, reason: "must be a whole number, in digits" }]);
    }
    expect(await refusal("limit=1&limit=2")).toEqual([{ field: "query.limit", reason: "is given more than once; give it once" }]);
    expect(await refusal("limit=1001")).toEqual([{ field: "query.limit", reason: "must be at most 1000" }]);
    expect((await call("GET", `/v1/organizations/${tenant.org}/events?limit=007&offset=0`, { auth: tenant.auth })).status).toBe(200);
  });

  it("reads only the rows of a deep page", async () => {
    const tenant = await producerTenant();
    const { seqs, rowsRead, from } = await runInDurableObject(eventLog(env, tenant.org), (_log, state) => {
      const from = fill(state.storage.sql, 2_000);
      const counted = countedSql(state.storage.sql);
      const { events } = new EventsTable(counted.sql).newest({ limit: 10, offset: 1_500 });
      return { seqs: events.map((e) => e.seq), rowsRead: counted.rowsRead(), from };
    });
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => from + 499 - i));
    // LIMIT 10 OFFSET 1500 read the 1,500 rows it skipped.
    expect(rowsRead).toBeLessThan(30);
  });

  it("ends a page before its limit when its events' data pass PAGE_CHARS, and goes on from there", async () => {
    const tenant = await producerTenant();
    const data = JSON.stringify({ text: "x".repeat(100_000) });
    const fits = Math.floor(PAGE_CHARS / (data.length + "[]".length));
    const from = await runInDurableObject(eventLog(env, tenant.org), (_log, state) => fill(state.storage.sql, 2 * fits + 10, data));
    const newest = from + 2 * fits + 9;
    // 1,000 such events were 100 MB: past what one call from the log may carry (a 500).
    const first = await call("GET", `/v1/organizations/${tenant.org}/events?limit=1000`, { auth: tenant.auth });
    expect(first.status).toBe(200);
    expect(first.body.totalRecords).toBe(2 * fits + 10);
    expect(first.body.events.map((e: { id: string }) => e.id)).toEqual(Array.from({ length: fits }, (_, i) => `event-${newest - i}`));
    const next = await call("GET", `/v1/organizations/${tenant.org}/events?limit=1000&offset=${fits}`, { auth: tenant.auth });
    expect(next.body.events[0].id).toBe(`event-${newest - fits}`);
    const cancelled = await eventLog(env, tenant.org).listEvents({ type: "booking.cancelled", limit: 1000, offset: 0 });
    expect(cancelled.events).toHaveLength(fits);
    expect(cancelled.total).toBe(fits + 5);
  });

  it("shares one page's room between the slices it is filled from", async () => {
    const tenant = await producerTenant();
    const data = JSON.stringify({ text: "x".repeat(1_000_000) });
    const { first, second } = await runInDurableObject(eventLog(env, tenant.org), (_log, state) => {
      const from = fill(state.storage.sql, 20, data);
      const events = new EventsTable(state.storage.sql);
      const room: PageRoom = { chars: PAGE_CHARS };
      const all = { type: "booking.created" };
      const first = events.matchingIn(all, from + 14, from + 19, { limit: 100, offset: 0 }, room);
      const second = events.matchingIn(all, from, from + 13, { limit: 100, offset: 0 }, room);
      return { first: first.events.length, second: second.events.length };
    });
    // booking.created is every other event: three in the newest six, seven below them; eight of a
    // million characters fill the room.
    expect([first, second]).toEqual([3, Math.floor(PAGE_CHARS / (data.length + 2)) - 3]);
  });

  it("finds a filtered page that spans the slices it counts in", async () => {
    const tenant = await producerTenant();
    const filled = 2 * FILTER_SLICE_SEQS + 10;
    // The newest slice holds FILTER_SLICE_SEQS / 2 of them: three from it, three from the next.
    const offset = FILTER_SLICE_SEQS / 2 - 3;
    const { listed, from } = await runInDurableObject(eventLog(env, tenant.org), async (log, state) => {
      const from = fill(state.storage.sql, filled);
      return { listed: await log.listEvents({ type: "booking.cancelled", limit: 6, offset }), from };
    });
    expect(listed.total).toBe(filled / 2);
    const newest = from + filled - 1;
    expect(listed.events.map((e) => e.seq)).toEqual(Array.from({ length: 6 }, (_, i) => newest - 2 * (offset + i)));
  });

  it("lets the organization's ingest in between the slices it counts a filtered list in, and leaves out what it took meanwhile", async () => {
    const tenant = await producerTenant();
    const log = eventLog(env, tenant.org);
    await runInDurableObject(log, (_log, state) => fill(state.storage.sql, 2 * FILTER_SLICE_SEQS));
    // A fresh log starts from the table as it now is.
    await evictDurableObject(log);
    expect((await postEvent(tenant, { type: "booking.created", data: {} })).status).toBe(202);
    // The list stops after its first slice until the ingest below has been answered.
    const paused = Promise.withResolvers<void>();
    const resume = Promise.withResolvers<void>();
    await runInDurableObject(log, (instance) => {
      Object.assign(instance, { letOthersIn: () => (paused.resolve(), resume.promise) });
    });
    const listing = log.listEvents({ type: "booking.cancelled", limit: 10, offset: 0 });
    await paused.promise;
    expect((await postEvent(tenant, { type: "booking.cancelled", data: {} })).status).toBe(202);
    resume.resolve();
    const list = await listing;
    expect(list.total).toBe(FILTER_SLICE_SEQS);
    expect(list.events[0]!.id).toBe(`event-${list.events[0]!.seq}`);
  });
});
