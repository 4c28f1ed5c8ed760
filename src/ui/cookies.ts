// The page's cookies. `__Host-` names force Secure, Path=/ and no Domain, so a sibling subdomain
// can neither read nor plant them; HttpOnly keeps them from scripts.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

export const SESSION_COOKIE = "ewk_session";
export const FLASH_COOKIE = "ewk_flash";
export const SIGN_IN_COOKIE = "ewk_signin";

const base = { path: "/", secure: true, httpOnly: true, prefix: "host" } as const;

export function readCookie(c: Context, name: string): string | undefined {
  return getCookie(c, name, "host");
}

/** Lax for the session, so following a link to the page from elsewhere keeps you signed in. */
export function writeCookie(c: Context, name: string, value: string, maxAgeSeconds: number, sameSite: "Lax" | "Strict" = "Lax") {
  setCookie(c, name, value, { ...base, sameSite, maxAge: maxAgeSeconds, expires: new Date(Date.now() + maxAgeSeconds * 1000) });
}

export function clearCookie(c: Context, name: string) {
  deleteCookie(c, name, { ...base, sameSite: "Lax" });
}
