// Billable operations per delivered event, and what they cost. A separate `wrangler dev` runs the
// platform through the harness entry with OPS_METER=log (test/harness/ops-meter.ts prints one line
// per billable operation); events are posted one at a time to an organization with one webhook,
// then to one with ten, and every line printed from a count's first post until its last delivery
// is settled is summed and divided by the events delivered. The two counts give the cost of an
// event and of each webhook it goes to beyond the first.
import { HARNESS_SCRIPT, type DevServer } from "../test/support/dev-server.ts";
import type { Receiver } from "../test/support/receiver.ts";
import { OPS_LOG_PREFIX, type OpCounts } from "../test/harness/ops-counts.ts";
import { createWebhooks, ourIngest, post, seedOrg, startOurs } from "./platforms.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { steadyRate, until } from "./load.ts";

/**
 * Cloudflare's published prices (Workers Paid, beyond the monthly inclusions), US$ per million units,
 * as listed on 2026-11-23 at developers.cloudflare.com: queues/platform/pricing (per 64 KB written,
 * read or deleted), durable-objects/platform/pricing (requests incl. RPC calls and alarms; SQLite
 * storage rows, billed since January 2026), d1/platform/pricing, workers/platform/pricing (Standard).
 * CPU time and Durable Object duration are billed too but are not operation counts; they are left out.
 */
export const PRICES_CHECKED = "2026-11-23";
export const PRICE_PER_MILLION: Record<keyof OpCounts, number> = {
  workerInvocations: 0.3,
  queueWrites: 0.4,
  queueReads: 0.4,
  queueDeletes: 0.4,
  doRequests: 0.15,
  doRowsRead: 0.001,
  doRowsWritten: 1.0,
  doAlarmWrites: 1.0,
  d1RowsRead: 0.001,
  d1RowsWritten: 1.0,
};

/** Why each operation is there, per delivered event at fan-out 1 (at fan-out 10, see PER_ADDITIONAL_WEBHOOK). */
export const WHY: Record<keyof OpCounts, string> = {
  workerInvocations: "the ingest request; fan-out and the first delivery run after its answer, in the same invocation",
  queueWrites: "none while things go well: only a re-driven fan-out, a chunk of a large one, a retry or a handover goes on the queue",
  queueReads: "each job is read once by the consumer",
  queueDeletes: "each job is acked once it is done",
  doRequests: "the event log's ingest call and its fan-out report, the sequencer's append, one next() per delivery (it records the last attempt and hands out the next one) and one that ends the turn",
  doRowsRead: "the event log's dedupe check and matching, and the sequencer's insert (its checks for a repeat and the next position); each insert reads its items from one JSON list, a row each; the next delivery and an idle webhook are found in memory (reads cost 1/1000 of writes)",
  doRowsWritten: "the event's row in its organization's log, then per webhook the delivery's two: inserted (already in flight under its lease when it goes at once), final with the attempt appended and the next delivery's hand-out beside it (so a crash is logged as an interrupted attempt)",
  doAlarmWrites: "the event log's alarm (its fan-out check) and the sequencer's lease alarm, each set only when none is pending",
  d1RowsRead: "none per event: the producer key is read once per 30 s per isolate and the organization's configuration once per minute or change",
  d1RowsWritten: "none: D1 holds configuration only",
};

/** Why an event's further webhooks cost what they do; printed with the cost per additional webhook. */
export const PER_ADDITIONAL_WEBHOOK = "each webhook adds its own append, its delivery's two rows and its drain's next() calls; the ingest request, the event's row and the fan-out report are paid once per event";

/** The floor's consumer batch size (bench/floor/wrangler.toml). */
const FLOOR_BATCH_SIZE = 10;

/** What the floor pays per event by construction: one request, one message per target written, read and deleted, one consumer invocation per full batch. */
export function floorOps(webhooks: number): OpCounts {
  return { workerInvocations: 1 + Math.ceil(webhooks / FLOOR_BATCH_SIZE), queueWrites: webhooks, queueReads: webhooks, queueDeletes: webhooks };
}

export interface OpsCount {
  webhooks: number;
  /** Events delivered to every webhook (deliveries / webhooks). */
  events: number;
  perEvent: OpCounts;
  dollarsPerMillion: number;
  floorDollarsPerMillion: number;
}

export interface OpsResult {
  fanout1: OpsCount;
  fanout10: OpsCount;
  /** US$ per million events for each webhook beyond the first: (fan-out 10 − fan-out 1) / 9. */
  dollarsPerMillionPerAdditionalWebhook: number;
  floorDollarsPerMillionPerAdditionalWebhook: number;
}

export function dollarsPerMillionEvents(perEvent: OpCounts): number {
  return Object.entries(perEvent).reduce((sum, [op, n]) => sum + (n ?? 0) * PRICE_PER_MILLION[op as keyof OpCounts], 0);
}

export function sumOps(log: string): OpCounts {
  const totals: OpCounts = {};
  for (const line of log.split("\n")) {
    const at = line.indexOf(OPS_LOG_PREFIX);
    if (at < 0) continue;
    for (const [op, n] of Object.entries(JSON.parse(line.slice(at + OPS_LOG_PREFIX.length)) as OpCounts)) {
      totals[op as keyof OpCounts] = (totals[op as keyof OpCounts] ?? 0) + (n ?? 0);
    }
  }
  return totals;
}

/** The platform printing its billable operations; started beside the others, used last. */
export function startMetered(): Promise<DevServer> {
  return startOurs({ OPS_METER: "log" }, HARNESS_SCRIPT);
}

/** Operations per event at fan-out 1 and at fan-out 10, one count after the other on the metered platform. */
export async function countOperations(server: DevServer, receiver: Receiver, events: number, progress: (text: string) => void): Promise<OpsResult> {
  try {
    const fanout1 = await countAtFanout(server, receiver, 1, events, progress);
    const fanout10 = await countAtFanout(server, receiver, 10, events, progress);
    return {
      fanout1,
      fanout10,
      dollarsPerMillionPerAdditionalWebhook: (fanout10.dollarsPerMillion - fanout1.dollarsPerMillion) / 9,
      floorDollarsPerMillionPerAdditionalWebhook: (fanout10.floorDollarsPerMillion - fanout1.floorDollarsPerMillion) / 9,
    };
  } finally {
    await server.stop();
  }
}

async function countAtFanout(server: DevServer, receiver: Receiver, webhooks: number, events: number, progress: (text: string) => void): Promise<OpsCount> {
  const tenant = await seedOrg(server, `bench-ops-${webhooks}`, ["load.ops"]);
  const buckets = Array.from({ length: webhooks }, (_, i) => `ops-${webhooks}-${i}`);
  await createWebhooks(server, tenant, buckets.map((bucket) => ({ url: receiver.url(bucket), events: ["load.ops"] })));
  const deliveries = () => buckets.reduce((sum, bucket) => sum + receiver.received(bucket).length, 0);
  // One event per producer key first, not counted: what happens once per webhook or per period,
  // not per event (each sequencer creates its tables, the event log reads the organization's
  // configuration, the isolate each producer key) is left out of the per-event figures; README
  // gives it per period.
  const keys = tenant.producerKeys.length;
  for (let n = 0; n < keys; n++) await post(ourIngest(server, tenant, "load.ops", n));
  await until(() => deliveries() >= keys * webhooks, 30_000);
  // Let everything the set-up and the first event printed arrive before the count starts.
  await sleep(2000);
  const from = server.output().length;
  const before = deliveries();
  progress(`operations per event at fan-out ${webhooks}: ${events} events, one at a time`);
  await steadyRate(events, 10, (n) => post(ourIngest(server, tenant, "load.ops", n)));
  await until(() => deliveries() - before >= events * webhooks, 30_000);
  // The drain's last call (finding the webhook idle) and its log lines come just after the last delivery.
  await sleep(2000);
  const totals = sumOps(server.output().slice(from));
  const delivered = (deliveries() - before) / webhooks;
  const perEvent: OpCounts = Object.fromEntries(Object.entries(totals).map(([op, n]) => [op, n / delivered]));
  return { webhooks, events: delivered, perEvent, dollarsPerMillion: dollarsPerMillionEvents(perEvent), floorDollarsPerMillion: dollarsPerMillionEvents(floorOps(webhooks)) };
}
