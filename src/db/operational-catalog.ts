// The event-type catalog of the source `operational` (src/delivery/operational-events.ts): built
// in, the same for every organization, never in D1. Tenants subscribe to its types without
// registering them and cannot add to it: entities, event types and producer keys may not name the
// source.

export const OPERATIONAL_SOURCE = "operational";

export const OPERATIONAL_EVENT_TYPES = [
  { name: "webhook.disabled", description: "The platform disabled a webhook: its receiver kept failing, or answered 410 Gone" },
  { name: "delivery.failed", description: "A delivery ended failed after its last attempt" },
  { name: "webhook.enabled", description: "A disabled webhook was enabled (through the API or the page)" },
] as const;

export type OperationalType = (typeof OPERATIONAL_EVENT_TYPES)[number]["name"];
