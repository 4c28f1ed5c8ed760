// GET …/webhooks/{id}/stats: a webhook's success rate, latency and backlog over a window, from the
// aggregates its sequencer keeps.
import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../http/context";
import { requireKey } from "../http/auth";
import { getWebhook } from "../webhooks/lifecycle";
import { sequencer } from "../delivery/sequencer-client";
import { IdParam, json, OrgParam, tenantErrors, tenantSecurity } from "./common";
import { StatsQuery, WebhookStats } from "./webhook-stats-schemas";

export const webhookStatsRouter = createRouter();
webhookStatsRouter.use("*", requireKey("admin"));

webhookStatsRouter.openapi(
  createRoute({
    security: tenantSecurity,
    tags: ["Deliveries"],
    method: "get",
    path: "/{id}/stats",
    operationId: "getWebhookStats",
    summary: "Delivery statistics: totals, success rate, latency p50/p95, backlog, and a series for a chart",
    request: { params: OrgParam.extend(IdParam.shape), query: StatsQuery },
    responses: { 200: json(WebhookStats, "The webhook's statistics over the window"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    const webhook = await getWebhook(c.env.DB, org, id);
    return c.json(await sequencer(c.env, webhook.id).stats(c.req.valid("query").window), 200);
  },
);
