// The control plane: what people edit, never a row per event, delivery or usage report (those live
// in the organizations' event logs and the webhooks' sequencers, Durable Objects). Migrations in
// migrations/ are generated from this file by drizzle-kit (`npm run db:generate`); times are epoch
// milliseconds throughout.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const organizations = sqliteTable("organizations", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  created: integer("created").notNull(),
  // How the webhooks page looks and where it may be framed when a host product opens it
  // through a portal link (src/ui/portal.ts): the host's name, its accent colour (#rrggbb), and the
  // origins allowed in the page's frame-ancestors.
  displayName: text("display_name"),
  accentColor: text("accent_color"),
  frameAncestors: text("frame_ancestors", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    role: text("role", { enum: ["admin", "producer"] }).notNull(),
    // The producer's event source (e.g. "wink"); null for admin keys.
    source: text("source"),
    // SHA-256 of the key's secret part, hex. The key itself is shown once and never stored.
    secretHash: text("secret_hash").notNull(),
    created: integer("created").notNull(),
    revoked: integer("revoked"),
  },
  (t) => [index("api_keys_org").on(t.orgId)],
);

/**
 * Portal links: a host product's backend mints one for its signed-in user; opening it (once, before
 * `expires`) starts a page session limited to the scope. The id is the SHA-256 of the link's secret,
 * which is never stored. Sessions re-read their link (and the key that minted it) on every request.
 */
export const portalLinks = sqliteTable(
  "portal_links",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    // The admin key that minted the link (revoking it ends the link's sessions); null for the operator token.
    keyId: text("key_id").references(() => apiKeys.id, { onDelete: "cascade" }),
    // The user the session acts as (createdBy / updatedBy).
    email: text("email").notNull(),
    // The scope: webhooks of this source and/or bound to these entities (null: no limit on that side).
    source: text("source"),
    entities: text("entities", { mode: "json" }).$type<string[]>(),
    sessionSeconds: integer("session_seconds").notNull(),
    returnUrl: text("return_url"),
    created: integer("created").notNull(),
    // The link must be opened before this; `opened` is set by the one request that opens it.
    expires: integer("expires").notNull(),
    opened: integer("opened"),
  },
  (t) => [index("portal_links_org").on(t.orgId), index("portal_links_key").on(t.keyId)],
);

export const entities = sqliteTable(
  "entities",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    source: text("source").notNull(),
    name: text("name").notNull(),
    created: integer("created").notNull(),
    createdBy: text("created_by").notNull(),
  },
  (t) => [uniqueIndex("entities_org_source_name").on(t.orgId, t.source, t.name)],
);

export const eventTypes = sqliteTable(
  "event_types",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    source: text("source").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    created: integer("created").notNull(),
    createdBy: text("created_by").notNull(),
  },
  (t) => [uniqueIndex("event_types_org_source_name").on(t.orgId, t.source, t.name)],
);

export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    postUrl: text("post_url").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    description: text("description"),
    // Wink/TripPay binding: the product the events come from, the account (entity name within
    // that source) and the subscribed event types (exact names or `prefix.*` wildcards; empty = all).
    source: text("source"),
    entity: text("entity"),
    events: text("events", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    // Standard Webhooks signing secrets (`whsec_…`). After a rotation the previous one keeps
    // signing until previousSecretExpires so receivers can switch over.
    secret: text("secret").notNull(),
    previousSecret: text("previous_secret"),
    previousSecretExpires: integer("previous_secret_expires"),
    // The most deliveries per second the drain sends it (src/delivery/throttle.ts); null: no limit.
    rateLimit: integer("rate_limit"),
    // Why and when the platform disabled it (auto-disable: src/sequencer/failure-run.ts decides,
    // src/delivery/operational-events.ts applies); null unless it did. Enabling it again clears both.
    disabledReason: text("disabled_reason"),
    disabledAt: integer("disabled_at"),
    created: integer("created").notNull(),
    createdBy: text("created_by").notNull(),
    updated: integer("updated").notNull(),
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [index("webhooks_org_source").on(t.orgId, t.source, t.enabled), index("webhooks_org_created").on(t.orgId, t.created)],
);

// ─── Usage notifications for adjustable rate plans (src/notifications/) ─────────────────────────

/** A notification condition: RATEPLAN, optional PUBLISHED=TRUE and a UsageTarget expression. */
export const notificationConditions = sqliteTable(
  "notification_conditions",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    ratePlanId: text("rate_plan_id").notNull(),
    // PUBLISHED=TRUE: only usage on a published plan matches.
    publishedOnly: integer("published_only", { mode: "boolean" }).notNull(),
    // The expression as written; thresholds are parsed from it (src/notifications/usage-target.ts).
    usageTarget: text("usage_target").notNull(),
    created: integer("created").notNull(),
    createdBy: text("created_by").notNull(),
    updated: integer("updated").notNull(),
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [index("notification_conditions_org_plan").on(t.orgId, t.ratePlanId), index("notification_conditions_org_created").on(t.orgId, t.created)],
);

/**
 * The WEBHOOK actions of a condition. Deleting the webhook removes its actions (forceDelete=true);
 * forceDelete=false refuses while any exist.
 */
export const notificationActions = sqliteTable(
  "notification_actions",
  {
    conditionId: text("condition_id")
      .notNull()
      .references(() => notificationConditions.id, { onDelete: "cascade" }),
    webhookId: text("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    // Order as given in the request, so the condition reads back as it was written.
    position: integer("position").notNull(),
  },
  (t) => [primaryKey({ columns: [t.conditionId, t.webhookId] }), index("notification_actions_webhook").on(t.webhookId)],
);
