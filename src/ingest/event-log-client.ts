import type { Env } from "../env";
import { log } from "../log";
import { RoundAbandoned, Rounds } from "../rounds";
import type { IngestRequest, Ingested, LogAnswer } from "./records";

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

/**
 * Stores a producer's request in its organization's log. Requests that arrive in one isolate while
 * the organization's previous call is under way go to the log together in the next (rounds.ts):
 * one call and one write to storage for many requests under load, each answered on its own.
 */
export async function ingest(env: Pick<Env, "EVENT_LOG">, request: IngestRequest): Promise<LogAnswer<Ingested>> {
  try {
    return await ingestRounds.call(request.orgId, { env, request });
  } catch (e) {
    if (!(e instanceof RoundAbandoned)) throw e;
    const message = "The event log did not answer in time; the events may or may not be stored: send them again with their ids (a repeat is answered as a duplicate)";
    return { ok: false, refusal: { status: 503, code: "unavailable", message, details: [], retryAfterSeconds: 1 } };
  }
}

/** A round's events' data in bytes: a round carries at most MAX_ROUND_BYTES, so no call grows large. */
const MAX_ROUND_BYTES = 1_048_576;

const ingestRounds = new Rounds<{ env: Pick<Env, "EVENT_LOG">; request: IngestRequest }, LogAnswer<Ingested>>(
  (orgId, calls) => eventLog(calls[0]!.env, orgId).ingestAll(calls.map((call) => call.request)),
  MAX_ROUND_BYTES,
  ({ request }) => request.events.reduce((bytes, event) => bytes + event.data.length, 0),
);
