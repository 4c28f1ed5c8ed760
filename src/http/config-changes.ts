// Configuration lives in D1 and the organization's event log keeps a copy: every route that changes
// it (webhooks, entities, event types, notification conditions, through the API or the page) tells
// the log once the change is saved, before answering, so the next event already sees it.
import type { MiddlewareHandler } from "hono";
import type { Env } from "../env";
import { announceConfigChange } from "../ingest/event-log-client";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

export function announcesConfigChanges<E extends { Bindings: Env }>(orgOf: (c: Parameters<MiddlewareHandler<E>>[0]) => string | undefined): MiddlewareHandler<E> {
  return async (c, next) => {
    await next();
    const org = orgOf(c);
    if (READS.has(c.req.method) || c.res.status >= 400 || !org) return;
    await announceConfigChange(c.env, org);
  };
}
