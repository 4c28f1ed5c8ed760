// The Worker's entry points: HTTP (API and page), the queue consumers, and the Durable Object
// classes (the organizations' event logs and the webhooks' sequencers).
import { app } from "./app";
import type { Env } from "./env";
import type { Job } from "./queue/jobs";
import { consumeDeadLetters, consumeJobs, isDeadLetterQueue } from "./delivery/consumer";

export { WebhookSequencer } from "./sequencer/webhook-sequencer";
export { EventLog } from "./ingest/event-log";

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  async queue(batch, env) {
    if (isDeadLetterQueue(batch.queue)) await consumeDeadLetters(batch, env);
    else await consumeJobs(batch, env);
  },
} satisfies ExportedHandler<Env, Job>;
