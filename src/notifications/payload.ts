// The callback payload of a usage notification, in the Apigee seed's format: every field filled
// from the usage report and the recorded crossing; dates in epoch ms except the quota reset date,
// which the seed shows as a string.
import type { UsageNotificationPayloadJson, UsageReportInput } from "./usage-report";
import { percentText, UNITS_PER_PERCENT } from "./usage-target";

/** A crossing as recorded: the threshold (hundredths of a percent) and usage at that moment. */
export interface Crossing {
  threshold: number;
  transactions: number;
  quotaTarget: number;
  triggerTime: number;
}

/**
 * Percent of the target used, to 2 decimals, rounded down so it never shows a threshold reached
 * that was not. Integer arithmetic: counts up to 10^12 times 10^4 stay exact.
 */
export function percentUsed(transactions: number, quotaTarget: number): number {
  return Number((BigInt(transactions) * BigInt(100 * UNITS_PER_PERCENT)) / BigInt(quotaTarget)) / UNITS_PER_PERCENT;
}

export function triggerReason(crossing: Crossing, usageTarget: string): string {
  const used = percentUsed(crossing.transactions, crossing.quotaTarget);
  return `Usage crossed ${percentText(crossing.threshold)}% of the transaction target (${crossing.transactions} of ${crossing.quotaTarget} transactions, ${used}%); UsageTarget ${JSON.stringify(usageTarget)}`;
}

export function notificationPayload(orgId: string, report: UsageReportInput, crossing: Crossing, usageTarget: string): UsageNotificationPayloadJson {
  const { developer, ratePlan } = report;
  return {
    orgName: orgId,
    developerEmail: developer.email,
    developerFirstName: developer.firstName,
    developerLastName: developer.lastName,
    companyName: report.company?.name ?? null,
    applicationName: report.application.name,
    packageName: report.package.name,
    packageId: report.package.id,
    ratePlanId: ratePlan.id,
    ratePlanName: ratePlan.name,
    ratePlanType: ratePlan.type,
    developerRatePlanQuotaTarget: crossing.quotaTarget,
    quotaPercentUsed: percentUsed(crossing.transactions, crossing.quotaTarget),
    ratePlanStartDate: ratePlan.startDate,
    ratePlanEndDate: ratePlan.endDate,
    nextBillingCycleStartDate: ratePlan.nextBillingCycleStartDate,
    products: report.products,
    developerCustomAttributes: developer.customAttributes,
    triggerTime: crossing.triggerTime,
    triggerReason: triggerReason(crossing, usageTarget),
    developerQuotaResetDate: new Date(ratePlan.quotaResetDate ?? ratePlan.nextBillingCycleStartDate).toISOString(),
  };
}
