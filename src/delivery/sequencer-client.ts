import type { Env } from "../env";

/** The sequencer Durable Object of one webhook. */
export function sequencer(env: Pick<Env, "SEQUENCER">, webhookId: string) {
  return env.SEQUENCER.get(env.SEQUENCER.idFromName(webhookId));
}
