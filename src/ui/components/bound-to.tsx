import { OPERATIONAL_SOURCE } from "../../db/operational-catalog";

/** What a webhook is bound to, as the list and its page show it: its account, all of its source's, or none. */
export function boundTo(webhook: { source: string | null; entity: string | null }): string | null {
  if (webhook.entity) return webhook.entity;
  if (webhook.source === OPERATIONAL_SOURCE) return "operational events (no account)";
  return webhook.source ? `every ${webhook.source} account` : null;
}
