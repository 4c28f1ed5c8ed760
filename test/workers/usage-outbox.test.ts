// What a report hands to the delivery pipeline, and what happens when the pipeline refuses: the
// claimed crossings wait in notification_firings, and the next report or the sweep posts them. The
// pipeline's entry point is passed in, so these tests see exactly what it is given and can make it
// fail. (usage-delivery.test.ts runs the same paths through the real pipeline.)
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { UsageReport } from "../../src/api/usage-schemas";
import { FIRING_LEASE_MS, reportUsage, USAGE_NOTIFICATION_TYPE, type PostDirectedEvents } from "../../src/notifications/usage";
import { postPendingFirings, SWEEP_GROUPS } from "../../src/notifications/outbox";
import { call, createTenant, webhooksPath, type Tenant } from "./helpers";
import { conditionBody, createCondition, createWebhook, usageReport } from "./notification-helpers";

type Posted = { orgId: string; items: { type: string; body: any; webhookIds: string[]; key: string }[] };

/** The pipeline's entry, recording each call and answering with event ids (or refusing). */
function pipeline(options: { refuse?: boolean } = {}) {
  const calls: Posted[] = [];
  const post: PostDirectedEvents = async (_env, orgId, items) => {
    calls.push({ orgId, items: items as Posted["items"] });
    if (options.refuse) throw new Error("queue unavailable");
    return items.map((_, i) => `event-${calls.length}-${i}`);
  };
  return { post, calls };
}

const send = (tenant: Tenant, transactions: number, post: PostDirectedEvents, now?: number) =>
  reportUsage(env, tenant.org, UsageReport.parse(usageReport("plan-1", { transactions })), post, now);

async function firingStates(tenant: Tenant) {
  const { results } = await env.DB.prepare(
    "SELECT condition_id, threshold, state, event_id, lease_until FROM notification_firings WHERE org_id = ? ORDER BY threshold, condition_id",
  )
    .bind(tenant.org)
    .all();
  return results;
}

describe("usage notifications handed to the delivery pipeline", () => {
  it("posts one event per crossing, ascending by threshold across conditions, to each condition's webhooks", async () => {
    const tenant = await createTenant();
    const one = await createWebhook(tenant, { name: "one" });
    const two = await createWebhook(tenant, { name: "two" });
    const a = (await createCondition(tenant, conditionBody("plan-1", "%= 80 to 100 by 10", [one.id]))).id;
    const b = (await createCondition(tenant, conditionBody("plan-1", "%= 85", [two.id, one.id]))).id;
    const { post, calls } = pipeline();

    const result = await send(tenant, 1000, post);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.orgId).toBe(tenant.org);
    expect(calls[0]!.items.map((i) => [i.type, i.body.triggerReason.match(/crossed ([\d.]+)%/)![1], i.webhookIds])).toEqual([
      [USAGE_NOTIFICATION_TYPE, "80", [one.id]],
      [USAGE_NOTIFICATION_TYPE, "85", [two.id, one.id]],
      [USAGE_NOTIFICATION_TYPE, "90", [one.id]],
      [USAGE_NOTIFICATION_TYPE, "100", [one.id]],
    ]);
    expect(result.fired.map((f) => [f.conditionId, f.threshold, f.status, f.eventId])).toEqual([
      [a, 80, "queued", "event-1-0"],
      [b, 85, "queued", "event-1-1"],
      [a, 90, "queued", "event-1-2"],
      [a, 100, "queued", "event-1-3"],
    ]);
    // The body posted is the payload the report answers with.
    expect(calls[0]!.items.map((i) => i.body)).toEqual(result.fired.map((f) => f.payload));
    expect(result.retried).toEqual([]);
    expect((await firingStates(tenant)).map((f) => [f.threshold, f.state, f.event_id])).toEqual([
      [8000, "queued", "event-1-0"],
      [8500, "queued", "event-1-1"],
      [9000, "queued", "event-1-2"],
      [10000, "queued", "event-1-3"],
    ]);

    expect((await send(tenant, 1000, post)).fired).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it("keeps crossings the pipeline refused and posts them with the next report, once", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    const c = (await createCondition(tenant, conditionBody("plan-1", "%= 80 to 100 by 10", [webhook.id]))).id;
    const down = pipeline({ refuse: true });

    const refused = await send(tenant, 900, down.post);
    expect(refused.fired.map((f) => [f.threshold, f.status, f.eventId])).toEqual([
      [80, "pending", null],
      [90, "pending", null],
    ]);
    expect((await firingStates(tenant)).map((f) => [f.threshold, f.state, f.lease_until])).toEqual([
      [8000, "pending", 0],
      [9000, "pending", 0],
    ]);

    const up = pipeline();
    const next = await send(tenant, 1000, up.post);
    expect(next.fired.map((f) => [f.conditionId, f.threshold, f.status])).toEqual([[c, 100, "queued"]]);
    expect(next.retried.map((f) => [f.conditionId, f.threshold, f.status])).toEqual([
      [c, 80, "queued"],
      [c, 90, "queued"],
    ]);
    // One call, in ascending order, the retried crossings with the usage recorded when they were crossed.
    expect(up.calls).toHaveLength(1);
    expect(up.calls[0]!.items.map((i) => [i.body.triggerReason.match(/crossed (\d+)%/)![1], i.body.quotaPercentUsed])).toEqual([
      ["80", 90],
      ["90", 90],
      ["100", 100],
    ]);
    expect((await firingStates(tenant)).map((f) => f.state)).toEqual(["queued", "queued", "queued"]);

    const after = await send(tenant, 1000, up.post);
    expect([after.fired, after.retried]).toEqual([[], []]);
    expect(up.calls).toHaveLength(1);
  });

  it("leaves a crossing to the report posting it until its lease runs out", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    await createCondition(tenant, conditionBody("plan-1", "%= 50", [webhook.id]));
    const t0 = Date.now();
    await send(tenant, 600, pipeline({ refuse: true }).post, t0);
    // As if the report that claimed it were still posting (or had died doing so) since t0.
    await env.DB.prepare("UPDATE notification_firings SET lease_until = ? WHERE org_id = ?").bind(t0 + 30_000, tenant.org).run();

    const up = pipeline();
    expect((await send(tenant, 600, up.post, t0 + 29_999)).retried).toEqual([]);
    expect(up.calls).toHaveLength(0);
    const taken = await send(tenant, 600, up.post, t0 + 30_000);
    expect(taken.retried.map((f) => [f.threshold, f.status])).toEqual([[50, "queued"]]);
    expect(up.calls).toHaveLength(1);
  });

  it("drops a waiting crossing whose condition has no webhook left", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    await createCondition(tenant, conditionBody("plan-1", "%= 50", [webhook.id]));
    await send(tenant, 600, pipeline({ refuse: true }).post);
    expect((await call("DELETE", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth })).status).toBe(204);

    const up = pipeline();
    const next = await send(tenant, 700, up.post);
    expect(next.retried.map((f) => [f.threshold, f.status, f.webhookIds])).toEqual([[50, "dropped", []]]);
    expect(up.calls).toHaveLength(0);
    expect((await firingStates(tenant)).map((f) => f.state)).toEqual(["dropped"]);
    expect((await send(tenant, 800, up.post)).retried).toEqual([]);
  });
});

describe("the outbox sweep", () => {
  /** The sweep's outcomes for this tenant's firings (it takes every organization's). */
  const sweep = async (tenant: Tenant, post: PostDirectedEvents, now?: number) =>
    (await postPendingFirings(env, post, now)).filter((f) => f.payload.orgName === tenant.org);

  it("posts crossings the pipeline refused without any further report, with the report's payload, once", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    const c = (await createCondition(tenant, conditionBody("plan-1", "%= 80 to 100 by 10", [webhook.id]))).id;
    const refused = await send(tenant, 950, pipeline({ refuse: true }).post);
    expect(refused.fired.map((f) => f.status)).toEqual(["pending", "pending"]);

    const up = pipeline();
    const swept = await sweep(tenant, up.post);
    expect(swept.map((f) => [f.conditionId, f.threshold, f.status])).toEqual([
      [c, 80, "queued"],
      [c, 90, "queued"],
    ]);
    const mine = up.calls.filter((call) => call.orgId === tenant.org);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.items.map((i) => i.body)).toEqual(refused.fired.map((f) => f.payload));
    expect(mine[0]!.items.map((i) => i.webhookIds)).toEqual([[webhook.id], [webhook.id]]);
    expect((await firingStates(tenant)).map((f) => f.state)).toEqual(["queued", "queued"]);

    expect(await sweep(tenant, up.post)).toEqual([]);
    expect((await send(tenant, 950, up.post)).retried).toEqual([]);
  });

  it("does not sweep a crossing whose lease is live", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    await createCondition(tenant, conditionBody("plan-1", "%= 50", [webhook.id]));
    const t0 = Date.now();
    await send(tenant, 600, pipeline({ refuse: true }).post, t0);
    await env.DB.prepare("UPDATE notification_firings SET lease_until = ? WHERE org_id = ?").bind(t0 + FIRING_LEASE_MS, tenant.org).run();

    const up = pipeline();
    expect(await sweep(tenant, up.post, t0 + FIRING_LEASE_MS - 1)).toEqual([]);
    expect((await sweep(tenant, up.post, t0 + FIRING_LEASE_MS)).map((f) => [f.threshold, f.status])).toEqual([[50, "queued"]]);
  });

  it("keeps a crossing the pipeline refuses again for the next sweep", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    await createCondition(tenant, conditionBody("plan-1", "%= 50", [webhook.id]));
    await send(tenant, 600, pipeline({ refuse: true }).post);

    expect((await sweep(tenant, pipeline({ refuse: true }).post)).map((f) => f.status)).toEqual(["pending"]);
    expect((await firingStates(tenant)).map((f) => [f.state, f.lease_until])).toEqual([["pending", 0]]);
    expect((await sweep(tenant, pipeline().post)).map((f) => f.status)).toEqual(["queued"]);
  });

  it(`posts the oldest ${SWEEP_GROUPS} developers' crossings per sweep and leaves the rest to the next`, async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant);
    await createCondition(tenant, conditionBody("plan-1", "%= 50", [webhook.id]));
    const t0 = Date.now();
    const down = pipeline({ refuse: true });
    for (let i = 0; i <= SWEEP_GROUPS; i++) {
      const body = UsageReport.parse(usageReport("plan-1", { transactions: 600 }, { email: `dev${i}@example.com` }));
      await reportUsage(env, tenant.org, body, down.post, t0 + i);
    }

    const first = await sweep(tenant, pipeline().post, t0 + SWEEP_GROUPS + 1);
    expect(first).toHaveLength(SWEEP_GROUPS);
    expect(first.map((f) => f.payload.developerEmail)).not.toContain(`dev${SWEEP_GROUPS}@example.com`);
    const second = await sweep(tenant, pipeline().post, t0 + SWEEP_GROUPS + 1);
    expect(second.map((f) => f.payload.developerEmail)).toEqual([`dev${SWEEP_GROUPS}@example.com`]);
  });
});
