// Webhooks at Apigee Edge's paths (/v1/mint/organizations/{org}/webhooks), with its shapes.
import { createRoute, z } from "@hono/zod-openapi";
import { announcesConfigChanges } from "../http/config-changes";
import { createRouter } from "../http/context";
import { refuseBody } from "../http/json-body";
import { requireKey } from "../http/auth";
import { allField, assertSameResource, pagingFields, refuseMixedPaging, toPage, tenantSecurity, bodyErrors, IdParam, json, jsonBodyOf, OrgParam, SourceName, tenantErrors, sentBodyErrors } from "./common";
import { CreateWebhook, UpdateWebhook, Webhook, WebhookList, toWebhookJson } from "./webhook-schemas";
import { listWebhooks } from "../db/webhooks";
import { changeWebhook, createWebhook, getWebhook, removeWebhook } from "../webhooks/lifecycle";

const route = { security: tenantSecurity, tags: ["Webhooks"] };
const Params = OrgParam.extend(IdParam.shape);

/** The list's query: also the page's search rules. */
export const ListQuery = z
  .object({
    ...pagingFields,
    ...allField,
    q: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: "Only webhooks whose name or URL contains this text, ignoring ASCII case; every character is literal (% and _ too)" }),
    enabled: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
    source: SourceName.optional(),
  })
  .superRefine(refuseMixedPaging)
  .transform(toPage);

const DeleteQuery = z.object({
  forceDelete: z
    .enum(["true", "false"], { error: "must be true or false" })
    .default("true")
    .transform((v) => v === "true")
    .openapi({
      description:
        "true (default): delete even while deliveries are pending (they are cancelled) or notification actions name it (they are removed). false: refuse with 409 in those cases.",
    }),
});

export const webhooksRouter = createRouter();
webhooksRouter.use("*", requireKey("admin"));
webhooksRouter.use("*", announcesConfigChanges((c) => c.req.param("org")));

webhooksRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/",
    operationId: "listWebhooks",
    summary: "List webhooks",
    request: { params: OrgParam, query: ListQuery },
    responses: { 200: json(WebhookList, "The webhooks, with the total matching the search"), ...tenantErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const list = await listWebhooks(c.env.DB, org, c.req.valid("query"));
    return c.json({ totalRecords: list.totalRecords, webhooks: list.webhooks.map(toWebhookJson) }, 200);
  },
);

webhooksRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}",
    operationId: "getWebhook",
    summary: "Get a webhook",
    request: { params: Params },
    responses: { 200: json(Webhook, "The webhook"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    return c.json(toWebhookJson(await getWebhook(c.env.DB, org, id)), 200);
  },
);

webhooksRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/",
    operationId: "createWebhook",
    summary: "Create a webhook (starts disabled unless enabled is given, as in Apigee)",
    request: { params: OrgParam, body: jsonBodyOf(CreateWebhook) },
    responses: { 201: json(Webhook, "Created"), ...tenantErrors, ...bodyErrors },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const row = await createWebhook(c.env, c.var.principal, { ...body, name: body.name, postUrl: body.postUrl! }, false);
    return c.json(toWebhookJson(row), 201);
  },
);

const update = (method: "put" | "post", summary: string) =>
  createRoute({
    ...route,
    method,
    path: "/{id}",
    operationId: method === "put" ? "updateWebhook" : "updateWebhookByPost",
    summary,
    request: { params: Params, body: jsonBodyOf(UpdateWebhook) },
    responses: { 200: json(Webhook, "The updated webhook"), ...tenantErrors, ...bodyErrors },
  });

for (const [method, summary] of [
  ["put", "Update the fields given"],
  ["post", 'Update the fields given; Apigee enables/disables this way with {"enabled": "true"}'],
] as const) {
  webhooksRouter.openapi(update(method, summary), async (c) => {
    const path = c.req.valid("param");
    const { id, orgId, ...changes } = c.req.valid("json");
    assertSameResource({ id, orgId }, path);
    const row = await changeWebhook(c.env, c.var.principal, path.id, changes);
    return c.json(toWebhookJson(row), 200);
  });
}

webhooksRouter.openapi(
  createRoute({
    ...route,
    method: "delete",
    path: "/{id}",
    operationId: "deleteWebhook",
    summary: "Delete a webhook",
    request: { params: Params, query: DeleteQuery },
    responses: { 204: { description: "Deleted" }, ...tenantErrors, 409: bodyErrors[409], ...sentBodyErrors },
  }),
  async (c) => {
    await refuseBody(c);
    const { org, id } = c.req.valid("param");
    await removeWebhook(c.env, org, id, c.req.valid("query").forceDelete, c.var.principal.email);
    return c.body(null, 204);
  },
);
