// What holds in every wrangler environment (production, `--env staging`): their queues differ only
// by name.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createMessageBatch } from "cloudflare:test";
import worker from "../../src/index";
import type { Job } from "../../src/delivery/jobs";
import { admin, call } from "./helpers";

describe("staging", () => {
  it("records the jobs of its dead-letter queue as dead letters, as production does", async () => {
    const id = `staging-dead-${crypto.randomUUID()}`;
    const batch = createMessageBatch<Job>("edge-webhooks-staging-dead", [
      { id, timestamp: new Date(), attempts: 6, body: { kind: "drain", webhookId: crypto.randomUUID(), lease: "lost" } },
    ]);
    await worker.queue(batch, env);
    const dead = await call("GET", "/v1/admin/dead-letters?limit=1000", { auth: admin });
    expect(dead.body.deadLetters).toContainEqual(expect.objectContaining({ id, attempts: 6 }));
  });
});
