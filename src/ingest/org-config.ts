// An organization's configuration as its event log holds it in memory: which webhooks an event
// goes to, whether its type and entity are in the catalog, which conditions a usage report meets.
import type { OrgConfigRows } from "../db/org-config";
import type { ConditionWithActions } from "../db/notification-conditions";
import type { WebhookRow } from "../db/webhooks";

/** What an event is matched on. */
export interface Matchable {
  source: string;
  type: string;
  entity: string | null;
}

export class OrgConfig {
  private readonly webhooksById: Map<string, WebhookRow>;
  private readonly catalog: Set<string>;
  private readonly entityNames: Set<string>;
  /** Subscribers by source, type and entity: an event's match costs a lookup, not a pass over every webhook. */
  private readonly subscribersOf = new Map<string, readonly string[]>();
  /** The ids subscribersOf holds, all lists together. */
  private idsKept = 0;

  constructor(
    private readonly rows: OrgConfigRows,
    /** When it was read from D1. */
    readonly loadedAt: number,
  ) {
    this.webhooksById = new Map(rows.webhooks.map((w) => [w.id, w]));
    this.catalog = new Set(rows.eventTypes.map((t) => catalogKey(t.source, t.name)));
    this.entityNames = new Set(rows.entities.map((e) => catalogKey(e.source, e.name)));
  }

  hasEventType(source: string, name: string): boolean {
    return this.catalog.has(catalogKey(source, name));
  }

  hasEntity(source: string, name: string): boolean {
    return this.entityNames.has(catalogKey(source, name));
  }

  webhook(id: string): WebhookRow | undefined {
    return this.webhooksById.get(id);
  }

  /**
   * The enabled webhooks a producer's event goes to, oldest first: same source, entity unset or
   * equal (an event without an entity reaches only webhooks bound to none), and a subscription
   * naming the type, a `prefix.*` of it, `*`, or nothing (all types).
   */
  subscribers(event: Matchable): readonly string[] {
    const key = `${catalogKey(event.source, event.type)}\u0000${event.entity === null ? "" : `=${event.entity}`}`;
    let ids = this.subscribersOf.get(key);
    if (ids) return ids;
    const patterns = new Set(subscriptionPatterns(event.type));
    ids = this.rows.webhooks
      .filter(
        (w) =>
          w.enabled &&
          w.source === event.source &&
          (w.entity === null || w.entity === event.entity) &&
          (w.events.length === 0 || w.events.some((pattern) => patterns.has(pattern))),
      )
      .map((w) => w.id);
    // Types come from the catalog, but entities are a tenant's accounts, and each list holds every
    // webhook bound to none: without a bound, an organization with many accounts and webhooks would
    // keep lists past the isolate's memory for as long as its configuration lasts.
    if (this.subscribersOf.size >= MAX_MATCHES_KEPT || this.idsKept + ids.length > MAX_IDS_KEPT) {
      this.subscribersOf.clear();
      this.idsKept = 0;
    }
    this.subscribersOf.set(key, ids);
    this.idsKept += ids.length;
    return ids;
  }

  /** Of the webhooks an event is addressed to, those that exist and are enabled, in the order given. */
  enabledOf(webhookIds: readonly string[]): string[] {
    return webhookIds.filter((id) => this.webhooksById.get(id)?.enabled);
  }

  /** The conditions on a rate plan, oldest first. */
  conditionsOn(ratePlanId: string): ConditionWithActions[] {
    return this.rows.conditions.filter((c) => c.ratePlanId === ratePlanId);
  }
}

const MAX_MATCHES_KEPT = 10_000;
/** About 8 MB of list slots (the ids themselves are the configuration's own strings). */
const MAX_IDS_KEPT = 1_000_000;

const catalogKey = (source: string, name: string) => `${source}\u0000${name}`;

/** The subscriptions that select `type`: itself, `*`, and each `prefix.*` of it. */
function subscriptionPatterns(type: string): string[] {
  const parts = type.split(".");
  const prefixes = parts.slice(0, -1).map((_, i) => `${parts.slice(0, i + 1).join(".")}.*`);
  return ["*", ...prefixes, type];
}
