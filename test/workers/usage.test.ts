import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { eventLog } from "../../src/ingest/event-log-client";
import { describe, expect, it } from "vitest";
import { call, createKey, createTenant, webhooksPath, type Tenant } from "./helpers";
import {
  conditionBody,
  createCondition,
  createWebhook,
  CYCLE_1,
  CYCLE_2,
  expectedPayload,
  report,
  usagePath,
  usageReport,
} from "./notification-helpers";

/** A tenant with one webhook and one condition on rate plan "plan-1". */
async function setUp(usageTarget: string, options: { published?: boolean } = {}) {
  const tenant = await createTenant();
  const webhook = await createWebhook(tenant);
  const condition = await createCondition(tenant, conditionBody("plan-1", usageTarget, [webhook.id], options.published ?? true));
  return { tenant, webhook, condition, c: condition.id };
}

/** Rows of the organization's event log, where usage is counted. */
function logRows(tenant: Tenant, query: string, ...bindings: SqlStorageValue[]) {
  return runInDurableObject(eventLog(env, tenant.org), (_log, state) => state.storage.sql.exec(query, ...bindings).toArray());
}

/** The claimed crossings (the bookkeeping table), oldest cycle and lowest threshold first. */
const firings = (tenant: Tenant) =>
  logRows(tenant, "SELECT developer, rate_plan_id, cycle, condition_id, threshold FROM usage_firings ORDER BY cycle, developer, threshold, condition_id");

async function usageRow(tenant: Tenant, cycle = CYCLE_1) {
  return (await logRows(tenant, "SELECT transactions, quota_target FROM usage_counters WHERE cycle = ?", cycle))[0] ?? null;
}

describe("usage reports: crossing detection", () => {
  it("fires a threshold on an exact hit, once", async () => {
    const { tenant, c } = await setUp("%= 80");
    expect((await report(tenant, usageReport("plan-1", { transactions: 799 }))).fired).toEqual([]);
    const hit = await report(tenant, usageReport("plan-1", { transactions: 800 }));
    expect(hit.fired).toEqual([[c, 80]]);
    expect(hit.body).toMatchObject({ transactions: 800, quotaTarget: 1000, quotaPercentUsed: 80, ratePlanId: "plan-1", nextBillingCycleStartDate: CYCLE_1 });
    expect((await report(tenant, usageReport("plan-1", { transactions: 800 }))).fired).toEqual([]);
    expect((await report(tenant, usageReport("plan-1", { transactions: 950 }))).fired).toEqual([]);
    expect(await firings(tenant)).toEqual([
      { developer: "dev@example.com", rate_plan_id: "plan-1", cycle: CYCLE_1, condition_id: c, threshold: 8000 },
    ]);
  });

  it("fires every threshold a jump crosses, ascending, once each (70 % → 130 %)", async () => {
    const { tenant, c } = await setUp("%= 80 to 120 by 10");
    expect((await report(tenant, usageReport("plan-1", { transactions: 700 }))).fired).toEqual([]);
    const jump = await report(tenant, usageReport("plan-1", { transactions: 1300 }));
    expect(jump.fired).toEqual([[c, 80], [c, 90], [c, 100], [c, 110], [c, 120]]);
    expect(jump.body.fired.map((f: any) => f.payload.triggerReason)).toEqual(
      [80, 90, 100, 110, 120].map((p) => `Usage crossed ${p}% of the transaction target (1300 of 1000 transactions, 130%); UsageTarget "%= 80 to 120 by 10"`),
    );
    expect((await report(tenant, usageReport("plan-1", { transactions: 1300 }))).fired).toEqual([]);
    expect((await report(tenant, usageReport("plan-1", { transactions: 5000 }))).fired).toEqual([]);
    expect((await firings(tenant)).map((f) => f.threshold)).toEqual([8000, 9000, 10000, 11000, 12000]);
  });

  it("counts increments and fires as they cross", async () => {
    const { tenant, c } = await setUp("%= 50 to 100 by 25");
    expect((await report(tenant, usageReport("plan-1", { increment: 400 }))).fired).toEqual([]);
    const second = await report(tenant, usageReport("plan-1", { increment: 100 }));
    expect(second.fired).toEqual([[c, 50]]);
    expect(second.body.transactions).toBe(500);
    expect((await report(tenant, usageReport("plan-1", { increment: 0 }))).fired).toEqual([]);
    expect((await report(tenant, usageReport("plan-1", { increment: 600 }))).fired).toEqual([[c, 75], [c, 100]]);
    expect(await usageRow(tenant)).toEqual({ transactions: 1100, quota_target: 1000 });
  });

  it("compares decimal thresholds exactly", async () => {
    const { tenant, c } = await setUp("%= 12.5 to 20 by 2.5");
    // 12.49 % of 10000 is 1249 transactions: not yet 12.5 %.
    expect((await report(tenant, usageReport("plan-1", { transactions: 1249 }, { quotaTarget: 10_000 }))).fired).toEqual([]);
    expect((await report(tenant, usageReport("plan-1", { transactions: 1250 }, { quotaTarget: 10_000 }))).fired).toEqual([[c, 12.5]]);
    const rest = await report(tenant, usageReport("plan-1", { transactions: 1751 }, { quotaTarget: 10_000 }));
    expect(rest.fired).toEqual([[c, 15], [c, 17.5]]);
    expect(rest.body.fired[0].payload.quotaPercentUsed).toBe(17.51);
  });

  it("fires each crossing once when reports arrive concurrently", async () => {
    const { tenant, c } = await setUp("%= 10 to 200 by 10");
    const answers = await Promise.all(Array.from({ length: 20 }, () => report(tenant, usageReport("plan-1", { increment: 100 }))));
    const fired = answers.flatMap((a) => a.fired).sort((a, b) => a[1] - b[1]);
    expect(fired).toEqual(Array.from({ length: 20 }, (_, i) => [c, 10 * (i + 1)]));
    expect((await usageRow(tenant))!.transactions).toBe(2000);
    expect(await firings(tenant)).toHaveLength(20);

    // The same absolute count reported many times at once fires once.
    const again = await setUp("%= 80");
    const same = await Promise.all(Array.from({ length: 10 }, () => report(again.tenant, usageReport("plan-1", { transactions: 900 }))));
    expect(same.flatMap((a) => a.fired)).toEqual([[again.c, 80]]);
  });

  it("never lowers usage with an older absolute count arriving late", async () => {
    const { tenant, c } = await setUp("%= 80 to 100 by 10");
    expect((await report(tenant, usageReport("plan-1", { transactions: 900 }))).fired).toEqual([[c, 80], [c, 90]]);
    const late = await report(tenant, usageReport("plan-1", { transactions: 850 }));
    expect(late.fired).toEqual([]);
    expect(late.body.transactions).toBe(900);
    // From 900, not from 850: 90 % is not crossed again.
    expect((await report(tenant, usageReport("plan-1", { transactions: 1000 }))).fired).toEqual([[c, 100]]);
    expect((await report(tenant, usageReport("plan-1", { transactions: 10 }))).fired).toEqual([]);
    expect((await usageRow(tenant))!.transactions).toBe(1000);
  });

  it("measures a crossing against the target of each report: a lowered target crosses, a raised one does not", async () => {
    const { tenant, c } = await setUp("%= 80 to 120 by 20");
    expect((await report(tenant, usageReport("plan-1", { transactions: 600 }, { quotaTarget: 1000 }))).fired).toEqual([]);
    // Same count, half the target: from 60 % to 120 %.
    const lowered = await report(tenant, usageReport("plan-1", { transactions: 600 }, { quotaTarget: 500 }));
    expect(lowered.fired).toEqual([[c, 80], [c, 100], [c, 120]]);
    expect(lowered.body.fired[0].payload).toMatchObject({ developerRatePlanQuotaTarget: 500, quotaPercentUsed: 120 });

    const other = { email: "raised@example.com" };
    expect((await report(tenant, usageReport("plan-1", { transactions: 900 }, { ...other, quotaTarget: 1000 }))).fired).toEqual([[c, 80]]);
    // From 90 % down to 55 %: nothing is crossed upwards.
    expect((await report(tenant, usageReport("plan-1", { transactions: 1100 }, { ...other, quotaTarget: 2000 }))).fired).toEqual([]);
    expect((await report(tenant, usageReport("plan-1", { transactions: 2000 }, { ...other, quotaTarget: 2000 }))).fired).toEqual([[c, 100]]);
  });

  it("re-arms every threshold in a new billing cycle; a late report of the old cycle counts there", async () => {
    const { tenant, c } = await setUp("%= 80 to 120 by 20");
    expect((await report(tenant, usageReport("plan-1", { transactions: 1000 }))).fired).toEqual([[c, 80], [c, 100]]);
    const next = await report(tenant, usageReport("plan-1", { transactions: 850 }, { cycle: CYCLE_2 }));
    expect(next.fired).toEqual([[c, 80]]);
    expect(next.body).toMatchObject({ transactions: 850, nextBillingCycleStartDate: CYCLE_2 });
    expect(next.body.fired[0].payload.nextBillingCycleStartDate).toBe(CYCLE_2);
    expect((await report(tenant, usageReport("plan-1", { transactions: 1200 }, { cycle: CYCLE_1 }))).fired).toEqual([[c, 120]]);
    expect((await report(tenant, usageReport("plan-1", { transactions: 1000 }, { cycle: CYCLE_2 }))).fired).toEqual([[c, 100]]);
    expect((await firings(tenant)).map((f) => [f.cycle, f.threshold])).toEqual([
      [CYCLE_1, 8000],
      [CYCLE_1, 10000],
      [CYCLE_1, 12000],
      [CYCLE_2, 8000],
      [CYCLE_2, 10000],
    ]);
  });

  it("PUBLISHED=TRUE matches only a published plan; without it any plan matches", async () => {
    const { tenant, webhook, c: publishedOnly } = await setUp("%= 80");
    const any = (await createCondition(tenant, conditionBody("plan-1", "%= 80", [webhook.id], false))).id;
    expect((await report(tenant, usageReport("plan-1", { transactions: 900 }, { published: false }))).fired).toEqual([[any, 80]]);
    // Published later in the same cycle: the crossing happened while it was not, and is not replayed.
    expect((await report(tenant, usageReport("plan-1", { transactions: 950 }, { published: true }))).fired).toEqual([]);
    const fresh = await report(tenant, usageReport("plan-1", { transactions: 900 }, { published: true, email: "other@example.com" }));
    expect(fresh.fired).toEqual([[publishedOnly, 80], [any, 80]]);
  });

  it("matches conditions by rate plan id and keeps developers apart", async () => {
    const { tenant, webhook, c } = await setUp("%= 50");
    const other = (await createCondition(tenant, conditionBody("plan-2", "%= 50", [webhook.id]))).id;
    expect((await report(tenant, usageReport("plan-3", { transactions: 900 }))).fired).toEqual([]);
    expect((await report(tenant, usageReport("plan-2", { transactions: 900 }))).fired).toEqual([[other, 50]]);
    expect((await report(tenant, usageReport("plan-1", { transactions: 900 }))).fired).toEqual([[c, 50]]);
    expect((await report(tenant, usageReport("plan-1", { transactions: 900 }, { email: "Second@Example.com" }))).fired).toEqual([[c, 50]]);
    // E-mail case does not make another developer.
    expect((await report(tenant, usageReport("plan-1", { transactions: 990 }, { email: "second@example.com" }))).fired).toEqual([]);
  });

  it("claims nothing for a condition whose webhooks were all deleted", async () => {
    const { tenant, webhook } = await setUp("%= 80");
    expect((await call("DELETE", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth })).status).toBe(204);
    expect((await report(tenant, usageReport("plan-1", { transactions: 900 }))).fired).toEqual([]);
    expect(await firings(tenant)).toEqual([]);
  });

  it("stops firing a deleted condition", async () => {
    const { tenant, c } = await setUp("%= 50 to 100 by 50");
    expect((await report(tenant, usageReport("plan-1", { transactions: 600 }))).fired).toEqual([[c, 50]]);
    expect((await call("DELETE", `/v1/mint/organizations/${tenant.org}/notification-conditions/${c}`, { auth: tenant.auth })).status).toBe(204);
    expect((await report(tenant, usageReport("plan-1", { transactions: 1000 }))).fired).toEqual([]);
    expect((await firings(tenant)).map((f) => f.threshold)).toEqual([5000]);
  });
});

describe("usage reports: the payload of what fired", () => {
  it("fills every field of the seed's callback payload from the report", async () => {
    const { tenant, webhook, c } = await setUp("%= 80 to 120 by 10");
    const before = Date.now();
    const answer = await report(tenant, usageReport("plan-1", { transactions: 853 }));
    expect(answer.body.fired).toHaveLength(1);
    const fired = answer.body.fired[0];
    expect(fired).toMatchObject({ conditionId: c, threshold: 80, webhookIds: [webhook.id] });
    expect(fired.payload).toEqual(
      expectedPayload(tenant.org, "plan-1", {
        quotaPercentUsed: 85.3,
        triggerTime: expect.any(Number),
        triggerReason: 'Usage crossed 80% of the transaction target (853 of 1000 transactions, 85.3%); UsageTarget "%= 80 to 120 by 10"',
      }),
    );
    expect(fired.payload.triggerTime).toBeGreaterThanOrEqual(before);
    expect(fired.payload.triggerTime).toBeLessThanOrEqual(Date.now());
  });

  it("says null for a missing company and an open-ended plan, and rounds the percentage down", async () => {
    const { tenant } = await setUp("%= 33");
    const body = usageReport("plan-1", { transactions: 1 }, { quotaTarget: 3 }) as any;
    delete body.company;
    body.ratePlan.endDate = null;
    delete body.ratePlan.quotaResetDate;
    const fired = (await report(tenant, body)).body.fired[0];
    expect(fired.payload).toMatchObject({ companyName: null, ratePlanEndDate: null, quotaPercentUsed: 33.33, developerQuotaResetDate: "2026-01-01T00:00:00.000Z" });
  });
});

describe("usage reports: input and access", () => {
  it.each<[string, (body: any) => void, string, RegExp]>([
    ["both counts", (b) => (b.increment = 5), "increment", /give exactly one of transactions/],
    ["no count", (b) => delete b.transactions, "transactions", /give exactly one of transactions/],
    ["a negative count", (b) => (b.transactions = -1), "transactions", /must not be negative/],
    ["a fractional count", (b) => (b.transactions = 1.5), "transactions", /whole number/],
    ["a zero target", (b) => (b.quotaTarget = 0), "quotaTarget", /at least 1/],
    ["a cycle before the plan starts", (b) => (b.ratePlan.nextBillingCycleStartDate = b.ratePlan.startDate), "ratePlan.nextBillingCycleStartDate", /after startDate/],
    ["an end before the start", (b) => (b.ratePlan.endDate = 0), "ratePlan.endDate", /not be before startDate/],
    ["a date as a string", (b) => (b.ratePlan.startDate = "2026-01-01"), "ratePlan.startDate", /epoch milliseconds/],
    ["published as a string", (b) => (b.ratePlan.published = "TRUE"), "ratePlan.published", /true or false/],
    ["no products", (b) => (b.products = []), "products", /must list the API products/],
    ["a bad e-mail", (b) => (b.developer.email = "dev"), "developer.email", /e-mail/],
    ["an unknown field", (b) => (b.developerId = "x"), "developerId", /not a known field/],
  ])("refuses %s with 400 naming the field, recording nothing", async (_, change, field, reason) => {
    const { tenant } = await setUp("%= 1");
    const body = usageReport("plan-1", { transactions: 900 });
    change(body);
    const refused = await call("POST", usagePath(tenant.org), { auth: tenant.auth, body });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toContainEqual({ field, reason: expect.stringMatching(reason) });
    expect(await usageRow(tenant)).toBeNull();
  });

  it("takes producer and admin keys of the organization", async () => {
    const { tenant, c } = await setUp("%= 50");
    const stranger = await createTenant();
    const producer = await createKey(tenant.org, { email: "meter@example.com", role: "producer", source: "mint" });
    const body = usageReport("plan-1", { transactions: 600 });
    expect((await call("POST", usagePath(tenant.org), { body })).status).toBe(401);
    expect((await call("POST", usagePath(tenant.org), { auth: stranger.auth, body })).status).toBe(404);
    const byProducer = await call("POST", usagePath(tenant.org), { auth: { bearer: producer }, body });
    expect(byProducer.status).toBe(200);
    expect(byProducer.body.fired.map((f: any) => [f.conditionId, f.threshold])).toEqual([[c, 50]]);
    expect((await call("POST", usagePath(tenant.org), { auth: tenant.auth, body })).status).toBe(200);
  });
});
