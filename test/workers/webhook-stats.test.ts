// Per-webhook statistics: kept by the sequencer as 5-minute aggregates, read through
// GET …/webhooks/{id}/stats with real receivers behind the deliveries.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { sequencer } from "../../src/delivery/sequencer-client";
import { AttemptStats, BUCKET_MS } from "../../src/sequencer/stats";
import type { AttemptRecord } from "../../src/sequencer/records";
import { call, expectError, webhooksPath } from "./helpers";
import { signedIn } from "./page-helpers";
import { enabledWebhook, finalDeliveries, postEvent, producerTenant, receivedCount, receiverUrl, waitFor } from "./delivery-helpers";

const statsOf = (tenant: { org: string; auth: any }, id: string, query = "") => call("GET", `${webhooksPath(tenant.org, id)}/stats${query}`, { auth: tenant.auth });

describe("GET …/webhooks/{id}/stats", () => {
  it("counts deliveries by outcome, every attempt and their latency, over the last 24 hours by default", async () => {
    const tenant = await producerTenant();
    // The first event is answered 503 then 200 (one retry), the second 404 (failed at once).
    const hook = await enabledWebhook(tenant, receiverUrl(crypto.randomUUID(), "503,200,404"));
    for (const n of [1, 2]) await postEvent(tenant, { type: "booking.created", data: { n } });
    await finalDeliveries(tenant, hook.id, 2);

    const stats = await statsOf(tenant, hook.id);
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({
      window: "24h",
      stepMs: 3_600_000,
      totals: { succeeded: 1, failed: 1, attempts: 3, successRate: 0.5 },
      backlog: { pending: 0, oldestAgeMs: null },
    });
    expect(stats.body.totals.latencyMs.p50).toBeGreaterThan(0);
    expect(stats.body.totals.latencyMs.p95).toBeGreaterThanOrEqual(stats.body.totals.latencyMs.p50);
    expect(stats.body.series).toHaveLength(24);
    const summed = (field: "succeeded" | "failed" | "attempts") => stats.body.series.reduce((sum: number, point: Record<string, number>) => sum + point[field]!, 0);
    expect([summed("succeeded"), summed("failed"), summed("attempts")]).toEqual([1, 1, 3]);
  });

  it("shows the backlog: deliveries not final yet and how long the oldest has waited", async () => {
    const tenant = await producerTenant();
    const bucket = crypto.randomUUID();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket, "slow:2000,200"));
    for (const n of [1, 2]) await postEvent(tenant, { type: "booking.created", data: { n } });
    await receivedCount(bucket, 1);
    const stats = await statsOf(tenant, hook.id, "?window=1h");
    expect(stats.body.backlog.pending).toBe(2);
    expect(stats.body.backlog.oldestAgeMs).toBeGreaterThan(0);
    expect(stats.body.series).toHaveLength(12);
    await waitFor(async () => (await statsOf(tenant, hook.id, "?window=1h")).body.backlog.pending === 0, 20_000, "an empty backlog");
  });

  it("refuses an unknown window, naming it, and answers 404 for another organization's webhook", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, "https://stats.example/hook");
    const refused = await statsOf(tenant, hook.id, "?window=2d");
    expect(expectError(refused, 400, "invalid_request")).toEqual(["query.window"]);
    expect(refused.body.error.details[0].reason).toBe("must be one of 1h, 24h, 7d");
    const other = await producerTenant();
    expectError(await statsOf(other, hook.id), 404, "not_found");
  });
});

describe("the webhook's page", () => {
  it("shows the last 24 hours: success rate, counts, latency, backlog and a bar per hour", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(crypto.randomUUID(), "200,404"));
    for (const n of [1, 2]) await postEvent(tenant, { type: "booking.created", data: { n } });
    await finalDeliveries(tenant, hook.id, 2);
    const page = await (await signedIn(tenant)).get(`/ui/webhooks/${hook.id}`);
    expect(page.status).toBe(200);
    const figures = /<dl class="stats" id="delivery-stats">(.*?)<\/dl>/s.exec(page.html)?.[1]?.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
    expect(figures).toMatch(/^Success rate 50\.0 % Succeeded 1 Failed 1 Attempts 2 Latency p50 ≤ \d+ ms, p95 ≤ \d+ ms Backlog none$/);
    const chart = /<svg class="chart".*?<\/svg>/s.exec(page.html)?.[0] ?? "";
    expect(chart.match(/<g>/g)).toHaveLength(24);
    expect(chart).toMatch(/the busiest hour had [12]\./);
    expect(chart).toMatch(/\d\d:00 UTC: 1 succeeded/);
    expect(chart).toMatch(/succeeded, 1 failed/);
  });
});

describe("the sequencer's aggregates", () => {
  const attempt = (outcome: AttemptRecord["outcome"], durationMs: number): AttemptRecord => ({
    attempt: 1, started: 0, durationMs, statusCode: outcome === "succeeded" ? 200 : 503, errorKind: null, error: null, responseBody: null, outcome,
  });

  it("keeps one row per 5-minute bucket, cuts windows into their steps, and prunes buckets past 8 days", async () => {
    const hour = 3_600_000;
    const now = Math.floor(Date.now() / hour) * hour + 30 * 60_000; // half past the hour
    await runInDurableObject(sequencer(env, crypto.randomUUID()), (_instance, state) => {
      const { sql } = state.storage;
      const stats = new AttemptStats(sql, { changesFrom: () => null, attemptsEndedAfter: () => [] });
      const buckets = () => sql.exec(`SELECT bucket FROM attempt_stats ORDER BY bucket`).toArray().map((r) => r.bucket);
      const twoHoursAgo = now - 2 * hour - ((now - 2 * hour) % BUCKET_MS);
      stats.record(attempt("succeeded", 5), now - 9 * 24 * hour);
      stats.record(attempt("retry", 40), now - 2 * hour);
      // A new bucket starting writes the ones held, itself included: the one past 8 days is pruned at once.
      expect(buckets()).toEqual([twoHoursAgo]);
      stats.record(attempt("succeeded", 80), now - 2 * hour + 1_000);
      expect(buckets()).toEqual([twoHoursAgo]);
      for (let i = 0; i < 8; i++) stats.record(attempt("succeeded", 8), now - 20 * 60_000);
      expect(buckets()).toEqual([twoHoursAgo, now - 20 * 60_000]);
      stats.record(attempt("failed", 3_000), now);
      // Reading counts what is still in memory.
      const day = stats.read("24h", now, { pending: 0, oldest: null });
      expect(buckets()).toEqual([twoHoursAgo, now - 20 * 60_000, now]);
      expect(day.series).toHaveLength(24);
      expect(day.from).toBe(now - 30 * 60_000 - 23 * hour);
      expect(day.totals).toEqual({ succeeded: 9, failed: 1, attempts: 11, successRate: 0.9, latencyMs: { p50: 10, p95: 5_000 } });
      expect(day.series.at(-3)).toEqual({ start: now - 30 * 60_000 - 2 * hour, succeeded: 1, failed: 0, attempts: 2, latencyMs: { p50: 50, p95: 100 } });
      expect(day.series.at(-1)).toMatchObject({ succeeded: 8, failed: 1, attempts: 9 });

      // Counts written in two flushes add up in their bucket.
      stats.record(attempt("succeeded", 8), now + 1_000);
      stats.flush(now + 1_000);
      const lastHour = stats.read("1h", now + 1_000, { pending: 3, oldest: now - 4_000 });
      expect(lastHour.series).toHaveLength(12);
      expect(lastHour.totals.attempts).toBe(10);
      expect(lastHour.backlog).toEqual({ pending: 3, oldestAgeMs: 5_000 });

      const week = stats.read("7d", now + 1_000, { pending: 0, oldest: null });
      expect(week.series).toHaveLength(28);
      expect(week.totals.attempts).toBe(12);
    });
  });

  it("counts again only what the last write did not cover", async () => {
    await runInDurableObject(sequencer(env, crypto.randomUUID()), (_instance, state) => {
      const { sql } = state.storage;
      const now = Date.now();
      const logged = [{ attempt: attempt("succeeded", 5), at: now - 1_000 }];
      const asked: number[] = [];
      const log = { changesFrom: () => ({ seq: 3, position: 0 }), attemptsEndedAfter: (_from: unknown, after: number) => (asked.push(after), logged) };
      const first = new AttemptStats(sql, log);
      expect(asked).toEqual([0]); // nothing written yet: the whole log
      first.flush(now);
      const attempts = () => sql.exec(`SELECT sum(attempts) AS n FROM attempt_stats`).one().n;
      expect(attempts()).toBe(1);
      new AttemptStats(sql, { ...log, attemptsEndedAfter: (_from, after) => (asked.push(after), []) }).flush(now + 1);
      expect(asked).toEqual([0, now]); // from the note the write left
      expect(attempts()).toBe(1);
    });
  });

  it("writes the counts of a quiet webhook when its alarm rings, not with each delivery", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(crypto.randomUUID()));
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await finalDeliveries(tenant, hook.id, 1);
    const stub = sequencer(env, hook.id);
    /** Attempts in the statistics rows written (null: none written, not even the table). */
    const written = () =>
      runInDurableObject(stub, (_instance, { storage: { sql } }) =>
        sql.exec(`SELECT 1 FROM sqlite_master WHERE name = 'attempt_stats'`).toArray().length > 0 ? sql.exec(`SELECT sum(attempts) AS n FROM attempt_stats`).one().n : null,
      );
    expect(await written()).toBeNull();
    await runDurableObjectAlarm(stub);
    expect(await written()).toBe(1);
  });

  it("counts again, after the sequencer is evicted, the deliveries it had not written yet", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, receiverUrl(crypto.randomUUID()));
    const stats = async () => (await statsOf(tenant, hook.id)).body.totals;
    await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
    await finalDeliveries(tenant, hook.id, 1);
    expect(await stats()).toMatchObject({ succeeded: 1, attempts: 1 }); // read, so written
    for (const n of [2, 3]) await postEvent(tenant, { type: "booking.created", data: { n } });
    await finalDeliveries(tenant, hook.id, 3);
    await evictDurableObject(sequencer(env, hook.id));
    expect(await stats()).toMatchObject({ succeeded: 3, failed: 0, attempts: 3 });
    // Counted once: written now, and not counted again by the next restart.
    await evictDurableObject(sequencer(env, hook.id));
    expect(await stats()).toMatchObject({ succeeded: 3, attempts: 3 });
  });
});
