// Usage reports from producers: POST /v1/organizations/{org}/usage. Every report is evaluated
// against the organization's notification conditions and answers with what it fired.
import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../http/context";
import { requireKey } from "../http/auth";
import { tenantSecurity, bodyErrors, json, jsonBodyOf, OrgParam, tenantErrors } from "./common";
import { UsageReport, UsageResult } from "./usage-schemas";
import { reportUsage } from "../notifications/usage";
import { postDirectedEvents } from "../delivery/directed";

export const usageRouter = createRouter();
usageRouter.use("*", requireKey("any"));

usageRouter.openapi(
  createRoute({
    security: tenantSecurity,
    tags: ["Usage"],
    method: "post",
    path: "/",
    summary: "Report a developer's usage of a rate plan",
    description:
      "Give the cycle's absolute count in `transactions` or the transactions since the previous report in `increment`. For each UsageTarget threshold this report crosses (ascending), each matching notification condition (RATEPLAN equal; PUBLISHED=TRUE only for a published plan) sends the callback payload to each of its webhooks, once per developer, rate plan and billing cycle.",
    request: { params: OrgParam, body: jsonBodyOf(UsageReport) },
    responses: { 200: json(UsageResult, "Recorded; what this report fired"), ...tenantErrors, ...bodyErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    return c.json(await reportUsage(c.env, org, c.req.valid("json"), postDirectedEvents), 200);
  },
);
