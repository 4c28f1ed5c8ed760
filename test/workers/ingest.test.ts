// Producers posting events: validation, idempotency, batches, limits, and which webhooks match.
import { describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { admin, call, createKey, type Auth } from "./helpers";
import { enabledWebhook, finalDeliveries, postEvent, producerTenant, received, receivedCount, receiverUrl, storedEvents, type Producer } from "./delivery-helpers";
import { eventLog } from "../../src/ingest/event-log-client";
import { sequencer } from "../../src/delivery/sequencer-client";
import { config } from "../../src/config";
import { EventsTable } from "../../src/ingest/events-table";
import { countedSql } from "./sql-reads";
import { fanOutAgain, fanOutChunk } from "../../src/delivery/fanout";
import type { DrainJob, FanoutChunkJob, Job } from "../../src/queue/jobs";
import type { DeliverySeed } from "../../src/ingest/records";

const bucket = () => crypto.randomUUID();
const settle = () => new Promise((r) => setTimeout(r, 1500));

describe.concurrent("ingest", () => {
  it("stores and delivers an event posted twice with the same id once, and says it was a duplicate", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    await enabledWebhook(tenant, receiverUrl(b));
    const first = await postEvent(tenant, { type: "booking.created", data: { n: 1 }, id: "booking-1" });
    const second = await postEvent(tenant, { type: "booking.created", data: { n: 1 }, id: "booking-1" });
    expect(first.body.duplicate).toBe(false);
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({ id: first.body.id, duplicate: true });
    await receivedCount(b, 1);
    await settle();
    expect(await received(b)).toHaveLength(1);
  });

  it("answers a repeated id with the event first stored under it: its id, type and time", async () => {
    const tenant = await producerTenant();
    const first = await postEvent(tenant, { type: "booking.created", data: { n: 1 }, id: "booking-2" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const repeat = await postEvent(tenant, { type: "booking.cancelled", data: { n: 2 }, id: "booking-2" });
    expect(repeat.body).toEqual({ ...first.body, duplicate: true });
    const stored = await call("GET", `/v1/organizations/${tenant.org}/events/${first.body.id}`, { auth: tenant.auth });
    expect(stored.body).toMatchObject({ type: "booking.created", created: first.body.created, data: { n: 1 } });
  });

  it("treats the Idempotency-Key header like the event's id", async () => {
    const tenant = await producerTenant();
    const first = await postEvent(tenant, { type: "booking.created", data: {} }, { "idempotency-key": "k-1" });
    const second = await postEvent(tenant, { type: "booking.created", data: {}, id: "k-1" });
    expect(second.body).toMatchObject({ id: first.body.id, duplicate: true });
  });

  it("refuses an Idempotency-Key that contradicts the event's id", async () => {
    const tenant = await producerTenant();
    const answer = await postEvent(tenant, { type: "booking.created", data: {}, id: "a" }, { "idempotency-key": "b" });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details[0].field).toBe("id");
  });

  it("answers a batch with one id per event, duplicates marked", async () => {
    const tenant = await producerTenant();
    await postEvent(tenant, { type: "booking.created", data: {}, id: "seen" });
    const batch = await postEvent(tenant, {
      events: [
        { type: "booking.created", data: {}, id: "seen" },
        { type: "booking.cancelled", data: {}, id: "new" },
      ],
    });
    expect(batch.status).toBe(202);
    expect(batch.body.events.map((e: any) => e.duplicate)).toEqual([true, false]);
  });

  it("stores an id repeated within one batch once, and answers the repeat as a duplicate of it", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    await enabledWebhook(tenant, receiverUrl(b));
    const batch = await postEvent(tenant, {
      events: [
        { type: "booking.created", data: { n: 1 }, id: "twice" },
        { type: "booking.created", data: { n: 2 } },
        { type: "booking.created", data: { n: 3 }, id: "twice" },
      ],
    });
    expect(batch.status).toBe(202);
    const [first, other, repeat] = batch.body.events;
    expect(repeat).toEqual({ ...first, duplicate: true });
    expect([first.duplicate, other.duplicate]).toEqual([false, false]);
    expect((await storedEvents(tenant.org)).map((e) => JSON.parse(e.data).n)).toEqual([2, 1]);
    await receivedCount(b, 2);
  });

  it("refuses an id that is not well-formed Unicode, which the log could not store as sent, naming it", async () => {
    const tenant = await producerTenant();
    const answer = await postEvent(tenant, { events: [{ type: "booking.created", data: {}, id: "lone \ud800 surrogate" }] });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ field: "events.0.id", reason: expect.stringContaining("unpaired surrogate") }]);
    expect(await storedEvents(tenant.org)).toEqual([]);
  });

  it("stores data exactly as sent: a member named __proto__, numbers and text", async () => {
    const tenant = await producerTenant();
    const data = JSON.parse('{"__proto__": {"c": 2}, "keep": 1, "pair": "\\ud83d\\ude00", "n": 1e308, "nested": {"__proto__": []}}');
    const answer = await postEvent(tenant, { type: "booking.created", data });
    expect(answer.status).toBe(202);
    const [stored] = await storedEvents(tenant.org);
    expect(stored!.data).toBe(JSON.stringify(data));
    expect(Object.keys(JSON.parse(stored!.data))).toEqual(["__proto__", "keep", "pair", "n", "nested"]);
  });

  it("refuses a body that is not UTF-8, which a lenient reading would store changed", async () => {
    const tenant = await producerTenant();
    const bytes = new Uint8Array([...new TextEncoder().encode('{"type": "booking.created", "data": {"name": "'), 0xc3, 0x28, ...new TextEncoder().encode('"}}')]);
    const answer = await call("POST", `/v1/organizations/${tenant.org}/events`, { auth: { bearer: tenant.producerKey }, body: new Blob([bytes]).stream() });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ field: "body", reason: expect.stringContaining("not UTF-8") }]);
    expect(await storedEvents(tenant.org)).toEqual([]);
  });

  it("refuses a body of another type with 415 naming content-type, even one that is not text", async () => {
    const tenant = await producerTenant();
    const answer = await call("POST", `/v1/organizations/${tenant.org}/events`, {
      auth: { bearer: tenant.producerKey },
      headers: { "content-type": "image/png" },
      body: new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe])]).stream(),
    });
    expect(answer.status).toBe(415);
    expect(answer.body.error.details).toEqual([{ field: "content-type", reason: expect.stringContaining("image/png") }]);
  });

  it("refuses a compressed body with 415, naming content-encoding", async () => {
    const tenant = await producerTenant();
    const gzipped = new Response(new Blob([JSON.stringify({ type: "booking.created", data: {} })]).stream().pipeThrough(new CompressionStream("gzip")));
    const answer = await call("POST", `/v1/organizations/${tenant.org}/events`, {
      auth: { bearer: tenant.producerKey },
      headers: { "content-encoding": "gzip" },
      body: new Blob([await gzipped.arrayBuffer()]).stream(),
    });
    expect(answer.status).toBe(415);
    expect(answer.body.error.details).toEqual([{ field: "content-encoding", reason: expect.stringContaining("gzip") }]);
  });

  it("refuses a number beyond what can be stored, which would become null, naming it", async () => {
    const tenant = await producerTenant();
    const answer = await call("POST", `/v1/organizations/${tenant.org}/events`, {
      auth: { bearer: tenant.producerKey },
      body: '{"type": "booking.created", "data": {"amount": 1e400}}',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ field: "data.amount", reason: expect.stringContaining("beyond what can be stored") }]);
  });

  it("looks a request's ids up one index seek each, however many events of its source the log keeps", async () => {
    const tenant = await producerTenant();
    const { found, rowsRead } = await runInDurableObject(eventLog(env, tenant.org), (_log, state) => {
      const events = new EventsTable(state.storage.sql);
      const from = events.nextSeq();
      events.insert(
        Array.from({ length: 2_000 }, (_, i) => ({ seq: from + i, id: `event-${i}`, kind: "event" as const, source: "wink", type: "booking.created", entity: null, producerId: `order-${i}`, data: "{}", created: 1, webhookIds: [] })),
      );
      const counted = countedSql(state.storage.sql);
      const found = new EventsTable(counted.sql).byProducerIds("wink", ["order-7", "order-1999", "order-unknown"]);
      return { found: [...found.entries()].map(([producerId, event]) => [producerId, event.seq - from]), rowsRead: counted.rowsRead() };
    });
    expect(Object.fromEntries(found)).toEqual({ "order-7": 7, "order-1999": 1_999 });
    // Joined the other way round, SQLite walked all 2,000 events of the source for each id.
    expect(rowsRead).toBeLessThan(20);
  });

  it("stores every event of a batch too large to bind as one string, each with all its webhooks", async () => {
    // 100 events to 1,000 webhooks each bind ~4 MB; Durable Object SQLite takes 2 MB a string in
    // production (local workerd does not check), so the insert is split over several statements.
    const tenant = await producerTenant();
    const webhookIds = Array.from({ length: 1_000 }, () => crypto.randomUUID());
    const { seqs, boundBytes } = await runInDurableObject(eventLog(env, tenant.org), (_log, state) => {
      const sql = state.storage.sql;
      const boundBytes: number[] = [];
      // The statements' bound strings, measured as production's limit counts them (UTF-8 bytes).
      const measured = { exec: (query: string, ...bindings: unknown[]) => {
        for (const value of bindings) if (typeof value === "string") boundBytes.push(new TextEncoder().encode(value).length);
        return sql.exec(query, ...bindings);
      } } as unknown as SqlStorage;
      const events = new EventsTable(measured);
      const from = events.nextSeq();
      const batch = Array.from({ length: 100 }, (_, i) => ({ seq: from + i, id: `event-${i}`, kind: "test" as const, source: "wink", type: "booking.created", entity: null, producerId: null, data: "{}", created: 1, webhookIds }));
      events.insert(batch);
      return { seqs: events.bySeq(batch.map((event) => event.seq)).map((event) => event.webhookIds.length), boundBytes };
    });
    expect(seqs).toEqual(Array(100).fill(1_000));
    expect(Math.max(...boundBytes)).toBeLessThanOrEqual(2_000_000);
  });

  it("delivers every event of a full batch of 100, each with its own id and type, in order", async () => {
    const types = Array.from({ length: 100 }, (_, i) => `batch.t${i}`);
    const tenant = await producerTenant(types);
    const b = bucket();
    const hook = await enabledWebhook(tenant, receiverUrl(b));
    const events = types.map((type, n) => ({ type, entity: "Cool Account", data: { n }, id: `full-batch-${n}` }));
    const posted = await postEvent(tenant, { events });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    expect(posted.body.events.every((e: { duplicate: boolean }) => !e.duplicate)).toBe(true);
    await finalDeliveries(tenant, hook.id, 100, 60_000);
    // In order; an event sent again right after itself is a retry whose first answer was lost
    // (at least once), which a loaded machine can cause.
    const ns = (await received(b)).map((r) => JSON.parse(r.body).data.n as number);
    expect(ns.filter((n, i) => i === 0 || n !== ns[i - 1])).toEqual(events.map((e) => e.data.n));
    const again = await postEvent(tenant, { events });
    expect(again.body.events.map((e: { id: string }) => e.id)).toEqual(posted.body.events.map((e: { id: string }) => e.id));
    expect(again.body.events.every((e: { duplicate: boolean }) => e.duplicate)).toBe(true);
  });

  it("rejects an event type outside the catalog, naming it, and stores nothing", async () => {
    const tenant = await producerTenant();
    const answer = await postEvent(tenant, { events: [{ type: "booking.created", data: {} }, { type: "room.exploded", data: {} }] });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ field: "events.1.type", reason: expect.stringContaining("room.exploded") }]);
    const events = await call("GET", `/v1/organizations/${tenant.org}/events`, { auth: tenant.auth });
    expect(events.body.totalRecords).toBe(0);
  });

  it("rejects an unknown entity", async () => {
    const tenant = await producerTenant();
    const answer = await postEvent(tenant, { type: "booking.created", entity: "Nobody", data: {} });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details[0].field).toBe("entity");
  });

  it("rejects a body over 100 KB with 413", async () => {
    const tenant = await producerTenant();
    const answer = await postEvent(tenant, { type: "booking.created", data: { blob: "x".repeat(110_000) } });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe("payload_too_large");
  });

  it("rejects a batch of more than 100 events", async () => {
    const tenant = await producerTenant();
    const answer = await postEvent(tenant, { events: Array.from({ length: 101 }, () => ({ type: "booking.created", data: {} })) });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details[0].field).toBe("events");
  });

  it("rejects a body that is neither one event nor a batch", async () => {
    const tenant = await producerTenant();
    const answer = await postEvent(tenant, { data: {} });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toContainEqual({ field: "type", reason: "is required" });
  });

  it("stores nothing for a key the check refuses: revoked, admin, another organization's, wrong e-mail or secret", async () => {
    // Ingest checks the key twice, in SQL (the insert's guard) and in JavaScript (the answer): if
    // the guard let any of these keys in, the events would be stored or the answer would be a 500.
    const tenant = await producerTenant();
    const other = await producerTenant();
    const revoked = await createKey(tenant.org, { email: "gone@example.com", role: "producer", source: "wink" });
    expect((await call("DELETE", `/v1/admin/organizations/${tenant.org}/keys/${revoked.split("_")[1]}`, { auth: admin })).status).toBe(204);
    const wrongSecret = tenant.producerKey.replace(/_[^_]+$/, `_${"A".repeat(43)}`);
    // Admin keys have no source, so the catalog alone would keep them out; with one, only the role check does.
    await env.DB.prepare("UPDATE api_keys SET source = 'wink' WHERE id = ?").bind(tenant.key.split("_")[1]).run();
    const refusals: [string, Auth, number][] = [
      ["revoked key", { bearer: revoked }, 401],
      ["admin key", tenant.auth, 403],
      ["other organization's key", { bearer: other.producerKey }, 404],
      ["wrong e-mail", { basic: ["someone@example.com", tenant.producerKey] }, 401],
      ["wrong secret", { bearer: wrongSecret }, 401],
    ];
    const body = { type: "booking.created", entity: "Cool Account", data: {} };
    for (const [name, auth, status] of refusals) {
      const answer = await call("POST", `/v1/organizations/${tenant.org}/events`, { auth, body });
      expect(answer.status, name).toBe(status);
    }
    const stored = async () => (await storedEvents(tenant.org)).length + (await storedEvents(other.org)).length;
    expect(await stored()).toBe(0);
    expect((await postEvent(tenant, body)).status).toBe(202);
    expect((await call("POST", `/v1/organizations/${tenant.org}/events`, { auth: { basic: ["Producer@Example.com", tenant.producerKey] }, body })).status).toBe(202);
    expect(await stored()).toBe(2);
  });

  it("lets only producer keys post events", async () => {
    const tenant = await producerTenant();
    const answer = await call("POST", `/v1/organizations/${tenant.org}/events`, { auth: tenant.auth, body: { type: "booking.created", data: {} } });
    expect(answer.status).toBe(403);
  });

  it("stores a batch once, in the order posted, with consecutive seqs", async () => {
    const tenant = await producerTenant();
    const answer = await postEvent(tenant, { events: Array.from({ length: 30 }, (_, n) => ({ type: "booking.created", data: { n } })) });
    expect(answer.status).toBe(202);
    const stored = (await storedEvents(tenant.org)).reverse();
    expect(stored.map((e) => JSON.parse(e.data).n)).toEqual(Array.from({ length: 30 }, (_, n) => n));
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, n) => stored[0]!.seq + n));
    expect(new Set(stored.map((e) => e.created)).size).toBe(1);
  });
});

describe.concurrent("matching", () => {
  it("fans out an event nobody subscribes to as it stores it: nothing to send, nothing left waiting", async () => {
    const tenant = await producerTenant();
    await enabledWebhook(tenant, receiverUrl(bucket()), { events: ["booking.cancelled"] });
    const log = eventLog(env, tenant.org);
    const ingest = (type: string) =>
      log.ingest({ orgId: tenant.org, keyId: tenant.producerKey.split("_")[1]!, source: "wink", batch: false, events: [{ type, entity: null, data: "{}", producerId: null }] });
    const unsubscribed = await ingest("booking.created");
    expect(unsubscribed.ok && unsubscribed.value.fanout).toEqual([]);
    expect((await log.status()).behind).toBe(0);
    const subscribed = await ingest("booking.cancelled");
    expect(subscribed.ok && subscribed.value.fanout).toHaveLength(1);
    expect((await log.status()).behind).toBe(1);
    // A fresh object finds the same: only the subscribed event waits.
    await evictDurableObject(log);
    expect((await eventLog(env, tenant.org).status()).behind).toBe(1);
  });

  it("matches the next event to a webhook created just after the event log read its configuration", async () => {
    const tenant = await producerTenant();
    // The first event makes the organization's log read its configuration (no webhook yet).
    const before = await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    const hook = await enabledWebhook(tenant, receiverUrl(bucket()));
    const after = await postEvent(tenant, { type: "booking.created", data: { n: 2 } });
    // Within CONFIG_REFRESH_SECONDS of that read: only the creation's announcement can have told the log.
    const [second, first] = await storedEvents(tenant.org);
    expect([first!.id, second!.id]).toEqual([before.body.id, after.body.id]);
    expect(first!.webhookIds).toEqual([]);
    expect(second!.webhookIds).toEqual([hook.id]);
  });

  it("sends an event to webhooks of its source bound to its entity or to none, subscribed by name, wildcard or not at all", async () => {
    const tenant = await producerTenant();
    const [exact, wildcard, all, unbound, otherEntity, otherType] = Array.from({ length: 6 }, bucket) as [string, string, string, string, string, string];
    await call("POST", `/v1/organizations/${tenant.org}/entities`, { auth: tenant.auth, body: { source: "wink", name: "Other Account" } });
    await enabledWebhook(tenant, receiverUrl(exact), { entity: "Cool Account", events: ["booking.created"] });
    await enabledWebhook(tenant, receiverUrl(wildcard), { entity: "Cool Account", events: ["booking.*"] });
    await enabledWebhook(tenant, receiverUrl(all), { entity: "Cool Account" });
    await enabledWebhook(tenant, receiverUrl(unbound), { events: ["*"] });
    await enabledWebhook(tenant, receiverUrl(otherEntity), { entity: "Other Account" });
    await enabledWebhook(tenant, receiverUrl(otherType), { events: ["payment.settled"] });
    await postEvent(tenant, { type: "booking.created", entity: "Cool Account", data: {} });
    for (const b of [exact, wildcard, all, unbound]) await receivedCount(b, 1);
    await settle();
    expect(await received(otherEntity)).toHaveLength(0);
    expect(await received(otherType)).toHaveLength(0);
  });

  it("sends an event without an entity only to webhooks bound to no entity", async () => {
    const tenant = await producerTenant();
    const [bound, unbound] = [bucket(), bucket()];
    await enabledWebhook(tenant, receiverUrl(bound), { entity: "Cool Account" });
    await enabledWebhook(tenant, receiverUrl(unbound));
    await postEvent(tenant, { type: "booking.created", data: {} });
    await receivedCount(unbound, 1);
    await settle();
    expect(await received(bound)).toHaveLength(0);
  });

  it("records each event of a batch with the webhooks it went to", async () => {
    const tenant = await producerTenant();
    const [bookings, payments] = [bucket(), bucket()];
    const bookingHook = await enabledWebhook(tenant, receiverUrl(bookings), { events: ["booking.*"] });
    const paymentHook = await enabledWebhook(tenant, receiverUrl(payments), { events: ["payment.settled"] });
    const posted = await postEvent(tenant, { events: ["booking.created", "payment.settled", "booking.cancelled"].map((type) => ({ type, data: {} })) });
    await receivedCount(bookings, 2);
    await receivedCount(payments, 1);
    const recorded = await Promise.all(
      posted.body.events.map(async (e: { id: string }) => (await call("GET", `/v1/organizations/${tenant.org}/events/${e.id}`, { auth: tenant.auth })).body.webhookIds),
    );
    expect(recorded).toEqual([[bookingHook.id], [paymentHook.id], [bookingHook.id]]);
  });

  it("answers each of many requests sent at once with its own event, storing a repeated id once", async () => {
    const tenant = await producerTenant();
    const posts = await Promise.all(Array.from({ length: 12 }, (_, i) => postEvent(tenant, { type: "booking.created", data: { i }, id: i < 2 ? "same-booking" : `booking-${i}` })));
    expect(posts.map((post) => post.status)).toEqual(Array(12).fill(202));
    expect(posts[0]!.body.id).toBe(posts[1]!.body.id);
    expect(posts.filter((post) => post.body.duplicate)).toHaveLength(1);
    expect(new Set(posts.map((post) => post.body.id)).size).toBe(11);
    const stored = await Promise.all(posts.slice(2).map((post) => call("GET", `/v1/organizations/${tenant.org}/events/${post.body.id}`, { auth: tenant.auth })));
    expect(stored.map((event) => event.body.data.i)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
  });

  it("does not send an event of one source to webhooks of another", async () => {
    const tenant = await producerTenant();
    const b = bucket();
    await call("POST", `/v1/organizations/${tenant.org}/event-types`, { auth: tenant.auth, body: { source: "trippay", name: "booking.created" } });
    await enabledWebhook(tenant, receiverUrl(b), { source: "trippay", events: ["booking.created"] });
    await postEvent(tenant, { type: "booking.created", data: {} });
    await settle();
    expect(await received(b)).toHaveLength(0);
  });

  it("fans one event out to more webhooks than fit in one chunk", async () => {
    const tenant = await producerTenant();
    const buckets = Array.from({ length: 90 }, bucket);
    const hooks = [];
    for (const b of buckets) hooks.push(await enabledWebhook(tenant, receiverUrl(b)));
    const posted = await postEvent(tenant, { type: "booking.created", data: {} });
    for (const b of buckets) await receivedCount(b, 1, 30_000);
    const perEvent = await call("GET", `/v1/organizations/${tenant.org}/events/${posted.body.id}/deliveries?limit=1000`, { auth: tenant.auth });
    expect(perEvent.body.totalRecords).toBe(90);
    const event = await call("GET", `/v1/organizations/${tenant.org}/events/${posted.body.id}`, { auth: tenant.auth });
    expect(event.body.fannedOut).not.toBeNull();
    await finalDeliveries(tenant, hooks[0]!.id, 1);
  });

  it("does not fan a chunked event out again after a restart once all its chunks have reported", async () => {
    const { tenant, log, event } = await waitingEvent(3);
    await log.chunkFannedOut(event.seq, { chunk: 0, chunks: 2, size: 2 });
    await log.chunkFannedOut(event.seq, { chunk: 1, chunks: 2, size: 2 });
    // Well before the alarm its ingest set: only the last chunk's report can have written that it ended.
    await evictDurableObject(log);
    expect(await eventLog(env, tenant.org).status()).toMatchObject({ behind: 0, watermark: event.seq + 1 });
  });

  it("does not fan a chunked event out again after a restart once all its chunks have reported, while an earlier event still waits", async () => {
    const { tenant, hooks, log, event: earlier } = await waitingEvent(3);
    const stored = await log.storeAddressed(tenant.org, [{ kind: "test", source: "wink", type: "booking.created", data: "{}", webhookIds: hooks.map((hook) => hook.id) }]);
    if (!stored.ok) throw new Error(stored.refusal.message);
    const chunked = stored.value[0]!;
    await log.chunkFannedOut(chunked.seq, { chunk: 0, chunks: 2, size: 2 });
    await log.chunkFannedOut(chunked.seq, { chunk: 1, chunks: 2, size: 2 });
    await evictDurableObject(log);
    const restarted = eventLog(env, tenant.org);
    expect(await restarted.status()).toMatchObject({ behind: 1, watermark: earlier.seq, oldestWaiting: { seq: earlier.seq } });
    const endedAhead = () => runInDurableObject(restarted, (_, state) => state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ended_ahead`).one().n);
    expect(await endedAhead()).toBe(1);
    await restarted.chunkFannedOut(earlier.seq, { chunk: 0, chunks: 1, size: 3 });
    expect(await endedAhead()).toBe(0); // the watermark passed it
    await evictDurableObject(restarted);
    expect(await eventLog(env, tenant.org).status()).toMatchObject({ behind: 0, watermark: chunked.seq + 1 });
  });

  it("does not fan a re-driven event out again after a restart once its fan-out has reported", async () => {
    const { tenant, log, event } = await waitingEvent(1);
    expect(await log.redrive()).toBe(1);
    await log.fannedOut([event.seq]);
    await evictDurableObject(log);
    expect(await eventLog(env, tenant.org).status()).toMatchObject({ behind: 0, watermark: event.seq + 1 });
  });

  it("re-drives only the chunks of a large fan-out that have not reported", async () => {
    const { tenant, log, event } = await waitingEvent(3);
    await log.chunkFannedOut(event.seq, { chunk: 0, chunks: 3, size: 1 });
    await log.chunkFannedOut(event.seq, { chunk: 2, chunks: 3, size: 1 });
    const queued: Job[] = [];
    const JOBS = { sendBatch: async (messages: { body: Job }[]) => void queued.push(...messages.map((m) => m.body)) } as unknown as Queue<Job>;
    await fanOutAgain({ ...env, FANOUT_CHUNK_SIZE: "1", JOBS }, { kind: "fanout", orgId: tenant.org, seqs: [event.seq] }, () => {});
    expect(queued).toEqual([{ kind: "fanout-chunk", orgId: tenant.org, seq: event.seq, chunk: 1, chunks: 3, size: 1 }]);
    // Cut with another size, the same chunk numbers are other webhooks: all are sent.
    queued.length = 0;
    await fanOutAgain({ ...env, FANOUT_CHUNK_SIZE: "2", JOBS }, { kind: "fanout", orgId: tenant.org, seqs: [event.seq] }, () => {});
    expect(queued.map((job) => job.kind === "fanout-chunk" && job.chunk)).toEqual([0, 1]);
  });

  it("gives a chunk of the next event its own seq as watermark once that chunk of each earlier waiting event to the same webhooks has reported", async () => {
    const { tenant, log, ingested } = await eventsToSameWebhooks(3, 2);
    const [first, second] = ingested;
    await log.chunkFannedOut(first!.seq, { chunk: 0, chunks: 3, size: 1 });
    expect((await log.fanoutWork(tenant.org, [second!.seq], { chunk: 0, size: 1 })).watermark).toBe(second!.seq);
    // Chunk 1 of the first event has not reported: its webhook may still get it.
    expect((await log.fanoutWork(tenant.org, [second!.seq], { chunk: 1, size: 1 })).watermark).toBe(first!.seq);
  });

  it("keeps the organization's watermark for a chunk when an earlier waiting event went to other webhooks", async () => {
    const { tenant, log, hooks } = await eventsToSameWebhooks(3, 0);
    const other = await log.storeAddressed(tenant.org, [{ kind: "test", source: "wink", type: "booking.created", data: "{}", webhookIds: hooks.map((hook) => hook.id) }]);
    if (!other.ok) throw new Error(other.refusal.message);
    const earlier = other.value[0]!;
    const next = await ingestOne(tenant);
    await log.chunkFannedOut(earlier.seq, { chunk: 0, chunks: 3, size: 1 });
    expect((await log.fanoutWork(tenant.org, [next.seq], { chunk: 0, size: 1 })).watermark).toBe(earlier.seq);
  });

  it("hands the next event's deliveries out with a chunk's appends while the previous event's other chunks are still out", async () => {
    const { tenant, log, ingested } = await eventsToSameWebhooks(3, 2);
    const [first, second] = ingested;
    const claims: DrainJob[] = [];
    for (const seq of [first!.seq, second!.seq]) {
      await fanOutChunk({ ...env, FANOUT_CHUNK_SIZE: "1" }, { kind: "fanout-chunk", orgId: tenant.org, seq, chunk: 0, chunks: 3, size: 1 }, (drain) => void claims.push(drain));
    }
    expect((await log.status()).watermark).toBe(first!.seq);
    // The first event's delivery went out with its append; the second's waits behind it, in order,
    // with no claim of its own: it was appended, as the watermark allows, ready to go next.
    expect(claims.map((claim) => claim.first?.delivery.seq)).toEqual([first!.seq]);
    expect(await sequencer(env, claims[0]!.webhookId).next(claims[0]!.lease, { report: { deliveryId: claims[0]!.first!.delivery.id, outcome: "succeeded", attempt: { started: Date.now(), durationMs: 1, statusCode: 200, errorKind: null, error: null, responseBody: null } } })).toMatchObject({ action: "deliver", delivery: { seq: second!.seq } });
  });

  it("counts the chunks of a large fan-out that reported before a restart: it ends when the rest report", async () => {
    const { tenant, log, event } = await waitingEvent(3);
    await log.chunkFannedOut(event.seq, { chunk: 0, chunks: 3, size: 1 });
    await log.chunkFannedOut(event.seq, { chunk: 2, chunks: 3, size: 1 });
    await evictDurableObject(log);
    const restarted = eventLog(env, tenant.org);
    await restarted.chunkFannedOut(event.seq, { chunk: 1, chunks: 3, size: 1 });
    expect(await restarted.status()).toMatchObject({ behind: 0, watermark: event.seq + 1 });
    const progressKept = await runInDurableObject(restarted, (_, state) => state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM chunks_done`).one().n);
    expect(progressKept).toBe(0);
  });

  it("re-drives after a restart only the chunks of a large fan-out that had not reported", async () => {
    const { tenant, log, event } = await waitingEvent(3);
    await log.chunkFannedOut(event.seq, { chunk: 0, chunks: 3, size: 1 });
    await log.chunkFannedOut(event.seq, { chunk: 2, chunks: 3, size: 1 });
    await evictDurableObject(log);
    const queued: Job[] = [];
    const JOBS = { sendBatch: async (messages: { body: Job }[]) => void queued.push(...messages.map((m) => m.body)) } as unknown as Queue<Job>;
    await fanOutAgain({ ...env, FANOUT_CHUNK_SIZE: "1", JOBS }, { kind: "fanout", orgId: tenant.org, seqs: [event.seq] }, () => {});
    expect(queued).toEqual([{ kind: "fanout-chunk", orgId: tenant.org, seq: event.seq, chunk: 1, chunks: 3, size: 1 }]);
  });

  it("gives a large fan-out whose chunks were reporting its progress grace again after a restart, instead of re-driving it at once", async () => {
    const { tenant, log, event } = await waitingEvent(3);
    await log.chunkFannedOut(event.seq, { chunk: 0, chunks: 3, size: 1 });
    try {
      // Restarted past the grace its storing gave it: the chunks not reported yet may still be in the queue.
      vi.setSystemTime(Date.now() + 31_000);
      await evictDurableObject(log);
      const restarted = eventLog(env, tenant.org);
      await runDurableObjectAlarm(restarted);
      expect((await restarted.status()).oldestWaiting).toMatchObject({ seq: event.seq, redrives: 0 });
    } finally {
      vi.useRealTimers();
    }
  });

  it("drops a large fan-out's chunk progress with its event when the event is purged before the fan-out ended", async () => {
    const { tenant, hooks, log, event } = await waitingEvent(3);
    await log.chunkFannedOut(event.seq, { chunk: 0, chunks: 3, size: 1 });
    // A later event, so that the purge may take this one (the newest is always kept).
    await log.storeAddressed(tenant.org, [{ kind: "test", source: "wink", type: "booking.created", data: "{}", webhookIds: [hooks[0]!.id] }]);
    const progressLeft = await runInDurableObject(log, (instance, state) => {
      expect(instance.purgeExpired(Date.now() + config(env).retentionMs + 1).events).toBe(1);
      return state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM chunks_done`).one().n;
    });
    expect(progressLeft).toBe(0);
  });

  it("waits longer before re-driving a fan-out split into chunk jobs, whose chunks may wait in the queue", async () => {
    const { log, event } = await waitingEvent(Number(env.FANOUT_CHUNK_SIZE) + 1);
    // Past the 5 s a fan-out done in one invocation gets, and past the alarm its storing set.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    await runDurableObjectAlarm(log);
    expect((await log.status()).oldestWaiting).toMatchObject({ seq: event.seq, redrives: 0 });
  });

  it("finishes a large fan-out only once every chunk of one size has reported, whatever other sizes reported", async () => {
    const { log, event } = await waitingEvent(3);
    // Chunks 0 and 2 of size 1 (webhooks 0 and 2) and chunk 1 of size 2 (webhook 2): webhook 1 is not reached.
    await log.chunkFannedOut(event.seq, { chunk: 0, chunks: 3, size: 1 });
    await log.chunkFannedOut(event.seq, { chunk: 1, chunks: 2, size: 2 });
    await log.chunkFannedOut(event.seq, { chunk: 2, chunks: 3, size: 1 });
    expect((await log.status()).behind).toBe(1);
    await log.chunkFannedOut(event.seq, { chunk: 0, chunks: 2, size: 2 });
    expect((await log.status()).behind).toBe(0);
  });

  it("starts a chunk's drains with their first delivery handed out and their event and webhook in hand", async () => {
    // Stored and waiting for its fan-out, as a chunk job finds it; chunks of two webhooks.
    const { tenant, hooks, event } = await waitingEvent(3);
    const started: { job: DrainJob; seed: DeliverySeed | undefined }[] = [];
    const chunk: FanoutChunkJob = { kind: "fanout-chunk", orgId: tenant.org, seq: event.seq, chunk: 1, chunks: 2, size: 2 };
    await fanOutChunk(env, chunk, (job, _reported, seed) => started.push({ job, seed }));
    expect(started.map(({ job }) => job.webhookId)).toEqual([hooks[2]!.id]);
    const [{ job, seed }] = started as [(typeof started)[0]];
    expect(job.first).toMatchObject({ action: "deliver", delivery: { eventId: event.eventId, attempt: 1 } });
    expect(seed!.events.map((e) => e.id)).toEqual([event.eventId]);
    expect(seed!.webhooks.map((webhook) => webhook.id)).toEqual([hooks[2]!.id]);
  });
});

/** A tenant with `count` new webhooks and a test event stored for them, waiting for its fan-out as a queued fan-out job finds it. */
/** `events` events ingested one by one to `count` webhooks that all take them (OrgConfig's one list of them for every event). */
async function eventsToSameWebhooks(count: number, events: number) {
  const tenant = await producerTenant();
  const hooks = [];
  for (let i = 0; i < count; i++) hooks.push(await enabledWebhook(tenant, receiverUrl(bucket()), { events: ["booking.created"] }));
  const ingested = [];
  for (let i = 0; i < events; i++) ingested.push(await ingestOne(tenant));
  return { tenant, hooks, log: eventLog(env, tenant.org), ingested };
}

/** One event stored by the organization's log, not fanned out (the route would fan it out at once). */
async function ingestOne(tenant: Producer) {
  const answer = await eventLog(env, tenant.org).ingest({ orgId: tenant.org, keyId: tenant.producerKey.split("_")[1]!, source: "wink", batch: false, events: [{ type: "booking.created", entity: null, data: "{}", producerId: null }] });
  if (!answer.ok) throw new Error(answer.refusal.message);
  return answer.value.events[0]!;
}

async function waitingEvent(count: number) {
  const tenant = await producerTenant();
  const hooks = [];
  for (let i = 0; i < count; i++) hooks.push(await enabledWebhook(tenant, receiverUrl(bucket())));
  const log = eventLog(env, tenant.org);
  const stored = await log.storeAddressed(tenant.org, [{ kind: "test", source: "wink", type: "booking.created", data: "{}", webhookIds: hooks.map((hook) => hook.id) }]);
  if (!stored.ok) throw new Error(stored.refusal.message);
  return { tenant, hooks, log, event: stored.value[0]! };
}
