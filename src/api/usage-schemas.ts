// Usage reports posted by producers, what a report fired, and the callback payload each fired
// notification delivers (the Apigee seed's format): validation and OpenAPI of the types of
// src/notifications/usage-report.ts, which each schema satisfies.
import { z } from "@hono/zod-openapi";
import {
  MAX_TRANSACTIONS,
  type FiredNotificationJson,
  type UsageNotificationPayloadJson,
  type UsageReportInput,
  type UsageResultJson,
} from "../notifications/usage-report";
import { Email, EpochMs, NonBlank } from "./common";

const Text = NonBlank(200);
const Count = (description: string) =>
  z
    .number()
    .int("must be a whole number of transactions")
    .min(0, "must not be negative")
    .max(MAX_TRANSACTIONS, `must be at most ${MAX_TRANSACTIONS}`)
    .openapi({ description });

const CustomAttribute = z
  .strictObject({ name: Text, value: z.string().max(2000, "must be at most 2000 characters") })
  .openapi("DeveloperCustomAttribute", { example: { name: "tier", value: "gold" } });

export const UsageReport = z
  .strictObject({
    developer: z.strictObject({
      email: Email("must be an e-mail address").max(254).openapi({ example: "dev@example.com" }),
      firstName: Text.openapi({ example: "Ada" }),
      lastName: Text.openapi({ example: "Lovelace" }),
      customAttributes: z.array(CustomAttribute).max(50, "must list at most 50 attributes").default([]),
    }),
    application: z.strictObject({ name: Text.openapi({ example: "weather-app" }) }),
    company: z
      .strictObject({ name: Text.openapi({ example: "Example Corp" }) })
      .optional()
      .openapi({ description: "The developer's company, if any; companyName is null in the payload without it" }),
    package: z.strictObject({ id: Text.openapi({ example: "weather-package" }), name: Text.openapi({ example: "Weather API" }) }),
    products: z
      .array(Text.openapi({ example: "weather-forecast" }))
      .min(1, "must list the API products of the package")
      .max(100, "must list at most 100 products"),
    ratePlan: z
      .strictObject({
        id: Text.openapi({ example: "123456" }),
        name: Text.openapi({ example: "Adjustable notification plan" }),
        type: Text.openapi({ example: "STANDARD" }),
        published: z.boolean({ error: "must be true or false" }),
        startDate: EpochMs.openapi({ example: 1764547200000 }),
        endDate: EpochMs.nullable().default(null).openapi({ example: null, description: "null or absent: the plan has no end" }),
        nextBillingCycleStartDate: EpochMs.openapi({
          example: 1767225600000,
          description: "Start of the next billing cycle. It identifies the current cycle: thresholds fire once per cycle and re-arm when it changes.",
        }),
        quotaResetDate: EpochMs.optional().openapi({
          example: 1767225600000,
          description: "When the developer's quota resets; the next billing cycle start when absent",
        }),
      })
      .superRefine((plan, ctx) => {
        if (plan.endDate !== null && plan.endDate < plan.startDate) {
          ctx.addIssue({ code: "custom", path: ["endDate"], message: "must not be before startDate" });
        }
        if (plan.nextBillingCycleStartDate <= plan.startDate) {
          ctx.addIssue({ code: "custom", path: ["nextBillingCycleStartDate"], message: "must be after startDate" });
        }
      }),
    quotaTarget: Count("The developer's transaction target for the billing cycle: the 100 % of UsageTarget percentages").min(
      1,
      "must be at least 1 transaction",
    ),
    transactions: Count(
      "ABSOLUTE count: all transactions of this developer on this rate plan in the current billing cycle so far. A report older than one already received never lowers it (the highest count wins). Give this or increment, not both.",
    ).optional(),
    increment: Count(
      "INCREMENT: transactions since this producer's previous report, added to the cycle's count. Give this or transactions, not both.",
    ).optional(),
  })
  .superRefine((report, ctx) => {
    if ((report.transactions === undefined) === (report.increment === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [report.transactions === undefined ? "transactions" : "increment"],
        message: "give exactly one of transactions (the absolute count in this billing cycle) or increment (transactions since the previous report)",
      });
    }
  })
  .openapi("UsageReport", {
    oneOf: [{ required: ["transactions"] }, { required: ["increment"] }],
    example: {
      developer: { email: "dev@example.com", firstName: "Ada", lastName: "Lovelace", customAttributes: [{ name: "tier", value: "gold" }] },
      application: { name: "weather-app" },
      company: { name: "Example Corp" },
      package: { id: "weather-package", name: "Weather API" },
      products: ["weather-forecast", "weather-history"],
      ratePlan: {
        id: "123456",
        name: "Adjustable notification plan",
        type: "STANDARD",
        published: true,
        startDate: 1764547200000,
        endDate: null,
        nextBillingCycleStartDate: 1767225600000,
        quotaResetDate: 1767225600000,
      },
      quotaTarget: 1000,
      transactions: 850,
    },
  }) satisfies z.ZodType<UsageReportInput>;

/** The body each WEBHOOK action receives when a threshold is crossed: the seed's callback payload. */
export const UsageNotificationPayload = z
  .object({
    orgName: z.string().openapi({ example: "myorg" }),
    developerEmail: z.string().openapi({ example: "dev@example.com" }),
    developerFirstName: z.string(),
    developerLastName: z.string(),
    companyName: z.string().nullable(),
    applicationName: z.string(),
    packageName: z.string(),
    packageId: z.string(),
    ratePlanId: z.string(),
    ratePlanName: z.string(),
    ratePlanType: z.string(),
    developerRatePlanQuotaTarget: z.number().int().openapi({ example: 1000 }),
    quotaPercentUsed: z.number().openapi({ example: 85, description: "Percent of the target used when the threshold was crossed, 2 decimals, rounded down" }),
    ratePlanStartDate: z.number().int().openapi({ description: "epoch ms" }),
    ratePlanEndDate: z.number().int().nullable().openapi({ description: "epoch ms; null when the plan has no end" }),
    nextBillingCycleStartDate: z.number().int().openapi({ description: "epoch ms" }),
    products: z.array(z.string()),
    developerCustomAttributes: z.array(CustomAttribute),
    triggerTime: z.number().int().openapi({ description: "epoch ms when the crossing was recorded" }),
    triggerReason: z.string().openapi({
      example: 'Usage crossed 80% of the transaction target (850 of 1000 transactions, 85%); UsageTarget "%= 80 to 120 by 10"',
    }),
    developerQuotaResetDate: z.string().openapi({ example: "2026-01-01T00:00:00.000Z", description: "ISO 8601, UTC" }),
  })
  .openapi("UsageNotificationPayload") satisfies z.ZodType<UsageNotificationPayloadJson>;

export const FiredNotification = z
  .object({
    conditionId: z.uuid(),
    threshold: z.number().openapi({ example: 80, description: "The UsageTarget percentage crossed" }),
    webhookIds: z.array(z.string()).openapi({ description: "The webhooks notified (the condition's actions)" }),
    status: z.literal("queued").openapi({
      description: "Stored for delivery as eventId, in the same step that recorded the crossing: a notification this answer lists is delivered",
    }),
    eventId: z.uuid(),
    payload: UsageNotificationPayload,
  })
  .openapi("FiredNotification") satisfies z.ZodType<FiredNotificationJson>;

export const UsageResult = z
  .object({
    developerEmail: z.string(),
    ratePlanId: z.string(),
    nextBillingCycleStartDate: z.number().int().openapi({ description: "The billing cycle the report counted in" }),
    transactions: z.number().int().openapi({ description: "Transactions recorded for the cycle after this report" }),
    quotaTarget: z.number().int(),
    quotaPercentUsed: z.number(),
    fired: z.array(FiredNotification).openapi({ description: "Notifications for the thresholds this report crossed, ascending by threshold" }),
  })
  .openapi("UsageResult") satisfies z.ZodType<UsageResultJson>;
