// The page's sessions, in signed cookies. A sign-in session names the admin key used to sign in; a
// portal session names the portal link that opened it. Every request re-reads that key (or link
// and the key that minted it), so revoking the key ends the session at once.
import type { Context } from "hono";
import { findActiveKey } from "../db/api-keys";
import { findOpenedLink, scopeOf, type OrganizationRow, type PortalLinkRow } from "../db/portal-links";
import { principalOf } from "../http/auth";
import type { Principal } from "../http/context";
import { clearCookie, PORTAL_COOKIE, readCookie, readSignedCookie, SESSION_COOKIE, writeSignedCookie } from "./cookies";
import type { Session, UiEnv } from "./env";
import { randomToken } from "./page-keys";

/** Sessions end after this long whatever happens; signing in again starts a new one. */
export const SESSION_SECONDS = 8 * 60 * 60;

interface Claims {
  sid: string;
  kid: string;
  org: string;
  exp: number;
}

interface PortalClaims {
  sid: string;
  link: string;
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

function isPortalClaims(value: unknown): value is PortalClaims {
  const v = value as PortalClaims;
  return (
    typeof v === "object" && v !== null &&
    typeof v.sid === "string" && typeof v.link === "string" && typeof v.org === "string" && typeof v.exp === "number"
  );
}

export async function startSession(c: Context<UiEnv>, principal: Principal): Promise<void> {
  const claims: Claims = { sid: randomToken(), kid: principal.keyId, org: principal.orgId, exp: Date.now() + SESSION_SECONDS * 1000 };
  await writeSignedCookie(c, SESSION_COOKIE, claims, SESSION_SECONDS);
  // A portal session opened in this browser (outside any host's frame) would otherwise take precedence.
  if (readCookie(c, PORTAL_COOKIE) !== undefined) clearCookie(c, PORTAL_COOKIE, "embeddable");
}

/** Starts the session a portal link opens: its cookie works inside the host's frame. */
export async function startPortalSession(c: Context<UiEnv>, link: PortalLinkRow): Promise<void> {
  const claims: PortalClaims = { sid: randomToken(), link: link.id, org: link.orgId, exp: Date.now() + link.sessionSeconds * 1000 };
  await writeSignedCookie(c, PORTAL_COOKIE, claims, link.sessionSeconds, "embeddable");
}

export function endSession(c: Context<UiEnv>): void {
  clearCookie(c, SESSION_COOKIE, "Lax");
}

/** The sign-in session of the request, or undefined when there is none, it expired, or its key no longer works. */
export async function currentSession(c: Context<UiEnv>): Promise<Session | undefined> {
  const claims = await readSignedCookie(c, SESSION_COOKIE);
  if (!isClaims(claims) || claims.exp <= Date.now()) return undefined;
  const key = await findActiveKey(c.env.DB, claims.kid);
  // Only admin keys manage webhooks; the organization check guards against a key id reused elsewhere.
  if (!key || key.orgId !== claims.org || key.role !== "admin") return undefined;
  return { id: claims.sid, principal: principalOf(key), expires: claims.exp };
}

/**
 * The request's portal session; `ended` when its cookie is ours but the session is over (expired,
 * or the key that minted its link was revoked), with the organization so the page saying so can
 * be shown in the host's frame and link back. Undefined without a portal cookie of ours.
 */
export async function currentPortalSession(
  c: Context<UiEnv>,
): Promise<{ session: Session } | { ended: { organization: OrganizationRow | undefined; returnUrl: string | null } } | undefined> {
  const claims = await readSignedCookie(c, PORTAL_COOKIE);
  if (!isPortalClaims(claims)) return undefined;
  const opened = await findOpenedLink(c.env.DB, claims.link);
  if (!opened || !opened.keyActive || opened.link.orgId !== claims.org || claims.exp <= Date.now()) {
    return { ended: { organization: opened?.organization, returnUrl: opened?.link.returnUrl ?? null } };
  }
  const { link, organization } = opened;
  return {
    session: {
      id: claims.sid,
      // The host's user acts with admin rights within the scope; the minting key (if any) is the one re-checked.
      principal: { keyId: link.keyId ?? "", orgId: link.orgId, email: link.email, role: "admin", source: null },
      expires: claims.exp,
      portal: { scope: scopeOf(link), returnUrl: link.returnUrl, organization },
    },
  };
}

export function endPortalSession(c: Context<UiEnv>): void {
  clearCookie(c, PORTAL_COOKIE, "embeddable");
}
