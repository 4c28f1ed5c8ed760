// API keys: `ewk_<key id>_<secret>`. Only the SHA-256 of the secret is stored; the key id finds
// the row, then the secret's hash is compared in constant time.
import { and, eq, isNull, sql, type Placeholder } from "drizzle-orm";
import { fromRow, prebuilt } from "./client";
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

/** The row of key `keyId` if it is not revoked. */
export function isActiveKey(keyId: string | Placeholder) {
  return and(eq(apiKeys.id, keyId), isNull(apiKeys.revoked))!;
}

/**
 * The key's row unless it was revoked (read its result with `activeKeyOf`): a statement, so ingest
 * can send it in its one D1 batch; built once, as every authenticated request reads it.
 */
export const activeKeyStatement = prebuilt<"keyId">((db) => db.select().from(apiKeys).where(isActiveKey(sql.placeholder("keyId"))));

/** The key in the raw row `activeKeyStatement` returned, if any. */
export function activeKeyOf(row: Record<string, unknown> | null | undefined): ApiKeyRow | undefined {
  return row ? fromRow(apiKeys, row) : undefined;
}

export async function findActiveKey(d1: D1Database, keyId: string): Promise<ApiKeyRow | undefined> {
  return activeKeyOf(await activeKeyStatement(d1, { keyId }).first<Record<string, unknown>>());
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
