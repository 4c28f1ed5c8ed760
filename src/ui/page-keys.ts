// The page's keys: for the CSRF tokens, and for the cookies hono/cookie signs (the sessions, the
// flash message). They are derived from the ADMIN_TOKEN secret with HMAC and a fixed label, so
// there is no second secret to provision, the admin token itself never signs anything a browser
// holds, and rotating the admin token signs every page user out (what an operator rotating after a
// leak wants).
import { decodeBase64Url, encodeBase64Url } from "hono/utils/encode";
import { ApiError } from "../errors";

const LABEL = "edge-webhooks/ui/v1";
const encoder = new TextEncoder();

let cached: { token: string; key: Promise<CryptoKey> } | undefined;

/** The page's HMAC key; 503 when the Worker has no ADMIN_TOKEN (nothing could be signed safely). */
export function pageKey(adminToken: string | undefined): Promise<CryptoKey> {
  if (!adminToken) {
    throw new ApiError(503, "not_configured", "The page is not configured: the operator must set the ADMIN_TOKEN secret");
  }
  if (cached?.token !== adminToken) cached = { token: adminToken, key: deriveKey(adminToken) };
  return cached.key;
}

async function deriveKey(adminToken: string): Promise<CryptoKey> {
  const root = await crypto.subtle.importKey("raw", encoder.encode(adminToken), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const derived = await crypto.subtle.sign("HMAC", root, encoder.encode(LABEL));
  return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/** HMAC of `purpose.message`: the purpose keeps a token made for one use from passing as another. */
export async function mac(key: CryptoKey, purpose: string, message: string): Promise<string> {
  return toBase64Url(await crypto.subtle.sign("HMAC", key, encoder.encode(`${purpose}.${message}`)));
}

/** Constant-time check of a MAC made by `mac` (crypto.subtle.verify compares in constant time). */
export async function verifyMac(key: CryptoKey, purpose: string, message: string, tag: string): Promise<boolean> {
  const bytes = fromBase64Url(tag);
  if (!bytes) return false;
  return crypto.subtle.verify("HMAC", key, bytes, encoder.encode(`${purpose}.${message}`));
}

/** The key hono/cookie signs the cookie `name` with: the page's key, made the cookie's own. */
export async function cookieSecret(adminToken: string | undefined, name: string): Promise<ArrayBuffer> {
  return crypto.subtle.sign("HMAC", await pageKey(adminToken), encoder.encode(`cookie.${name}`));
}

export function randomToken(bytes = 16): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)).buffer);
}

/** hono's base64url, without its padding. */
function toBase64Url(bytes: ArrayBuffer): string {
  return encodeBase64Url(bytes).replace(/=+$/, "");
}

/** hono's base64url decoding, for our alphabet only (it would also take + / and =). */
function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    return decodeBase64Url(text);
  } catch {
    return undefined;
  }
}
