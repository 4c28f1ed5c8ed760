import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors";
import type { AppEnv } from "./context";

/** The limiter's window (wrangler.toml `[[ratelimits]]` period): a refused producer may retry after it. */
const PERIOD_SECONDS = 10;

/** Caps ingest per producer key (Cloudflare's rate-limiting binding); runs after authentication. */
export function ingestRateLimit(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { success } = await c.env.INGEST_LIMITER.limit({ key: c.var.principal.keyId });
    if (!success) {
      throw new ApiError(429, "rate_limited", "Too many ingest requests for this key; slow down", [
        { field: "authorization", reason: `this key is over its ingest rate; retry after ${PERIOD_SECONDS} s` },
      ], { "retry-after": String(PERIOD_SECONDS) });
    }
    await next();
  };
}
