import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError, unavailable } from "../errors";
import type { AppEnv } from "./context";
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

/** Every thrown error becomes the platform's error shape; unexpected ones are logged, never echoed. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof ApiError) return respond(c, err);
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

/**
 * 404 for unknown paths, 405 (with Allow) for known paths called with another method. `routes`
 * are the app's registered method/path pairs.
 */
export function notFoundOrMethodNotAllowed(routes: () => { method: string; path: string }[]): NotFoundHandler<AppEnv> {
  let patterns: { method: string; regex: RegExp }[] | undefined;
  return (c) => {
    // Exactly the paths the router matches (it is strict about trailing slashes), so a path that
    // only differs by a slash is a 404 rather than a 405 that lists the very method used.
    patterns ??= routes()
      .filter((r) => r.method !== "ALL" && !r.path.includes("*"))
      .map((r) => ({ method: r.method, regex: new RegExp(`^${r.path.split("/").map(segmentPattern).join("/")}$`) }));
    const path = new URL(c.req.url).pathname;
    const allowed = [...new Set(patterns.filter((p) => p.regex.test(path)).map((p) => p.method))];
    if (allowed.length > 0) {
      return respond(
        c,
        new ApiError(405, "method_not_allowed", `${c.req.method} is not allowed on this path`, [
          { field: "method", reason: `use one of ${allowed.join(", ")}` },
        ], { allow: allowed.join(", ") }),
      );
    }
    return respond(c, new ApiError(404, "not_found", `No route for ${c.req.method} ${path}`));
  };
}

function segmentPattern(segment: string): string {
  return segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
