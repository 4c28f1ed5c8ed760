import type { Env } from "../env";

/** The sequencer Durable Object of one webhook. */
export function sequencer(env: Env, webhookId: string) {
  return env.SEQUENCER.get(env.SEQUENCER.idFromName(webhookId));
}
