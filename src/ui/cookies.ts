// The page's cookies. `__Host-` names force Secure, Path=/ and no Domain, so a sibling subdomain
// can neither read nor plant them; HttpOnly keeps them from scripts.
import type { Context } from "hono";
import { deleteCookie, getCookie, getSignedCookie, setCookie, setSignedCookie } from "hono/cookie";
import type { UiEnv } from "./env";
import { cookieSecret } from "./page-keys";

export const SESSION_COOKIE = "ewk_session";
export const PORTAL_COOKIE = "ewk_portal";
export const FLASH_COOKIE = "ewk_flash";
export const SIGN_IN_COOKIE = "ewk_signin";

/**
 * Lax: following a link to the page from elsewhere keeps you signed in. Strict: only our own forms
 * need it. Embeddable: a portal session's cookies must work inside a host product's frame, so they
 * are SameSite=None and Partitioned (CHIPS): kept apart per top-level site, never shared between hosts.
 */
export type CookieSite = "Lax" | "Strict" | "embeddable";

const base = { path: "/", secure: true, httpOnly: true, prefix: "host" } as const;

const attributes = (site: CookieSite) => (site === "embeddable" ? { ...base, sameSite: "None", partitioned: true } as const : { ...base, sameSite: site });

/** Portal sessions write embeddable cookies (their flash messages too); sign-in sessions Lax ones. */
const siteOf = (c: Context<UiEnv>): CookieSite => (c.get("session")?.portal ? "embeddable" : "Lax");

export function readCookie(c: Context, name: string): string | undefined {
  return getCookie(c, name, "host");
}

const lifetime = (maxAgeSeconds: number) => ({ maxAge: maxAgeSeconds, expires: new Date(Date.now() + maxAgeSeconds * 1000) });

export function writeCookie(c: Context<UiEnv>, name: string, value: string, maxAgeSeconds: number, site: CookieSite = siteOf(c)) {
  setCookie(c, name, value, { ...attributes(site), ...lifetime(maxAgeSeconds) });
}

/** `value` as JSON, signed with this cookie's own key: readable by anyone, changeable by no one without it. */
export async function writeSignedCookie(c: Context<UiEnv>, name: string, value: unknown, maxAgeSeconds: number, site: CookieSite = siteOf(c)) {
  await setSignedCookie(c, name, JSON.stringify(value), await cookieSecret(c.env.ADMIN_TOKEN, name), { ...attributes(site), ...lifetime(maxAgeSeconds) });
}

/** The value writeSignedCookie wrote, or undefined when the cookie is missing or was not signed by us. */
export async function readSignedCookie(c: Context<UiEnv>, name: string): Promise<unknown> {
  const json = await getSignedCookie(c, await cookieSecret(c.env.ADMIN_TOKEN, name), name, "host");
  return json ? JSON.parse(json) : undefined;
}

export function clearCookie(c: Context<UiEnv>, name: string, site: CookieSite = siteOf(c)) {
  deleteCookie(c, name, attributes(site));
}
