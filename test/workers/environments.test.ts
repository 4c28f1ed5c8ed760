// What holds in every wrangler environment (production, `--env staging`): their queues differ only
// by name.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import worker from "../../src/index";
import type { Job } from "../../src/queue/jobs";
import { admin, call, createTenant } from "./helpers";

describe("staging", () => {
  it("treats the jobs of its dead-letter queue as dead, as production does: the event log hears of the failure", async () => {
    const tenant = await createTenant("staging");
    const id = `staging-dead-${crypto.randomUUID()}`;
    const batch = createMessageBatch<Job>("edge-webhooks-staging-dead", [
      { id, timestamp: new Date(), attempts: 6, body: { kind: "fanout", orgId: tenant.org, seqs: [1] } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([id]);
    const status = await call("GET", `/v1/admin/organizations/${tenant.org}/event-log`, { auth: admin });
    expect(status.body).toMatchObject({ lastFanoutError: { message: expect.stringMatching(/failed 6 times/) } });
  });
});
