// API keys: `ewk_<key id>_<secret>`. Only the SHA-256 of the secret is stored; the key id finds
// the row, then the secret's hash is compared in constant time.
import { and, eq, isNull } from "drizzle-orm";
import { database } from "./client";
import { apiKeys } from "./schema";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

const KEY_PATTERN = /^ewk_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;

export function parseApiKey(key: string): { keyId: string; secret: string } | null {
  const match = KEY_PATTERN.exec(key);
  return match ? { keyId: match[1]!, secret: match[2]! } : null;
}

export function newApiKey(): { keyId: string; secret: string; key: string } {
  const keyId = hex(crypto.getRandomValues(new Uint8Array(12)));
  const secret = randomSecret();
  return { keyId, secret, key: `ewk_${keyId}_${secret}` };
}

/** 32 random bytes, base64url: the secret part of keys and portal links (store only its hashSecret). */
export function randomSecret(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export async function hashSecret(secret: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret))));
}

/** Constant-time equality of a presented secret's hash and a stored one. */
export function hashesMatch(presentedHash: string, storedHash: string): boolean {
  const encoder = new TextEncoder();
  const actual = encoder.encode(presentedHash);
  const expected = encoder.encode(storedHash);
  return actual.byteLength === expected.byteLength && crypto.subtle.timingSafeEqual(actual, expected);
}

/** The row of key `keyId` unless it was revoked. */
export async function findActiveKey(d1: D1Database, keyId: string): Promise<ApiKeyRow | undefined> {
  return database(d1).select().from(apiKeys).where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revoked))).get();
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
