// The platform as the chaos suite and the benchmark run it: the production entry points and
// Durable Objects (src/index.ts) with fault injection and operation metering around them, never
// inside them. `wrangler dev test/harness/worker.ts` runs it with wrangler.toml's bindings
// (test/support/dev-server.ts, `script`). Two vars switch it on, neither set in wrangler.toml:
//   CHAOS_FAULTS   faults and outages to inject (faults.ts), for the chaos suite
//   OPS_METER=log  one line per billable operation (ops-meter.ts), for the benchmark's count
// Unset, every handler and object behaves as production's.
import production, { EventLog as ProductionEventLog, WebhookSequencer as ProductionSequencer } from "../../src/index";
import type { Env } from "../../src/env";
import type { Job } from "../../src/queue/jobs";
import { isDeadLetterQueue } from "../../src/delivery/consumer";
import type { NextRequest, NextStep } from "../../src/sequencer/records";
import { crashingMidDelivery, injectFault, withOutages } from "./faults";
import { meterAlarm, meterBatch, meterBindings, meterRequest, meterStorage, type MeterVars } from "./ops-meter";

export interface HarnessEnv extends Env, MeterVars {
  CHAOS_FAULTS?: string;
}

/** The Worker's bindings with the faults named: outages, and deliveries crashing mid-attempt. */
const withFaults = (env: HarnessEnv): HarnessEnv => crashingMidDelivery(withOutages(env, env.CHAOS_FAULTS), env.CHAOS_FAULTS);

/** A Durable Object's bindings: metered, and failing as the outages say. */
const objectBindings = (env: HarnessEnv): HarnessEnv => meterBindings(withOutages(env, env.CHAOS_FAULTS));

export default {
  fetch: (request, env, ctx) => production.fetch(request, meterRequest(withFaults(env)), ctx),
  async queue(received, env) {
    const [batch, harnessEnv] = meterBatch(received, withFaults(env));
    if (!isDeadLetterQueue(batch.queue)) await duplicateJobs(batch, harnessEnv);
    await production.queue(batch, harnessEnv);
  },
} satisfies ExportedHandler<HarnessEnv, Job>;

/** "duplicate-job": the queue hands a job over twice, the copy in a later batch. */
async function duplicateJobs(batch: MessageBatch<Job>, env: HarnessEnv) {
  for (const message of batch.messages) {
    if (injectFault(env.CHAOS_FAULTS, "duplicate-job")) await env.JOBS.send(message.body);
  }
}

export class WebhookSequencer extends ProductionSequencer {
  private readonly harness: HarnessEnv;

  constructor(ctx: DurableObjectState, env: HarnessEnv) {
    super(ctx, objectBindings(env), meterStorage(ctx.storage, env));
    this.harness = env;
  }

  /** "evict-sequencer": the object is reset while the delivery it just handed out is on the wire. */
  override async next(lease: string, request?: NextRequest): Promise<NextStep> {
    const step = await super.next(lease, request);
    if (step.action === "deliver" && injectFault(this.harness.CHAOS_FAULTS, "evict-sequencer")) setTimeout(() => this.ctx.abort("chaos: evicted mid-delivery"), 20);
    return step;
  }

  override async alarm(): Promise<void> {
    meterAlarm(this.harness);
    await super.alarm();
  }
}

export class EventLog extends ProductionEventLog {
  private readonly harness: HarnessEnv;

  constructor(ctx: DurableObjectState, env: HarnessEnv) {
    super(ctx, objectBindings(env), meterStorage(ctx.storage, env));
    this.harness = env;
  }

  /**
   * "evict-event-log": the log is reset right after it stored a producer's events, before it
   * answers. A repeat that stores nothing new is answered, as the producer's retry would be once
   * the log is back; else a run of resets could outlast any producer's retries.
   */
  override async ingest(request: Parameters<ProductionEventLog["ingest"]>[0]) {
    const answer = await super.ingest(request);
    const storedSome = answer.ok && answer.value.events.some((event) => !event.duplicate);
    if (storedSome && injectFault(this.harness.CHAOS_FAULTS, "evict-event-log")) {
      // An abort in the turn of the write would discard it: the write is made durable first.
      await this.ctx.storage.sync();
      this.ctx.abort("chaos: evicted after storing");
    }
    return answer;
  }

  override async alarm(): Promise<void> {
    meterAlarm(this.harness);
    await super.alarm();
  }
}
