// Ingest and the fan-out right after it, as one isolate batches them (src/rounds.ts): the calls of
// one organization that arrive while another is under way go out together: one call to the log
// for many requests, one append per webhook and one report for many fan-outs. The Durable Object
// bindings are stand-ins that record the calls and hold the first one open, so what overlaps is
// decided by the test rather than by timing.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { dispatch } from "../../src/delivery/dispatch";
import { ingest } from "../../src/ingest/event-log-client";
import type { FanoutItem, IngestRequest } from "../../src/ingest/records";
import type { Env } from "../../src/env";

const item = (seq: number, webhookIds: string[]): FanoutItem => ({ seq, eventId: `event-${seq}`, eventType: "booking.created", webhookIds });

/** An env whose sequencers and event log record what they are asked, the first append held until `release`. */
function recordingEnv() {
  const appends: { webhookId: string; events: string[] }[] = [];
  const reports: number[][] = [];
  const held = Promise.withResolvers<void>();
  const binding = (object: object) => ({ idFromName: (name: string) => name, get: () => object });
  const sequencerStub = {
    append: async (webhookId: string, _orgId: string, items: { eventId: string }[]) => {
      appends.push({ webhookId, events: items.map((i) => i.eventId) });
      if (appends.length === 1) await held.promise;
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
  return { env: recording, appends, reports, release: held.resolve };
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
    const { env: recording, appends, reports, release } = recordingEnv();
    const first = dispatch(recording, "org-dispatch-1", [item(1, ["hook-a"])]);
    const second = dispatch(recording, "org-dispatch-1", [item(2, ["hook-a", "hook-b"])]);
    const third = dispatch(recording, "org-dispatch-1", [item(3, ["hook-a"])]);
    release();
    await Promise.all([first, second, third]);
    expect(appends).toEqual([
      { webhookId: "hook-a", events: ["event-1"] },
      { webhookId: "hook-a", events: ["event-2", "event-3"] },
      { webhookId: "hook-b", events: ["event-2"] },
    ]);
    expect(reports).toEqual([[1], [2, 3]]);
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
});
