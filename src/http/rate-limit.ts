// The ingest rate limit per producer key (Cloudflare's rate-limiting binding). Ingest asks the
// limiter alongside its D1 batch rather than before it; a key the limiter refused is remembered in
// the isolate for the limiter's period, so a flood over the limit is refused at once, costing no D1
// round trip and no write to take back.
import type { Env } from "../env";
import { ApiError } from "./errors";
import { authorize, principalOf, verifiedKey, type Credentials } from "./auth";
import type { ApiKeyRow } from "../db/api-keys";

/** The limiter's window (wrangler.toml `[[ratelimits]]` period): a refused producer may retry after it. */
const PERIOD_SECONDS = 10;

/** Keys the limiter refused in this isolate, by key id: the row as it was then, and until when. */
const refused = new Map<string, { key: ApiKeyRow; until: number }>();

function rateLimited(): ApiError {
  return new ApiError(429, "rate_limited", "Too many ingest requests for this key; slow down", [
    { field: "authorization", reason: `this key is over its ingest rate; retry after ${PERIOD_SECONDS} s` },
  ], { "retry-after": String(PERIOD_SECONDS) });
}

/**
 * Whether the limiter lets one more ingest request of this key through. Ingest asks before the
 * key is verified, so the count is kept per key id *and* secret hash: requests with a wrong secret
 * count apart and cannot spend a real key's budget (a key has one secret).
 */
export async function underIngestRate(env: Env, keyId: string, secretHash: string): Promise<boolean> {
  const { success } = await env.INGEST_LIMITER.limit({ key: `${keyId}:${secretHash}` });
  return success;
}

/** The 429 for a key the limiter refused; it is remembered, so its next requests are refused at once. */
export function overIngestRate(key: ApiKeyRow, now = Date.now()): ApiError {
  for (const [keyId, entry] of refused) if (entry.until <= now) refused.delete(keyId);
  refused.set(key.id, { key, until: now + PERIOD_SECONDS * 1000 });
  return rateLimited();
}

/**
 * Refuses with 429, before any storage is touched, a request whose key the limiter refused within
 * its period. Only a caller the key checks would accept is refused here (the same checks, on the
 * row remembered); anyone else goes on to get the answer its credentials deserve.
 */
export function refuseRecentlyLimited(credentials: Credentials, presentedHash: string, org: string, now = Date.now()): void {
  const entry = refused.get(credentials.keyId);
  if (!entry) return;
  if (entry.until <= now) {
    refused.delete(credentials.keyId);
    return;
  }
  try {
    authorize(principalOf(verifiedKey(entry.key, credentials, presentedHash)), org, "producer");
  } catch {
    return;
  }
  throw rateLimited();
}

/** The limit for a key already authenticated: 429 if it was refused recently or the limiter refuses it now. */
export async function limitIngest(env: Env, key: ApiKeyRow, now = Date.now()): Promise<void> {
  if ((refused.get(key.id)?.until ?? 0) > now) throw rateLimited();
  if (!(await underIngestRate(env, key.id, key.secretHash))) throw overIngestRate(key, now);
}
