// Helpers for the notification tests: webhooks to name in actions, conditions, usage reports.
import { call, webhooksPath, type Tenant } from "./helpers";

export const conditionsPath = (org: string, id?: string) => `/v1/mint/organizations/${org}/notification-conditions${id ? `/${id}` : ""}`;
export const usagePath = (org: string) => `/v1/organizations/${org}/usage`;

/** A webhook made through the API, as actions name them. */
export async function createWebhook(tenant: Tenant, body: Record<string, unknown> = {}): Promise<{ id: string; [k: string]: unknown }> {
  const created = await call("POST", webhooksPath(tenant.org), {
    auth: tenant.auth,
    body: { name: "usage alerts", postURL: "https://alerts.example.com/usage", ...body },
  });
  if (created.status !== 201) throw new Error(`webhook: ${JSON.stringify(created.body)}`);
  return created.body;
}

/** The seed's condition body (valid JSON) for a rate plan, a UsageTarget and webhooks. */
export function conditionBody(ratePlanId: string, usageTarget: string, webhookIds: string[], published = true) {
  return {
    notificationCondition: [
      { attribute: "RATEPLAN", value: ratePlanId },
      ...(published ? [{ attribute: "PUBLISHED", value: "TRUE" }] : []),
      { attribute: "UsageTarget", value: usageTarget },
    ],
    actions: webhookIds.map((value) => ({ actionAttribute: "WEBHOOK", value })),
  };
}

export async function createCondition(tenant: Tenant, body: unknown): Promise<{ id: string; [k: string]: unknown }> {
  const created = await call("POST", conditionsPath(tenant.org), { auth: tenant.auth, body });
  if (created.status !== 201) throw new Error(`condition: ${JSON.stringify(created.body)}`);
  return created.body;
}

/** Billing cycles of the plan in the reports: each is identified by the next cycle's start. */
export const CYCLE_1 = Date.UTC(2026, 0, 1);
export const CYCLE_2 = Date.UTC(2026, 1, 1);

/** A usage report for a developer on a rate plan; `count` is { transactions } or { increment }. */
export function usageReport(
  ratePlanId: string,
  count: { transactions: number } | { increment: number },
  options: { email?: string; published?: boolean; cycle?: number; quotaTarget?: number } = {},
) {
  return {
    developer: {
      email: options.email ?? "dev@example.com",
      firstName: "Ada",
      lastName: "Lovelace",
      customAttributes: [{ name: "tier", value: "gold" }],
    },
    application: { name: "weather-app" },
    company: { name: "Example Corp" },
    package: { id: "weather-package", name: "Weather API" },
    products: ["weather-forecast", "weather-history"],
    ratePlan: {
      id: ratePlanId,
      name: "Adjustable notification plan",
      type: "STANDARD",
      published: options.published ?? true,
      startDate: Date.UTC(2025, 11, 1),
      endDate: Date.UTC(2026, 11, 1),
      nextBillingCycleStartDate: options.cycle ?? CYCLE_1,
      quotaResetDate: options.cycle ?? CYCLE_1,
    },
    quotaTarget: options.quotaTarget ?? 1000,
    ...count,
  };
}

/**
 * The callback payload SPEC.md lists, in the seed's field order, for a report made by usageReport
 * with its defaults on `ratePlanId`; the fields that depend on the crossing are given.
 */
export function expectedPayload(
  org: string,
  ratePlanId: string,
  crossing: { quotaPercentUsed: number; triggerTime: unknown; triggerReason: string },
) {
  return {
    orgName: org,
    developerEmail: "dev@example.com",
    developerFirstName: "Ada",
    developerLastName: "Lovelace",
    companyName: "Example Corp",
    applicationName: "weather-app",
    packageName: "Weather API",
    packageId: "weather-package",
    ratePlanId,
    ratePlanName: "Adjustable notification plan",
    ratePlanType: "STANDARD",
    developerRatePlanQuotaTarget: 1000,
    quotaPercentUsed: crossing.quotaPercentUsed,
    ratePlanStartDate: Date.UTC(2025, 11, 1),
    ratePlanEndDate: Date.UTC(2026, 11, 1),
    nextBillingCycleStartDate: CYCLE_1,
    products: ["weather-forecast", "weather-history"],
    developerCustomAttributes: [{ name: "tier", value: "gold" }],
    triggerTime: crossing.triggerTime,
    triggerReason: crossing.triggerReason,
    developerQuotaResetDate: "2026-01-01T00:00:00.000Z",
  };
}

/** Posts a usage report and returns the thresholds it fired, as [conditionId, percent] pairs. */
export async function report(tenant: Tenant, body: unknown): Promise<{ fired: [string, number][]; body: any }> {
  const answer = await call("POST", usagePath(tenant.org), { auth: tenant.auth, body });
  if (answer.status !== 200) throw new Error(`usage: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { fired: answer.body.fired.map((f: { conditionId: string; threshold: number }) => [f.conditionId, f.threshold]), body: answer.body };
}
