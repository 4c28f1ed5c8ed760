// The page's session: a signed cookie naming the admin key used to sign in. Every request
// re-reads that key, so revoking it ends the session at once.
import type { Context } from "hono";
import { findActiveKey } from "../db/api-keys";
import { principalOf } from "../http/auth";
import type { Principal } from "../http/context";
import { clearCookie, readCookie, SESSION_COOKIE, writeCookie } from "./cookies";
import type { Session, UiEnv } from "./env";
import { pageKey, randomToken, seal, unseal } from "./seal";

/** Sessions end after this long whatever happens; signing in again starts a new one. */
export const SESSION_SECONDS = 8 * 60 * 60;

interface Claims {
  sid: string;
  kid: string;
  org: string;
  exp: number;
}

function isClaims(value: unknown): value is Claims {
  const v = value as Claims;
  return (
    typeof v === "object" && v !== null &&
    typeof v.sid === "string" && typeof v.kid === "string" && typeof v.org === "string" && typeof v.exp === "number"
  );
}

export async function startSession(c: Context<UiEnv>, principal: Principal): Promise<void> {
  const claims: Claims = { sid: randomToken(), kid: principal.keyId, org: principal.orgId, exp: Date.now() + SESSION_SECONDS * 1000 };
  writeCookie(c, SESSION_COOKIE, await seal(await pageKey(c.env.ADMIN_TOKEN), "session", claims), SESSION_SECONDS);
}

export function endSession(c: Context<UiEnv>): void {
  clearCookie(c, SESSION_COOKIE);
}

/** The session of the request, or undefined when there is none, it expired, or its key no longer works. */
export async function currentSession(c: Context<UiEnv>): Promise<Session | undefined> {
  const claims = await unseal(await pageKey(c.env.ADMIN_TOKEN), "session", readCookie(c, SESSION_COOKIE));
  if (!isClaims(claims) || claims.exp <= Date.now()) return undefined;
  const key = await findActiveKey(c.env.DB, claims.kid);
  // Only admin keys manage webhooks; the organization check guards against a key id reused elsewhere.
  if (!key || key.orgId !== claims.org || key.role !== "admin") return undefined;
  return { id: claims.sid, principal: principalOf(key), expires: claims.exp };
}
