// Usage reports from producers: POST /v1/organizations/{org}/usage. Every report is evaluated by
// the organization's event log against its notification conditions and answers with what it fired.
import { createRoute } from "@hono/zod-openapi";
import { createRouter } from "../http/context";
import { requireKey } from "../http/auth";
import { apiErrorOf } from "../errors";
import { tenantSecurity, bodyErrors, json, jsonBodyOf, OrgParam, tenantErrors } from "./common";
import { UsageReport, UsageResult } from "./usage-schemas";
import { eventLog } from "../ingest/event-log-client";
import { dispatch } from "../delivery/dispatch";

export const usageRouter = createRouter();
usageRouter.use("*", requireKey("any"));

usageRouter.openapi(
  createRoute({
    security: tenantSecurity,
    tags: ["Usage"],
    method: "post",
    path: "/",
    operationId: "reportUsage",
    summary: "Report a developer's usage of a rate plan",
    description:
      "Give the cycle's absolute count in `transactions` or the transactions since the previous report in `increment`. For each UsageTarget threshold this report crosses (ascending), each matching notification condition (RATEPLAN equal; PUBLISHED=TRUE only for a published plan) sends the callback payload to each of its webhooks, once per developer, rate plan and billing cycle.",
    request: { params: OrgParam, body: jsonBodyOf(UsageReport) },
    responses: { 200: json(UsageResult, "Recorded; what this report fired"), ...tenantErrors, ...bodyErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const answer = await eventLog(c.env, org).reportUsage(org, c.req.valid("json"));
    if (!answer.ok) throw apiErrorOf(answer.refusal);
    if (answer.value.fanout.length > 0) c.executionCtx.waitUntil(dispatch(c.env, org, answer.value.fanout));
    return c.json(answer.value.result, 200);
  },
);
