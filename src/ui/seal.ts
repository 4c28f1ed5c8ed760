// Signed (not encrypted) tokens for the page: the session cookie, the flash message, the CSRF
// tokens. The key is derived from the ADMIN_TOKEN secret with HMAC and a fixed label, so there is
// no second secret to provision, the admin token itself never signs anything a browser holds, and
// rotating the admin token signs every page user out (what an operator rotating after a leak wants).
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
  return toBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${purpose}.${message}`))));
}

/** Constant-time check of a MAC made by `mac` (crypto.subtle.verify compares in constant time). */
export async function verifyMac(key: CryptoKey, purpose: string, message: string, tag: string): Promise<boolean> {
  const bytes = fromBase64Url(tag);
  if (!bytes) return false;
  return crypto.subtle.verify("HMAC", key, bytes, encoder.encode(`${purpose}.${message}`));
}

/** `<base64url JSON>.<mac>`: readable by anyone, changeable by no one without the key. */
export async function seal(key: CryptoKey, purpose: string, value: unknown): Promise<string> {
  const body = toBase64Url(encoder.encode(JSON.stringify(value)));
  return `${body}.${await mac(key, purpose, body)}`;
}

/** The value sealed for `purpose`, or undefined if the token is malformed or was not made by us. */
export async function unseal(key: CryptoKey, purpose: string, token: string | undefined): Promise<unknown> {
  if (!token) return undefined;
  const dot = token.indexOf(".");
  if (dot < 0) return undefined;
  const body = token.slice(0, dot);
  if (!(await verifyMac(key, purpose, body, token.slice(dot + 1)))) return undefined;
  const bytes = fromBase64Url(body);
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

export function randomToken(bytes = 16): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function toBase64Url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (ch) => ch.charCodeAt(0));
  } catch {
    return undefined;
  }
}
