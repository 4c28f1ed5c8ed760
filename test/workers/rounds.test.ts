// Ingest and the fan-out right after it, as one isolate batches them (src/rounds.ts): the calls of
// one organization that arrive while another is under way go out together: one call to the log
// for many requests, one append per webhook and one report for many fan-outs. The Durable Object
// bindings are stand-ins that record the calls and hold the first one open, so what overlaps is
// decided by the test rather than by timing.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { dispatch } from "../../src/delivery/dispatch";
import { consumeJobs } from "../../src/delivery/consumer";
import type { Job } from "../../src/queue/jobs";
import { createMessageBatch } from "cloudflare:test";
import { ingest } from "../../src/ingest/event-log-client";
import type { FanoutItem, IngestRequest } from "../../src/ingest/records";
import type { Env } from "../../src/env";
import type { WebhookRow } from "../../src/db/webhooks";
import type { LoggedEvent } from "../../src/ingest/records";
import type { Claim, NextRequest, NextStep } from "../../src/sequencer/records";
import { newSigningSecret } from "../../src/delivery/signing";
import { receivedCount, receiverUrl } from "./delivery-helpers";

const item = (seq: number, webhookIds: readonly string[]): FanoutItem => ({ seq, eventId: `event-${seq}`, eventType: "booking.created", webhookIds });

/** An env whose sequencers and event log record what they are asked, the first append held until `release` (`holding`: it has begun). */
function recordingEnv() {
  const appends: { webhookId: string; events: string[] }[] = [];
  const reports: number[][] = [];
  const held = Promise.withResolvers<void>();
  const holding = Promise.withResolvers<void>();
  const binding = (object: object) => ({ idFromName: (name: string) => name, get: () => object });
  const sequencerStub = {
    append: async (webhookId: string, _orgId: string, items: { eventId: string }[]) => {
      appends.push({ webhookId, events: items.map((i) => i.eventId) });
      if (appends.length === 1) {
        holding.resolve();
        await held.promise;
      }
      return null;
    },
  };
  const logStub = {
    fannedOut: async (seqs: number[]) => {
      reports.push(seqs);
      return 0;
    },
  };
  const recording = { ...env, SEQUENCER: binding(sequencerStub), EVENT_LOG: binding(logStub) } as unknown as Env;
  return { env: recording, appends, reports, release: held.resolve, holding: holding.promise };
}

describe("ingest", () => {
  it("sends the requests that arrive while one is under way to the log in one call, each answered with its own answer", async () => {
    const calls: string[][] = [];
    const held = Promise.withResolvers<void>();
    const logStub = {
      ingestAll: async (requests: IngestRequest[]) => {
        calls.push(requests.map((request) => request.keyId));
        if (calls.length === 1) await held.promise;
        return requests.map((request) => ({ ok: true, value: { keyId: request.keyId } }));
      },
    };
    const recording = { ...env, EVENT_LOG: { idFromName: (name: string) => name, get: () => logStub } } as unknown as Env;
    const request = (keyId: string): IngestRequest => ({ orgId: "org-rounds-ingest", keyId, source: "wink", events: [], batch: false });
    const answers = [ingest(recording, request("a")), ingest(recording, request("b")), ingest(recording, request("c"))];
    held.resolve();
    expect(await Promise.all(answers)).toEqual(["a", "b", "c"].map((keyId) => ({ ok: true, value: { keyId } })));
    expect(calls).toEqual([["a"], ["b", "c"]]);
  });
});

describe("dispatch", () => {
  it("sends the fan-outs that arrive while one is under way together: one append per webhook, one report", async () => {
    const { env: recording, appends, reports, release, holding } = recordingEnv();
    const first = dispatch(recording, "org-dispatch-1", [item(1, ["hook-a"])]);
    const second = dispatch(recording, "org-dispatch-1", [item(2, ["hook-a", "hook-b"])]);
    const third = dispatch(recording, "org-dispatch-1", [item(3, ["hook-a"])]);
    await holding;
    await new Promise((resolve) => setTimeout(resolve, 5)); // each fan-out starts a task after its answer: the others have joined
    release();
    await Promise.all([first, second, third]);
    expect(appends).toEqual([
      { webhookId: "hook-a", events: ["event-1"] },
      { webhookId: "hook-a", events: ["event-2", "event-3"] },
      { webhookId: "hook-b", events: ["event-2"] },
    ]);
    expect(reports).toEqual([[1], [2, 3]]);
  });

  it("makes the fan-out's first call in a task after the one that answers, so the 202 is sent first", async () => {
    const { env: recording, appends, release } = recordingEnv();
    const dispatched = dispatch(recording, "org-dispatch-4", [item(1, ["hook-a"])]);
    for (let tick = 0; tick < 10; tick++) await Promise.resolve(); // what the handler's own task still runs
    expect(appends).toEqual([]);
    release();
    await dispatched;
    expect(appends).toEqual([{ webhookId: "hook-a", events: ["event-1"] }]);
  });

  it("does not hold one organization's fan-out behind another's", async () => {
    const { env: recording, appends, release } = recordingEnv();
    const first = dispatch(recording, "org-dispatch-2", [item(1, ["hook-a"])]);
    const other = dispatch(recording, "org-dispatch-3", [item(1, ["hook-c"])]);
    await other;
    expect(appends.map((a) => a.webhookId)).toEqual(["hook-a", "hook-c"]);
    release();
    await first;
  });

  it("delivers to a webhook it claimed as soon as its append returns, while other appends and the report are under way", async () => {
    const fanout = claimedBeforeReport(async () => ({ action: "idle" }));
    const dispatched = fanout.dispatch();
    await receivedCount(fanout.bucket, 1);
    expect(fanout.reports).toEqual([]);
    fanout.release();
    await dispatched;
    expect(fanout.reports).toEqual([[1]]);
    expect(fanout.nextCalls.map((request) => request.report?.outcome)).toEqual(["succeeded"]);
  });

  it("gives a drain that needs the watermark before the report the report's", async () => {
    const fanout = claimedBeforeReport(async (request) => (request.watermark === undefined ? { action: "need-watermark", seq: 2, orgId: "org-dispatch-pipelined" } : { action: "idle" }));
    const dispatched = fanout.dispatch();
    await receivedCount(fanout.bucket, 1);
    fanout.release();
    await dispatched;
    expect(fanout.nextCalls.map((request) => request.watermark)).toEqual([undefined, 7]);
  });

  it("delivers, in a queued chunk, to a webhook it claimed while the chunk's other appends and its report are under way", async () => {
    const fanout = claimedBeforeReport(async () => ({ action: "idle" }));
    const consumed = fanout.consumeChunk();
    await receivedCount(fanout.bucket, 1);
    expect(fanout.reports).toEqual([]);
    fanout.release();
    await consumed;
    expect(fanout.reports).toEqual([[1]]);
  });

  it("asks the log when the report's watermark does not reach the delivery waiting", async () => {
    const fanout = claimedBeforeReport(async (request) => (request.watermark === undefined ? { action: "need-watermark", seq: 8, orgId: "org-dispatch-pipelined" } : { action: "idle" }));
    const dispatched = fanout.dispatch();
    await receivedCount(fanout.bucket, 1);
    fanout.release();
    await dispatched;
    expect(fanout.nextCalls.map((request) => request.watermark)).toEqual([undefined, 9]);
  });

  it("sends the report's watermark once, then asks the log for a later one", async () => {
    let calls = 0;
    // The receiver answers after 100 ms: the report is in by the first call.
    const fanout = claimedBeforeReport(async () => (++calls === 1 ? { action: "need-watermark", seq: 9, orgId: "org-dispatch-pipelined" } : { action: "idle" }), "slow:100");
    const dispatched = fanout.dispatch();
    fanout.release();
    await dispatched;
    expect(fanout.nextCalls.map((request) => request.watermark)).toEqual([7, 9]);
  });
});

/**
 * One event fanned out to two webhooks: hook-p is idle and hands its delivery out with the append
 * (to a real receiver answering as `script` says); hook-q's append is held until `release`, and the
 * report after it. The log answers the report with watermark 7, and a drain that asks it with 9.
 */
function claimedBeforeReport(next: (request: NextRequest) => Promise<NextStep>, script?: string) {
  const orgId = "org-dispatch-pipelined";
  const bucket = `pipelined-${crypto.randomUUID()}`;
  const held = Promise.withResolvers<void>();
  const reports: number[][] = [];
  const nextCalls: NextRequest[] = [];
  const webhook: WebhookRow = {
    ...{ id: "hook-p", orgId, name: "hook", postUrl: receiverUrl(bucket, script), enabled: true, description: null, source: "wink", entity: null, events: [] },
    ...{ secret: newSigningSecret(), previousSecret: null, previousSecretExpires: null, rateLimit: null, disabledReason: null, disabledAt: null },
    ...{ created: 0, createdBy: "test", updated: 0, updatedBy: "test" },
  };
  const event: LoggedEvent = { seq: 1, id: crypto.randomUUID(), kind: "event", source: "wink", type: "booking.created", entity: null, producerId: null, data: "{}", created: Date.now(), webhookIds: ["hook-p", "hook-q"] };
  const claim: Claim = {
    lease: "lease-p",
    first: { action: "deliver", lease: "lease-p", delivery: { id: "delivery-p", eventId: event.id, attempt: 1, seq: 1 }, webhookVersion: 1, handedOutAt: Date.now(), previousAttemptAt: null, upcomingEventIds: [] },
  };
  const sequencerOf = (webhookId: string) => ({
    append: async () => (webhookId === "hook-p" ? claim : (await held.promise, null)),
    next: async (_lease: string, request: NextRequest) => (nextCalls.push(request), next(request)),
  });
  const fanoutItem = { ...item(1, event.webhookIds), eventId: event.id };
  const logStub = {
    fannedOut: async (seqs: number[]) => (reports.push(seqs), 7),
    chunkFannedOut: async (seq: number) => (reports.push([seq]), 7),
    fanoutWork: async () => ({ items: [fanoutItem], seed: { webhooks: [webhook], events: [event] }, watermark: 1 }),
    watermark: async () => 9,
  };
  const recording = {
    ...env,
    SEQUENCER: { idFromName: (name: string) => name, get: sequencerOf },
    EVENT_LOG: { idFromName: (name: string) => name, get: () => logStub },
  } as unknown as Env;
  return {
    bucket,
    reports,
    nextCalls,
    release: held.resolve,
    dispatch: () => dispatch(recording, orgId, [fanoutItem], { webhooks: [webhook], events: [event] }, 1),
    /** The same event as a queued chunk job (the log answers its work with both webhooks). */
    consumeChunk: () => {
      const batch = createMessageBatch<Job>("edge-webhooks-jobs", [{ id: "chunk", timestamp: new Date(), attempts: 1, body: { kind: "fanout-chunk", orgId, seq: 1, chunk: 0, chunks: 1, size: 40 } }]);
      return consumeJobs(batch, recording);
    },
  };
}
