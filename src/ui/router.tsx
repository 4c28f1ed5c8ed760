/** @jsxImportSource hono/jsx */
// The web page, mounted at /ui: public stylesheet and sign-in first, then everything behind the
// session and CSRF checks. Errors become HTML pages here, not the API's JSON.
import { Hono, type Context } from "hono";
import type { UiEnv } from "./env";
import { ApiError } from "../errors";
import { notForScopedSessions, requireCsrf, requireSession, securityHeaders } from "./middleware";
import { announcesConfigChanges } from "../http/config-changes";
import { accentStylesheet, STYLESHEET, VISUALLY_HIDDEN } from "./styles";
import { portalRoutes } from "./routes/portal";
import { authRoutes } from "./routes/auth";
import { webhookRoutes } from "./routes/webhooks";
import { entityRoutes, eventTypeRoutes } from "./routes/entities";
import { page, viewerOf } from "./render";
import { ErrorPage } from "./pages/error-page";
import { log } from "../log";

export const uiRouter = new Hono<UiEnv>();

uiRouter.use("*", securityHeaders);

const css = STYLESHEET + VISUALLY_HIDDEN;
uiRouter.get("/app.css", (c) => {
  c.header("cache-control", "public, max-age=300");
  return c.body(css, 200, { "content-type": "text/css; charset=utf-8" });
});

// The page's icon (named by the layout, so browsers do not ask for /favicon.ico).
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b57a4"/><path d="M4 8h5M7 5l3 3-3 3" stroke="#fff" stroke-width="1.6" fill="none"/></svg>`;
uiRouter.get("/icon.svg", (c) => {
  c.header("cache-control", "public, max-age=86400");
  return c.body(ICON, 200, { "content-type": "image/svg+xml" });
});

/** `:root` colours for a host's accent (#rrggbb, as the organization's settings validate it). */
uiRouter.get("/accent.css", (c) => {
  const color = /^#[0-9a-f]{6}$/.exec(c.req.query("color") ?? "")?.[0];
  if (!color) throw new ApiError(404, "not_found", "There is no such stylesheet.");
  c.header("cache-control", "public, max-age=86400");
  return c.body(accentStylesheet(color), 200, { "content-type": "text/css; charset=utf-8" });
});

uiRouter.route("/", authRoutes);
uiRouter.route("/portal", portalRoutes);

// Every form that changes something is announced to the event log (see announcesConfigChanges).
uiRouter.use("*", requireSession, requireCsrf, announcesConfigChanges<UiEnv>((c) => c.var.session?.principal.orgId));
uiRouter.get("/", (c) => c.redirect("/ui/webhooks", 303));
uiRouter.route("/webhooks", webhookRoutes);
// The organization's accounts and catalog are its own to manage, not a scoped portal session's.
uiRouter.use("/entities/*", notForScopedSessions);
uiRouter.use("/event-types/*", notForScopedSessions);
uiRouter.route("/entities", entityRoutes);
uiRouter.route("/event-types", eventTypeRoutes);
uiRouter.all("*", () => {
  throw new ApiError(404, "not_found", "There is no such page.");
});

uiRouter.onError(async (error, c: Context<UiEnv>) => {
  const viewer = c.var.session && c.var.csrf ? viewerOf(c) : undefined;
  if (error instanceof ApiError && error.status < 500) {
    const message = [error.message, ...error.details.map((d) => d.reason)].join(": ");
    const sentence = `${message.charAt(0).toUpperCase()}${message.slice(1)}${message.endsWith(".") ? "" : "."}`;
    return page(c, <ErrorPage status={error.status} message={sentence} viewer={viewer} />, error.status);
  }
  if (error instanceof ApiError && error.code === "not_configured") {
    return page(c, <ErrorPage status={503} message={error.message} />, 503);
  }
  log.error("page error", { method: c.req.method, path: new URL(c.req.url).pathname, error });
  return page(c, <ErrorPage status={500} message="Something went wrong on our side. Please try again; if it keeps happening, tell the operator." viewer={viewer} />, 500);
});
