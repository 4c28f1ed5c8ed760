/** @jsxImportSource hono/jsx */
// The web page, mounted at /ui: public stylesheet and sign-in first, then everything behind the
// session and CSRF checks. Errors become HTML pages here, not the API's JSON.
import { Hono, type Context } from "hono";
import type { UiEnv } from "./env";
import { ApiError } from "../http/errors";
import { requireCsrf, requireSession, securityHeaders } from "./middleware";
import { announcesConfigChanges } from "../http/config-changes";
import { STYLESHEET, VISUALLY_HIDDEN } from "./styles";
import { authRoutes } from "./routes/auth";
import { webhookRoutes } from "./routes/webhooks";
import { entityRoutes, eventTypeRoutes } from "./routes/entities";
import { page } from "./render";
import { ErrorPage } from "./pages/error-page";
import { log } from "../log";

export const uiRouter = new Hono<UiEnv>();

uiRouter.use("*", securityHeaders);

const css = STYLESHEET + VISUALLY_HIDDEN;
uiRouter.get("/app.css", (c) => {
  c.header("cache-control", "public, max-age=300");
  return c.body(css, 200, { "content-type": "text/css; charset=utf-8" });
});

uiRouter.route("/", authRoutes);

// Every form that changes something is announced to the event log (see announcesConfigChanges).
uiRouter.use("*", requireSession, requireCsrf, announcesConfigChanges<UiEnv>((c) => c.var.session?.principal.orgId));
uiRouter.get("/", (c) => c.redirect("/ui/webhooks", 303));
uiRouter.route("/webhooks", webhookRoutes);
uiRouter.route("/entities", entityRoutes);
uiRouter.route("/event-types", eventTypeRoutes);
uiRouter.all("*", () => {
  throw new ApiError(404, "not_found", "There is no such page.");
});

uiRouter.onError(async (error, c: Context<UiEnv>) => {
  const viewer = c.var.session && c.var.csrf ? { principal: c.var.session.principal, csrf: c.var.csrf } : undefined;
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
