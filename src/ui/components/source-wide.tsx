import { OPERATIONAL_SOURCE } from "../../db/operational-catalog";

/** What a webhook bound to no account is bound to, as the list and its page show it: all of its source's, or nothing. */
export function sourceWide(webhook: { source: string | null }): string | null {
  if (webhook.source === OPERATIONAL_SOURCE) return "operational events (no account)";
  return webhook.source ? `every ${webhook.source} account` : null;
}
