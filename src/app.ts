// The HTTP side of the Worker: every router mounted at its path, one error shape, the OpenAPI
// document and its reference page.
import { createRoute, z } from "@hono/zod-openapi";
import { methodNotAllowed } from "hono/method-not-allowed";
import { createRouter } from "./http/context";
import { ApiError } from "./errors";
import { config, ConfigError } from "./config";
import { log } from "./log";
import { jsonBody } from "./http/json-body";
import { notFound, onError, onMethodNotAllowed } from "./http/error-handler";
import { adminRouter } from "./api/admin";
import { entitiesRouter } from "./api/entities";
import { eventTypesRouter } from "./api/event-types";
import { webhooksRouter } from "./api/webhooks";
import { deliveriesRouter } from "./api/deliveries";
import { eventsRouter } from "./api/events";
import { notificationConditionsRouter } from "./api/notification-conditions";
import { usageRouter } from "./api/usage";
import { portalLinksRouter } from "./api/portal-links";
import { docsPage } from "./api/docs";
import { json, tenantErrors } from "./api/common";
import { uiRouter } from "./ui/router";
import { readinessRouter } from "./api/readiness";
import { webhookStatsRouter } from "./api/webhook-stats";

export const app = createRouter();

// The settings are checked before anything else runs: a bad value fails every request, naming the
// setting (and logged with the value it got), rather than something running on a default.
app.use("*", async (c, next) => {
  try {
    config(c.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    log.error("the Worker's settings are not valid", { error: e });
    const details = e.problems.map(({ setting, reason }) => ({ field: setting, reason }));
    throw new ApiError(500, "misconfigured", "The platform's settings are not valid; its operator must correct them", details);
  }
  await next();
});
app.use("*", methodNotAllowed({ app, onMethodNotAllowed }));
app.use("*", jsonBody());
app.openapi(
  createRoute({
    method: "get",
    path: "/healthz",
    tags: ["Platform"],
    security: [],
    operationId: "getHealth",
    summary: "Liveness: answers while the Worker runs (touches no storage)",
    responses: { 200: json(z.object({ ok: z.literal(true) }), "The Worker is up"), 405: tenantErrors[405] },
  }),
  (c) => c.json({ ok: true as const }, 200),
);

app.route("/readyz", readinessRouter);
app.route("/v1/admin", adminRouter);
app.route("/v1/organizations/:org/entities", entitiesRouter);
app.route("/v1/organizations/:org/event-types", eventTypesRouter);
app.route("/v1/organizations/:org/usage", usageRouter);
app.route("/v1/mint/organizations/:org/webhooks", webhooksRouter);
app.route("/v1/mint/organizations/:org/webhooks", deliveriesRouter);
app.route("/v1/mint/organizations/:org/webhooks", webhookStatsRouter);
app.route("/v1/organizations/:org/events", eventsRouter);
app.route("/v1/mint/organizations/:org/notification-conditions", notificationConditionsRouter);
app.route("/v1/organizations/:org/portal-links", portalLinksRouter);

// The web page (server-rendered, no JavaScript needed); the site's root opens it.
app.route("/ui", uiRouter);
app.get("/", (c) => c.redirect("/ui/webhooks", 303));

app.openAPIRegistry.registerComponent("securitySchemes", "basicAuth", {
  type: "http",
  scheme: "basic",
  description: "email:key, as Apigee's curl -u email:password",
});
app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer", description: "An API key" });
app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
  type: "http",
  scheme: "bearer",
  description: "The platform admin token (ADMIN_TOKEN secret)",
});

export const openApiConfig = {
  openapi: "3.1.0",
  // Relative: the deployment that serves the document.
  servers: [{ url: "/" }],
  info: {
    title: "Edge Webhooks API",
    version: "1.0.0",
    description:
      "Manage webhooks (Apigee Edge monetization paths and shapes, plus Wink/TripPay source, entity and events), post events, and follow every delivery attempt. Errors are always {\"error\":{\"code\",\"message\",\"details\":[{\"field\",\"reason\"}]}}.",
  },
};

app.doc31("/openapi.json", openApiConfig);
app.get("/docs", (c) => c.html(docsPage(app.getOpenAPI31Document(openApiConfig))));

app.onError(onError);
app.notFound(notFound);
