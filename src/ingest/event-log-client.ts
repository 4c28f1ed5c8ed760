import type { Env } from "../env";
import { log } from "../log";

/** The event log Durable Object of one organization. */
export function eventLog(env: Pick<Env, "EVENT_LOG">, orgId: string) {
  return env.EVENT_LOG.get(env.EVENT_LOG.idFromName(orgId));
}

/**
 * Tells the organization's event log that its configuration changed in D1 (webhooks, catalog,
 * conditions), so the next event is matched and checked against it. If the log cannot be told, it
 * reads the change anyway within CONFIG_REFRESH_SECONDS.
 */
export async function announceConfigChange(env: Pick<Env, "EVENT_LOG">, orgId: string): Promise<void> {
  try {
    await eventLog(env, orgId).configChanged();
  } catch (e) {
    log.error("configuration change not announced to the event log", { orgId, error: e });
  }
}
