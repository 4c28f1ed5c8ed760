// Notification conditions for adjustable rate plans at Apigee Edge's paths
// (/v1/mint/organizations/{org}/notification-conditions), with its body.
import { createRoute, z } from "@hono/zod-openapi";
import { announcesConfigChanges } from "../http/config-changes";
import { createRouter } from "../http/context";
import { refuseBody } from "../http/json-body";
import { requireKey } from "../http/auth";
import { allField, assertSameResource, pagingFields, refuseMixedPaging, toPage, tenantSecurity, bodyErrors, IdParam, json, jsonBodyOf, OrgParam, tenantErrors, sentBodyErrors } from "./common";
import {
  CreateNotificationCondition,
  NotificationCondition,
  NotificationConditionList,
  UpdateNotificationCondition,
  type NotificationConditionJson,
} from "./notification-condition-schemas";
import { createCondition, deleteCondition, getCondition, updateCondition } from "../notifications/conditions";
import { conditionThresholds, percentOf } from "../notifications/usage-target";
import { listConditions, type ConditionWithActions } from "../db/notification-conditions";

const route = { security: tenantSecurity, tags: ["Notification conditions"] };
const Params = OrgParam.extend(IdParam.shape);

const ListQuery = z
  .object({
    ...pagingFields,
    ...allField,
    ratePlanId: z.string().min(1).max(200).optional().openapi({ description: "Only the conditions on this rate plan" }),
  })
  .superRefine(refuseMixedPaging)
  .transform(toPage);

function toConditionJson(row: ConditionWithActions): NotificationConditionJson {
  return {
    id: row.id,
    orgId: row.orgId,
    notificationCondition: [
      { attribute: "RATEPLAN", value: row.ratePlanId },
      ...(row.publishedOnly ? [{ attribute: "PUBLISHED" as const, value: "TRUE" }] : []),
      { attribute: "UsageTarget", value: row.usageTarget },
    ],
    actions: row.webhookIds.map((value) => ({ actionAttribute: "WEBHOOK" as const, value })),
    thresholds: conditionThresholds(row).map(percentOf),
    created: row.created,
    createdBy: row.createdBy,
    updated: row.updated,
    updatedBy: row.updatedBy,
  };
}

export const notificationConditionsRouter = createRouter();
notificationConditionsRouter.use("*", requireKey("admin"));
notificationConditionsRouter.use("*", announcesConfigChanges((c) => c.req.param("org")));

notificationConditionsRouter.openapi(
  createRoute({
    ...route,
    method: "post",
    path: "/",
    operationId: "createNotificationCondition",
    summary: "Create a notification condition",
    description:
      "Notifies the webhooks of its actions when a developer's usage on the rate plan crosses a UsageTarget percentage of their transaction target; each crossing fires once per developer, rate plan and billing cycle.",
    request: { params: OrgParam, body: jsonBodyOf(CreateNotificationCondition) },
    responses: { 201: json(NotificationCondition, "Created, with its parsed thresholds"), ...tenantErrors, ...bodyErrors },
  }),
  async (c) => {
    const row = await createCondition(c.env.DB, c.var.principal, c.req.valid("json"));
    return c.json(toConditionJson(row), 201);
  },
);

notificationConditionsRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/",
    operationId: "listNotificationConditions",
    summary: "List notification conditions",
    request: { params: OrgParam, query: ListQuery },
    responses: { 200: json(NotificationConditionList, "The conditions, oldest first"), ...tenantErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const list = await listConditions(c.env.DB, org, c.req.valid("query"));
    return c.json({ totalRecords: list.totalRecords, notificationConditions: list.conditions.map(toConditionJson) }, 200);
  },
);

notificationConditionsRouter.openapi(
  createRoute({
    ...route,
    method: "get",
    path: "/{id}",
    operationId: "getNotificationCondition",
    summary: "Get a notification condition",
    request: { params: Params },
    responses: { 200: json(NotificationCondition, "The condition"), ...tenantErrors },
  }),
  async (c) => {
    const { org, id } = c.req.valid("param");
    return c.json(toConditionJson(await getCondition(c.env.DB, org, id)), 200);
  },
);

notificationConditionsRouter.openapi(
  createRoute({
    ...route,
    method: "put",
    path: "/{id}",
    operationId: "updateNotificationCondition",
    summary: "Update a notification condition",
    description: "notificationCondition and actions each replace the condition's list when given. Thresholds already fired in the current billing cycle stay fired.",
    request: { params: Params, body: jsonBodyOf(UpdateNotificationCondition) },
    responses: { 200: json(NotificationCondition, "The updated condition"), ...tenantErrors, ...bodyErrors },
  }),
  async (c) => {
    const path = c.req.valid("param");
    const { id, orgId, ...changes } = c.req.valid("json");
    assertSameResource({ id, orgId }, path);
    const row = await updateCondition(c.env.DB, c.var.principal, path.id, changes);
    return c.json(toConditionJson(row), 200);
  },
);

notificationConditionsRouter.openapi(
  createRoute({
    ...route,
    method: "delete",
    path: "/{id}",
    operationId: "deleteNotificationCondition",
    summary: "Delete a notification condition and its actions",
    request: { params: Params },
    responses: { 204: { description: "Deleted" }, ...tenantErrors, ...sentBodyErrors },
  }),
  async (c) => {
    await refuseBody(c);
    const { org, id } = c.req.valid("param");
    await deleteCondition(c.env.DB, org, id);
    return c.body(null, 204);
  },
);
