// A usage report as a producer posts it, what it fired, and the callback payload of each fired
// notification (the Apigee seed's format): the types the event log and the usage rules work with.
// The API's schemas (src/api/usage-schemas.ts) validate and document them; the compiler checks
// that each schema satisfies its type here.

/** Highest transaction count or target accepted; keeps the crossing arithmetic exact in 64 bits. */
export const MAX_TRANSACTIONS = 1_000_000_000_000;

export interface DeveloperCustomAttribute {
  name: string;
  value: string;
}

export interface UsageReportInput {
  developer: { email: string; firstName: string; lastName: string; customAttributes: DeveloperCustomAttribute[] };
  application: { name: string };
  company?: { name: string } | undefined;
  package: { id: string; name: string };
  products: string[];
  ratePlan: {
    id: string;
    name: string;
    type: string;
    published: boolean;
    startDate: number;
    /** null: the plan has no end. */
    endDate: number | null;
    /** Identifies the current billing cycle: thresholds fire once per cycle. */
    nextBillingCycleStartDate: number;
    quotaResetDate?: number | undefined;
  };
  quotaTarget: number;
  /** The cycle's absolute count; a report gives this or `increment`. */
  transactions?: number | undefined;
  /** Transactions since the producer's previous report. */
  increment?: number | undefined;
}

/** The body each WEBHOOK action receives when a threshold is crossed. */
export interface UsageNotificationPayloadJson {
  orgName: string;
  developerEmail: string;
  developerFirstName: string;
  developerLastName: string;
  companyName: string | null;
  applicationName: string;
  packageName: string;
  packageId: string;
  ratePlanId: string;
  ratePlanName: string;
  ratePlanType: string;
  developerRatePlanQuotaTarget: number;
  quotaPercentUsed: number;
  ratePlanStartDate: number;
  ratePlanEndDate: number | null;
  nextBillingCycleStartDate: number;
  products: string[];
  developerCustomAttributes: DeveloperCustomAttribute[];
  triggerTime: number;
  triggerReason: string;
  /** ISO 8601, UTC. */
  developerQuotaResetDate: string;
}

export interface FiredNotificationJson {
  conditionId: string;
  /** The UsageTarget percentage crossed. */
  threshold: number;
  webhookIds: string[];
  /** Stored for delivery as eventId in the step that recorded the crossing. */
  status: "queued";
  eventId: string;
  payload: UsageNotificationPayloadJson;
}

export interface UsageResultJson {
  developerEmail: string;
  ratePlanId: string;
  nextBillingCycleStartDate: number;
  transactions: number;
  quotaTarget: number;
  quotaPercentUsed: number;
  fired: FiredNotificationJson[];
}
