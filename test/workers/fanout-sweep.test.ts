// Ingest answers once the events are stored; when the queue refuses their fan-out job, the cron
// trigger's fan-out sweep sends it.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import type { Env } from "../../src/env";
import type { Job } from "../../src/delivery/jobs";
import { SWEEP_AFTER_MS, sweepUnfannedEvents } from "../../src/delivery/fanout-sweep";
import { call } from "./helpers";
import { enabledWebhook, finalDeliveries, producerTenant, receivedCount, receiverUrl, type Producer } from "./delivery-helpers";

const unavailableQueue = {
  send: async () => {
    throw new Error("queue unavailable (test)");
  },
  sendBatch: async () => {
    throw new Error("queue unavailable (test)");
  },
} as unknown as Queue<Job>;

/** Posts `body` to the real Worker while its queue refuses every job; waits for what it does after answering. */
async function postWhileQueueDown(tenant: Producer, body: Record<string, unknown>) {
  const ctx = createExecutionContext();
  const answer = await call("POST", `/v1/organizations/${tenant.org}/events`, {
    auth: { bearer: tenant.producerKey },
    body,
    fetch: async (request) => worker.fetch!(request as Request<unknown, IncomingRequestCfProperties>, { ...env, JOBS: unavailableQueue }, ctx),
  });
  await waitOnExecutionContext(ctx);
  return answer;
}

async function fannedOut(eventId: string) {
  const row = await env.DB.prepare("SELECT fanned_out FROM events WHERE id = ?").bind(eventId).first<{ fanned_out: number | null }>();
  return row!.fanned_out;
}

/** The org's stored events, by seq. */
async function seqsOf(org: string) {
  const { results } = await env.DB.prepare("SELECT seq FROM events WHERE org_id = ? ORDER BY seq").bind(org).all<{ seq: number }>();
  return results.map((r) => r.seq);
}

describe("the fan-out sweep", () => {
  it("answers 202 when the fan-out job cannot be queued, and the cron's sweep delivers the event", async () => {
    const tenant = await producerTenant();
    const bucket = crypto.randomUUID();
    const hook = await enabledWebhook(tenant, receiverUrl(bucket));
    const answer = await postWhileQueueDown(tenant, { type: "booking.created", data: { n: 1 } });
    expect(answer.status).toBe(202);
    expect(await fannedOut(answer.body.id)).toBeNull();
    await worker.scheduled!(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() + SWEEP_AFTER_MS + 1000 }), env);
    const [request] = await receivedCount(bucket, 1);
    expect(JSON.parse(request!.body)).toMatchObject({ type: "booking.created", data: { n: 1 } });
    expect(await finalDeliveries(tenant, hook.id, 1)).toMatchObject([{ status: "succeeded", eventId: answer.body.id }]);
  });

  it("sends one job listing an organization's events once they are older than 30 s, and none before", async () => {
    const tenant = await producerTenant();
    const answer = await postWhileQueueDown(tenant, { events: [{ type: "booking.created", data: {} }, { type: "booking.cancelled", data: {} }] });
    expect(answer.status).toBe(202);
    const sent: Job[] = [];
    const recording = { ...env, JOBS: { sendBatch: async (batch: { body: Job }[]) => void sent.push(...batch.map((m) => m.body)) } } as unknown as Env;
    const stored = Date.now();
    await sweepUnfannedEvents(recording, stored + SWEEP_AFTER_MS - 5000);
    expect(sent.filter((job) => job.kind === "fanout" && job.orgId === tenant.org)).toEqual([]);
    await sweepUnfannedEvents(recording, stored + SWEEP_AFTER_MS + 1000);
    expect(sent.filter((job) => job.kind === "fanout" && job.orgId === tenant.org)).toEqual([{ kind: "fanout", orgId: tenant.org, seqs: await seqsOf(tenant.org) }]);
  });
});
