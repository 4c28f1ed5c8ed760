// API keys from isolate memory, for every authenticated request and above all the per-event path:
// a key id is read from D1 at most once per KEY_CACHE_MS per isolate, whether it exists or not, so
// producers' traffic does not load D1. Ids that turn out not to exist are looked up at most
// UNKNOWN_LOOKUPS_PER_SECOND times a second per isolate (beyond, never-seen ids get 503 and
// Retry-After until the next second), so a flood of forged keys cannot load D1 either. A revoked key stops working within KEY_CACHE_MS (at once in
// the isolate that revoked it); while D1 cannot be read, the copy held is used.
import { and, eq, isNull } from "drizzle-orm";
import { database } from "../db/client";
import { apiKeys } from "../db/schema";
import type { ApiKeyRow } from "../db/api-keys";

export const KEY_CACHE_MS = 30_000;
/** Keys (and unknown ids) remembered per isolate; the oldest go first beyond this. */
const KEY_CACHE_SIZE = 10_000;
export const UNKNOWN_LOOKUPS_PER_SECOND = 50;

const keys = new Map<string, { row: ApiKeyRow | undefined; readAt: number }>();
const unknownLookups = { second: 0, count: 0 };
/** Never-seen ids being looked up now, and by how many requests: an id spends from the budget once. */
const lookingUp = new Map<string, number>();

/** D1 would be asked about more never-seen key ids this second than allowed. */
export class TooManyUnknownKeys extends Error {}

/** The active row of key `keyId`, or undefined if there is none. */
export async function cachedActiveKey(d1: D1Database, keyId: string, now = Date.now()): Promise<ApiKeyRow | undefined> {
  const held = keys.get(keyId);
  if (held && now - held.readAt < KEY_CACHE_MS) return held.row;
  // A lookup of a never-seen id spends from the budget until it turns out to find a key.
  const spends = !held && !lookingUp.has(keyId);
  if (spends) spendUnknownLookup(now);
  if (!held) lookingUp.set(keyId, (lookingUp.get(keyId) ?? 0) + 1);
  try {
    const row = await database(d1).select().from(apiKeys).where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revoked))).get();
    if (spends && row) refundUnknownLookup(now);
    remember(keyId, row, now);
    return row;
  } catch (e) {
    if (held) return held.row;
    throw e;
  } finally {
    if (!held) {
      const left = lookingUp.get(keyId)! - 1;
      if (left > 0) lookingUp.set(keyId, left);
      else lookingUp.delete(keyId);
    }
  }
}

/** Drops a key from this isolate's memory (it was just revoked here). */
export function forgetKey(keyId: string): void {
  keys.delete(keyId);
}

function spendUnknownLookup(now: number) {
  const second = Math.floor(now / 1000);
  if (unknownLookups.second !== second) Object.assign(unknownLookups, { second, count: 0 });
  unknownLookups.count += 1;
  if (unknownLookups.count > UNKNOWN_LOOKUPS_PER_SECOND) throw new TooManyUnknownKeys();
}

function refundUnknownLookup(now: number) {
  if (unknownLookups.second === Math.floor(now / 1000)) unknownLookups.count -= 1;
}

function remember(keyId: string, row: ApiKeyRow | undefined, readAt: number) {
  keys.delete(keyId);
  keys.set(keyId, { row, readAt });
  if (keys.size > KEY_CACHE_SIZE) keys.delete(keys.keys().next().value!);
}
