// The organization's list of events (GET …/events): newest first, paged, optionally narrowed to a
// type or a source, and never holding up the organization's ingest while it is read.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { eventLog } from "../../src/ingest/event-log-client";
import { EventsTable } from "../../src/ingest/events-table";
import type { LoggedEvent } from "../../src/ingest/records";
import { countedSql } from "./sql-reads";
import { postEvent, producerTenant } from "./delivery-helpers";
import { call } from "./helpers";

/** `count` events stored straight into the table after the log's last, every other one a booking.cancelled; returns the first seq. */
function fill(sql: SqlStorage, count: number): number {
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
    data: "{}",
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

  it("finds a filtered page that spans the slices it counts in", async () => {
    const tenant = await producerTenant();
    const { listed, from } = await runInDurableObject(eventLog(env, tenant.org), async (log, state) => {
      const from = fill(state.storage.sql, 45_000);
      return { listed: await log.listEvents({ type: "booking.cancelled", limit: 6, offset: 9_997 }), from };
    });
    expect(listed.total).toBe(22_500);
    // The newest slice of 20,000 seqs holds 10,000 of them: three from it, three from the next.
    const newest = from + 44_999;
    expect(listed.events.map((e) => e.seq)).toEqual(Array.from({ length: 6 }, (_, i) => newest - 2 * (9_997 + i)));
  });

  it("lets the organization's ingest in while it counts a filtered list", async () => {
    const tenant = await producerTenant();
    await runInDurableObject(eventLog(env, tenant.org), (_log, state) => fill(state.storage.sql, 200_000));
    // A fresh log starts from the table as it now is.
    await evictDurableObject(eventLog(env, tenant.org));
    expect((await postEvent(tenant, { type: "booking.created", data: {} })).status).toBe(202);
    const settled: string[] = [];
    const listing = eventLog(env, tenant.org)
      .listEvents({ type: "booking.cancelled", limit: 10, offset: 0 })
      .then((list) => (settled.push("list"), list));
    const posting = postEvent(tenant, { type: "booking.created", data: {} }).then((answer) => (settled.push("ingest"), answer));
    const [list, answer] = await Promise.all([listing, posting]);
    expect(answer.status).toBe(202);
    expect(list.total).toBe(100_000);
    expect(settled).toEqual(["ingest", "list"]);
  });
});
