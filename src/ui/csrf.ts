// CSRF defence for every form: a token bound to the session (an HMAC of its random id) in a hidden
// field, checked on every POST, plus a same-origin check of Origin / Sec-Fetch-Site. SameSite=Lax
// on the session cookie is a third layer, not relied upon alone.
import type { Context } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { forbidden } from "../errors";
import { mac, pageKey, verifyMac } from "./page-keys";
import type { UiEnv } from "./env";

export const CSRF_FIELD = "_csrf";

export async function csrfToken(adminToken: string | undefined, bindTo: string): Promise<string> {
  return mac(await pageKey(adminToken), "csrf", bindTo);
}

export async function csrfTokenValid(adminToken: string | undefined, bindTo: string, token: string | null): Promise<boolean> {
  return token !== null && token !== "" && verifyMac(await pageKey(adminToken), "csrf", bindTo, token);
}

const refused = (reason: string) =>
  forbidden("This form submission was refused", [{ field: CSRF_FIELD, reason }]);

const sameOrigin = csrf({ secFetchSite: ["same-origin", "none"] });

/**
 * Refuses a POST coming from another site, by hono/csrf (Origin must be ours, or Sec-Fetch-Site
 * same-origin or none), answered with the page's own refusal rather than its bare 403. A request
 * with neither header is from a non-browser client, which cannot hold the victim's cookies anyway,
 * so hono/csrf (which refuses it) is not asked and the token check decides alone.
 */
export async function assertSameOrigin(c: Context<UiEnv>): Promise<void> {
  const origin = c.req.header("origin");
  const site = c.req.header("sec-fetch-site");
  if (origin === undefined && site === undefined) return;
  try {
    await sameOrigin(c, async () => {});
  } catch (e) {
    if (!(e instanceof HTTPException)) throw e;
    throw refused(origin !== undefined ? `the form was sent from ${origin}, not from this site` : `the form was sent from a ${site} page`);
  }
}

export { refused as csrfRefused };
