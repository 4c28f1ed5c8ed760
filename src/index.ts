// The Worker's entry points: HTTP (API and page), the queue consumers, and the sequencer class.
import { app } from "./app";
import type { Env } from "./env";
import type { Job } from "./delivery/jobs";
import { consumeDeadLetters, consumeJobs, DEAD_LETTER_QUEUE } from "./delivery/consumer";

export { WebhookSequencer } from "./sequencer/webhook-sequencer";

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (batch.queue === DEAD_LETTER_QUEUE) await consumeDeadLetters(batch, env);
    else await consumeJobs(batch, env);
  },
} satisfies ExportedHandler<Env, Job>;
