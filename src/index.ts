// The Worker's entry points: HTTP (API and page), the queue consumers, the cron trigger (the usage
// notification outbox sweep and the fan-out sweep), and the sequencer class.
import { app } from "./app";
import type { Env } from "./env";
import type { Job } from "./delivery/jobs";
import { consumeDeadLetters, consumeJobs, isDeadLetterQueue } from "./delivery/consumer";
import { postDirectedEvents } from "./delivery/directed";
import { postPendingFirings } from "./notifications/outbox";
import { sweepUnfannedEvents } from "./delivery/fanout-sweep";
import { meterBatch, meterRequest } from "./metering/ops-meter";

export { WebhookSequencer } from "./sequencer/webhook-sequencer";

export default {
  fetch: (request, env, ctx) => app.fetch(request, meterRequest(env), ctx),
  async queue(received, env) {
    const [batch, meteredEnv] = meterBatch(received, env);
    if (isDeadLetterQueue(batch.queue)) await consumeDeadLetters(batch, meteredEnv);
    else await consumeJobs(batch, meteredEnv);
  },
  async scheduled(controller, env) {
    const meteredEnv = meterRequest(env);
    // Independent sweeps: one failing must not keep the other from running.
    const results = await Promise.allSettled([
      postPendingFirings(meteredEnv, postDirectedEvents),
      sweepUnfannedEvents(meteredEnv, controller.scheduledTime),
    ]);
    for (const result of results) if (result.status === "rejected") throw result.reason;
  },
} satisfies ExportedHandler<Env, Job>;
