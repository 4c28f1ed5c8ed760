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
