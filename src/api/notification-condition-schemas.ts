// The notification condition resource's zod schemas (Apigee's body: a `notificationCondition`
// list of attribute tests and an `actions` list): validation, types and OpenAPI.
import { z } from "@hono/zod-openapi";
import { MAX_THRESHOLDS, parseUsageTarget, USAGE_TARGET_PATTERN } from "../notifications/usage-target";
import type { ConditionTests } from "../db/notification-conditions";
import { serverSet, serverSetIdentity, Uuid } from "./common";

const ATTRIBUTES = ["RATEPLAN", "PUBLISHED", "UsageTarget"] as const;
type AttributeName = (typeof ATTRIBUTES)[number];
const MAX_ACTIONS = 20;

/** What each attribute's value must look like, for the document (the transform below checks it, with reasons). */
const VALUE_PATTERNS: Record<AttributeName, string> = {
  RATEPLAN: "\\S",
  PUBLISHED: "^[Tt][Rr][Uu][Ee]$",
  UsageTarget: USAGE_TARGET_PATTERN,
};

// The attribute stays a string here so that a misspelled one is refused with a hint, not a bare enum error.
const AttributeTest = z
  .strictObject({
    attribute: z.string().openapi({ enum: [...ATTRIBUTES], example: "RATEPLAN" }),
    value: z.string().max(200, "must be at most 200 characters").openapi({ example: "123456" }),
  })
  .openapi("NotificationConditionAttribute", {
    oneOf: ATTRIBUTES.map((attribute) => ({ properties: { attribute: { const: attribute }, value: { pattern: VALUE_PATTERNS[attribute] } } })),
  });

/**
 * The attribute tests: exactly one RATEPLAN and one UsageTarget, PUBLISHED (TRUE) at most once.
 * A UsageTarget that does not parse is refused with the expression quoted and the reason.
 */
const AttributeTests = z
  .array(AttributeTest)
  .min(1, "must list the RATEPLAN and UsageTarget attributes")
  .max(ATTRIBUTES.length, `must list each of ${ATTRIBUTES.join(", ")} at most once`)
  .transform((tests, ctx): ConditionTests => {
    const seen = new Map<AttributeName, string>();
    let valid = true;
    const refuse = (path: (string | number)[], message: string) => {
      valid = false;
      ctx.addIssue({ code: "custom", path, message });
    };
    tests.forEach(({ attribute, value }, i) => {
      const known = ATTRIBUTES.find((name) => name === attribute);
      if (!known) {
        const hint = ATTRIBUTES.find((name) => name.toLowerCase() === attribute.toLowerCase());
        refuse([i, "attribute"], hint ? `must be spelled ${hint}` : `${JSON.stringify(attribute)} is not an attribute; use ${ATTRIBUTES.join(", ")}`);
        return;
      }
      if (seen.has(known)) {
        refuse([i, "attribute"], `${known} is given twice`);
        return;
      }
      seen.set(known, value);
      if (known === "RATEPLAN" && value.trim() === "") {
        refuse([i, "value"], "must be the id of the rate plan");
      }
      if (known === "PUBLISHED" && value.toUpperCase() !== "TRUE") {
        refuse([i, "value"], `must be TRUE (the plan must be published); leave PUBLISHED out to match unpublished plans too, got ${JSON.stringify(value)}`);
      }
      if (known === "UsageTarget") {
        const parsed = parseUsageTarget(value);
        if (!parsed.ok) {
          refuse([i, "value"], `UsageTarget ${JSON.stringify(value)} is not valid: ${parsed.reason}`);
        }
      }
    });
    for (const required of ["RATEPLAN", "UsageTarget"] as const) {
      if (!seen.has(required) && !tests.some((t) => t.attribute.toLowerCase() === required.toLowerCase())) {
        refuse([], `must include the ${required} attribute`);
      }
    }
    if (!valid) return z.NEVER;
    return {
      ratePlanId: seen.get("RATEPLAN")!.trim(),
      publishedOnly: seen.has("PUBLISHED"),
      usageTarget: seen.get("UsageTarget")!.trim(),
    };
  })
  .openapi({
    // Exactly one RATEPLAN and one UsageTarget; with at most three items, PUBLISHED comes at most
    // once. Not said with `contains` and `minContains: 0`: tools that read JSON Schema draft-07
    // (Prism among them) take any `contains` as "at least one" and would require PUBLISHED.
    allOf: (["RATEPLAN", "UsageTarget"] as const).map((attribute) => ({
      contains: { properties: { attribute: { const: attribute } } },
      maxContains: 1,
    })),
    description: `RATEPLAN (the rate plan id) and UsageTarget are required; PUBLISHED with value TRUE makes only a published plan match. UsageTarget: "%= 80" (one percentage), "%= 80 to 120 by 10" (80, 90, 100, 110, 120), "%= 80 to 120" (steps of 10); up to 2 decimals, at most ${MAX_THRESHOLDS} thresholds.`,
  });

const Action = z
  .strictObject({
    actionAttribute: z.literal("WEBHOOK", { error: 'must be "WEBHOOK"' }),
    value: Uuid("must be the id of a webhook of this organization").openapi({ example: "b0d77596-142e-4606-ae2d-f55c3c6bfebe" }),
  })
  .openapi("NotificationAction");

/**
 * The webhooks to notify, in order; each must exist in the organization (checked against D1). A
 * condition is created with at least one; an update may leave it none, as deleting its webhooks
 * with forceDelete=true does, so what a GET answered can always be sent back.
 */
const actionList = (least: 0 | 1) => {
  const list = z.array(Action).openapi({ uniqueItems: true });
  return (least ? list.min(1, "must name at least one webhook") : list)
    .max(MAX_ACTIONS, `must name at most ${MAX_ACTIONS} webhooks`)
    .transform((actions, ctx) => {
      const ids = actions.map((a) => a.value.toLowerCase());
      const twice = ids.findIndex((id, i) => ids.indexOf(id) !== i);
      if (twice < 0) return ids;
      ctx.addIssue({ code: "custom", path: [twice, "value"], message: "names the same webhook twice" });
      return z.NEVER;
    });
};

export const NotificationCondition = z
  .object({
    id: Uuid(),
    orgId: z.string().openapi({ example: "myorg" }),
    notificationCondition: z.array(z.object({ attribute: z.enum(ATTRIBUTES), value: z.string() })),
    actions: z.array(z.object({ actionAttribute: z.literal("WEBHOOK"), value: z.string() })).openapi({
      description: "Empty when the webhooks it named were deleted with forceDelete=true",
    }),
    thresholds: z.array(z.number()).openapi({ example: [80, 90, 100, 110, 120], description: "The percentages UsageTarget notifies at, ascending" }),
    created: z.number().int().openapi({ example: 1460385534555 }),
    createdBy: z.string().openapi({ example: "joe@example.com" }),
    updated: z.number().int().openapi({ example: 1460385534555 }),
    updatedBy: z.string().openapi({ example: "joe@example.com" }),
  })
  .openapi("NotificationCondition");

export const CreateNotificationCondition = z
  .strictObject({ notificationCondition: AttributeTests, actions: actionList(1) })
  .openapi("CreateNotificationCondition", {
    example: {
      notificationCondition: [
        { attribute: "RATEPLAN", value: "123456" },
        { attribute: "PUBLISHED", value: "TRUE" },
        { attribute: "UsageTarget", value: "%= 80 to 120 by 10" },
      ],
      actions: [{ actionAttribute: "WEBHOOK", value: "b0d77596-142e-4606-ae2d-f55c3c6bfebe" }],
    },
  });

export const UpdateNotificationCondition = z
  .strictObject({
    notificationCondition: AttributeTests.optional(),
    actions: actionList(0).optional().openapi({ description: "An empty list leaves the condition notifying no webhook" }),
    // What a GET answered may be sent back (see serverSet).
    id: serverSetIdentity(NotificationCondition.shape.id, "this condition's id"),
    orgId: serverSetIdentity(NotificationCondition.shape.orgId, "this condition's organization"),
    thresholds: serverSet(NotificationCondition.shape.thresholds),
    created: serverSet(NotificationCondition.shape.created),
    createdBy: serverSet(NotificationCondition.shape.createdBy),
    updated: serverSet(NotificationCondition.shape.updated),
    updatedBy: serverSet(NotificationCondition.shape.updatedBy),
  })
  .refine((value) => value.notificationCondition !== undefined || value.actions !== undefined, "must give notificationCondition, actions or both")
  .transform(({ thresholds, created, createdBy, updated, updatedBy, ...rest }) => rest)
  .openapi("UpdateNotificationCondition", {
    anyOf: [{ required: ["notificationCondition"] }, { required: ["actions"] }],
    description: "Each list given replaces the condition's list; a list left out stays as it is.",
    example: { actions: [{ actionAttribute: "WEBHOOK", value: "b0d77596-142e-4606-ae2d-f55c3c6bfebe" }] },
  });

export type NotificationConditionJson = z.infer<typeof NotificationCondition>;

export const NotificationConditionList = z
  .object({ totalRecords: z.number().int(), notificationConditions: z.array(NotificationCondition) })
  .openapi("NotificationConditionList");
