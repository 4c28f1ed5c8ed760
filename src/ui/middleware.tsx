/** @jsxImportSource hono/jsx */
// What every page request goes through: security headers, the session, and the CSRF check.
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { UiEnv } from "./env";
import { currentPortalSession, currentSession, endPortalSession, endSession } from "./session";
import { assertSameOrigin, CSRF_FIELD, csrfRefused, csrfToken, csrfTokenValid } from "./csrf";
import { readCookie, SESSION_COOKIE } from "./cookies";
import { setFlash } from "./flash";
import { readForm } from "./form";
import { page } from "./render";
import { isScoped } from "./layout";
import { forbidden } from "../errors";
import { PortalRefusedPage } from "./pages/portal-refused";

/**
 * No script runs on the page at all (script-src defaults to 'none'); styles only from our own
 * stylesheets; forms post only to us. No framing, except a portal page by the origins its
 * organization allows.
 */
const headersFor = (framers: string[]) =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: framers.length > 0 ? framers : ["'none'"],
      baseUri: ["'none'"],
    },
    // X-Frame-Options has no way to name origins, so it is sent only where nobody may frame the page.
    xFrameOptions: framers.length > 0 ? false : "DENY",
    xContentTypeOptions: true,
    referrerPolicy: "same-origin",
    // hono's other defaults, which the page has never sent:
    crossOriginResourcePolicy: false, crossOriginOpenerPolicy: false, originAgentCluster: false, strictTransportSecurity: false,
    xDnsPrefetchControl: false, xDownloadOptions: false, xPermittedCrossDomainPolicies: false, xXssProtection: false,
  });
const unframed = headersFor([]);

/**
 * The page's security headers. Who may frame it is known only once a page is answered (the portal
 * organization's origins), while secure-headers fixes its CSP before the handler runs; so it is
 * applied afterwards, made for those origins. Pages are per-user, so nothing is cached.
 */
export const securityHeaders: MiddlewareHandler<UiEnv> = async (c, next) => {
  await next();
  const framers = c.get("frameAncestors") ?? [];
  await (framers.length > 0 ? headersFor(framers) : unframed)(c, async () => {});
  if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
};

/** Where to return after signing in: only a page of ours, never another site (no open redirect). */
export function safeNext(value: string | null | undefined): string {
  return value && /^\/ui\/[A-Za-z0-9\-._~%/?=&+]*$/.test(value) && !value.includes("//") ? value : "/ui/webhooks";
}

/**
 * Signed-in pages: no valid session (or its key was revoked) sends you to sign in; an ended
 * portal session gets a page saying so instead, in the host's frame, linking back to the host.
 */
export const requireSession: MiddlewareHandler<UiEnv> = async (c, next) => {
  const portal = await currentPortalSession(c);
  if (portal && "ended" in portal) {
    endPortalSession(c);
    c.set("frameAncestors", portal.ended.organization?.frameAncestors ?? []);
    return page(
      c,
      <PortalRefusedPage title="Your session has ended" organization={portal.ended.organization} returnUrl={portal.ended.returnUrl} reason="Your session on this page has ended, so nothing was changed. Open the webhooks page again from where you came." />,
      401,
    );
  }
  const session = portal?.session ?? (await currentSession(c));
  if (!session) {
    const hadCookie = readCookie(c, SESSION_COOKIE) !== undefined;
    if (hadCookie) endSession(c);
    const url = new URL(c.req.url);
    if (c.req.method === "GET" || c.req.method === "HEAD") {
      const next = safeNext(url.pathname + url.search);
      return c.redirect(next === "/ui/webhooks" ? "/ui/sign-in" : `/ui/sign-in?next=${encodeURIComponent(next)}`, 303);
    }
    // A form posted after the session ended: nothing is done; say why on the sign-in page.
    await setFlash(c, { kind: "error", text: "Your session has ended, so nothing was changed. Sign in again." });
    return c.redirect("/ui/sign-in", 303);
  }
  c.set("session", session);
  if (session.portal) c.set("frameAncestors", session.portal.organization.frameAncestors);
  c.set("csrf", await csrfToken(c.env.ADMIN_TOKEN, `session.${session.id}`));
  await next();
};

/** Pages a portal session limited to a source or accounts may not open. */
export const notForScopedSessions: MiddlewareHandler<UiEnv> = async (c, next) => {
  if (isScoped(c.var.session.portal)) {
    throw forbidden("This page is not part of what your link opened: it shows only the webhooks of your accounts");
  }
  await next();
};

/** Every POST: same origin, and the session's token in the form. The form is read here, once. */
export const requireCsrf: MiddlewareHandler<UiEnv> = async (c, next) => {
  if (c.req.method !== "POST") return next();
  await assertSameOrigin(c);
  const form = await readForm(c);
  if (!(await csrfTokenValid(c.env.ADMIN_TOKEN, `session.${c.var.session.id}`, form.get(CSRF_FIELD)))) {
    throw csrfRefused("the form's security token is missing or out of date; reload the page and try again");
  }
  c.set("form", form);
  await next();
};
