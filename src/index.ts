// The Worker's entry points: HTTP (API and page), the queue consumers, the cron trigger (the usage
// notification outbox sweep), and the sequencer class.
import { app } from "./app";
import type { Env } from "./env";
import type { Job } from "./delivery/jobs";
import { consumeDeadLetters, consumeJobs, DEAD_LETTER_QUEUE } from "./delivery/consumer";
import { postDirectedEvents } from "./delivery/directed";
import { postPendingFirings } from "./notifications/outbox";

export { WebhookSequencer } from "./sequencer/webhook-sequencer";

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (batch.queue === DEAD_LETTER_QUEUE) await consumeDeadLetters(batch, env);
    else await consumeJobs(batch, env);
  },
  async scheduled(_controller, env) {
    await postPendingFirings(env, postDirectedEvents);
  },
} satisfies ExportedHandler<Env, Job>;
