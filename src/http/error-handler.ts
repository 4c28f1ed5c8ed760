import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError, NotFoundError, unavailable } from "../errors";
import type { AppEnv } from "./context";
import { emptyBodyError } from "./json-body";
import { log } from "../log";

const CODES: Record<number, string> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

function respond(c: Context<AppEnv>, error: ApiError) {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json(error.toJSON(), error.status);
}

/** The path parameter that names each kind of resource in the API's paths. */
const PATH_PARAMETERS: Record<string, string> = { organization: "org", key: "keyId", delivery: "deliveryId" };

/** Every thrown error becomes the platform's error shape; unexpected ones are logged, never echoed. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof NotFoundError) {
    const field = `path.${PATH_PARAMETERS[err.resource] ?? "id"}`;
    return respond(c, new ApiError(404, err.code, err.message, [{ field, reason: `names no ${err.resource} this caller can see` }]));
  }
  if (err instanceof ApiError) return respond(c, err);
  // Hono's json validator cannot parse an empty body; the request is told what it lacks.
  if (err instanceof HTTPException && err.status === 400 && c.get("emptyJsonBody")) return respond(c, emptyBodyError());
  if (err instanceof HTTPException && err.status < 500) {
    const status = err.status as ContentfulStatusCode;
    return respond(c, new ApiError(status, CODES[status] ?? "error", err.message || "The request was refused"));
  }
  if (isStoreUnavailable(err)) {
    log.error("a store is unavailable", { method: c.req.method, path: new URL(c.req.url).pathname, error: err });
    return respond(c, unavailable("A store this call needs cannot be reached right now; nothing was changed, try again", 5));
  }
  log.error("unhandled error", { method: c.req.method, path: new URL(c.req.url).pathname, error: err });
  return respond(c, new ApiError(500, "internal_error", "Something went wrong on our side; the request was not applied"));
};

/**
 * D1 failing as a whole rather than refusing one statement: unreachable, overloaded or timing out
 * (drizzle wraps D1's error as the cause of its own).
 */
function isStoreUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (/D1/.test(e.message) && /unavailable|network connection lost|overloaded|timed? ?out|internal error/i.test(e.message)) return true;
  }
  return false;
}

/** 404 for a path no route matches (hono/method-not-allowed turns it into a 405 where another method would). */
export const notFound: NotFoundHandler<AppEnv> = (c) =>
  respond(c, new ApiError(404, "not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}`, [{ field: "path", reason: "matches no route of this API" }]));

/** hono/method-not-allowed's 405 for a known path called with another method, in the platform's error shape. */
export function onMethodNotAllowed(c: Context<AppEnv>, allowed: string[]) {
  return respond(
    c,
    new ApiError(405, "method_not_allowed", `${c.req.method} is not allowed on this path`, [
      { field: "method", reason: `use one of ${allowed.join(", ")}` },
    ], { allow: allowed.join(", ") }),
  );
}
