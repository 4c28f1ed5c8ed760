// CSRF defence for every form: a token bound to the session (an HMAC of its random id) in a hidden
// field, checked on every POST, plus a same-origin check of Origin / Sec-Fetch-Site. SameSite=Lax
// on the session cookie is a third layer, not relied upon alone.
import type { Context } from "hono";
import { ApiError } from "../errors";
import { mac, pageKey, verifyMac } from "./seal";
import type { UiEnv } from "./env";

export const CSRF_FIELD = "_csrf";

export async function csrfToken(adminToken: string | undefined, bindTo: string): Promise<string> {
  return mac(await pageKey(adminToken), "csrf", bindTo);
}

export async function csrfTokenValid(adminToken: string | undefined, bindTo: string, token: string | null): Promise<boolean> {
  return token !== null && token !== "" && verifyMac(await pageKey(adminToken), "csrf", bindTo, token);
}

const refused = (reason: string) =>
  new ApiError(403, "forbidden", "This form submission was refused", [{ field: CSRF_FIELD, reason }]);

/**
 * Refuses a POST coming from another site. Browsers send Origin on every POST (and Sec-Fetch-Site
 * where supported); a request with neither is from a non-browser client, which cannot hold the
 * victim's cookies anyway, so the token check decides alone.
 */
export function assertSameOrigin(c: Context<UiEnv>): void {
  const origin = c.req.header("origin");
  const own = new URL(c.req.url).origin;
  if (origin !== undefined && origin !== own) throw refused(`the form was sent from ${origin}, not from this site`);
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") throw refused(`the form was sent from a ${site} page`);
}

export { refused as csrfRefused };
