// The Worker's entry points: HTTP (API and page), the queue consumers, and the Durable Object
// classes (the organizations' event logs and the webhooks' sequencers).
import { app } from "./app";
import type { Env } from "./env";
import type { Job } from "./queue/jobs";
import { consumeDeadLetters, consumeJobs, isDeadLetterQueue } from "./delivery/consumer";
import { meterBatch, meterRequest } from "./metering/ops-meter";
import { withOutages } from "./delivery/fault-injection";

export { WebhookSequencer } from "./sequencer/webhook-sequencer";
export { EventLog } from "./ingest/event-log";

export default {
  fetch: (request, env, ctx) => app.fetch(request, meterRequest(withOutages(env)), ctx),
  async queue(received, env) {
    const [batch, meteredEnv] = meterBatch(received, withOutages(env));
    if (isDeadLetterQueue(batch.queue)) await consumeDeadLetters(batch, meteredEnv);
    else await consumeJobs(batch, meteredEnv);
  },
} satisfies ExportedHandler<Env, Job>;
