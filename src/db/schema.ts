// The control plane, written once. Migrations in migrations/ are generated from this file by
// drizzle-kit (`npm run db:generate`); times are epoch milliseconds throughout.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { UsageReportInput } from "../api/usage-schemas";

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
    created: integer("created").notNull(),
    createdBy: text("created_by").notNull(),
    updated: integer("updated").notNull(),
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [index("webhooks_org_source").on(t.orgId, t.source, t.enabled), index("webhooks_org_created").on(t.orgId, t.created)],
);

// ── Events and their fan-out ────────────────────────────────────────────────────────────────
// `seq` is the ingest order (SQLite's monotonic rowid) that every sequencer delivers in. An event
// is `fannedOut` once it has been appended to every webhook it goes to; until then no sequencer of
// the organization delivers a later event (see src/sequencer/ordering.ts).
export const events = sqliteTable(
  "events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    // "event": posted by a producer, matched to webhooks by source/entity/type. "test": a test
    // event addressed to `targets`. "notification": a usage notification addressed to `targets`,
    // whose `data` is the delivered body itself (Apigee's callback payload), not an envelope.
    kind: text("kind", { enum: ["event", "test", "notification"] }).notNull(),
    source: text("source").notNull(),
    type: text("type").notNull(),
    entity: text("entity"),
    // The producer's id or Idempotency-Key: the same key twice is one event.
    idempotencyKey: text("idempotency_key"),
    data: text("data").notNull(),
    targets: text("targets", { mode: "json" }).$type<string[]>(),
    created: integer("created").notNull(),
    // The webhooks the event went to, written by the fan-out (read by the per-event delivery list).
    webhookIds: text("webhook_ids", { mode: "json" }).$type<string[]>(),
    fannedOut: integer("fanned_out"),
  },
  (t) => [
    uniqueIndex("events_idempotency").on(t.orgId, t.source, t.idempotencyKey),
    index("events_not_fanned_out").on(t.orgId, t.seq).where(sql`fanned_out IS NULL`),
    index("events_org_created").on(t.orgId, t.created),
  ],
);

// Fan-outs too big for one invocation are split in chunks; a chunk's row is deleted when its
// webhooks have the event, and the event is fanned out when no row is left.
export const fanoutChunks = sqliteTable(
  "fanout_chunks",
  {
    seq: integer("seq")
      .notNull()
      .references(() => events.seq, { onDelete: "cascade" }),
    chunk: integer("chunk").notNull(),
  },
  (t) => [primaryKey({ columns: [t.seq, t.chunk] })],
);

// Queue jobs that kept crashing the consumer, kept for operators (GET /v1/admin/dead-letters).
export const deadLetters = sqliteTable("dead_letters", {
  id: text("id").primaryKey(),
  job: text("job", { mode: "json" }).notNull(),
  attempts: integer("attempts").notNull(),
  received: integer("received").notNull(),
});
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

/** One developer's usage of one rate plan in one billing cycle (identified by the start of the next one). */
const usageKeyColumns = () => ({
  orgId: text("org_id")
    .notNull()
    .references(() => organizations.id, { onDelete: "cascade" }),
  // Lower-cased e-mail: Apigee identifies developers by e-mail.
  developer: text("developer").notNull(),
  ratePlanId: text("rate_plan_id").notNull(),
  cycle: integer("cycle").notNull(),
});

/**
 * Transactions of one developer on one rate plan in one billing cycle. `previous` and
 * `previousQuotaTarget` are the count and target before the last report, so a report's crossings
 * are the percentages above previous/previousQuotaTarget and at most transactions/quotaTarget (a
 * lowered target crosses too). `report` is the latest report as received: the names and dates a
 * notification posted later (by the outbox sweep) fills its payload with.
 */
export const usageCounters = sqliteTable(
  "usage_counters",
  {
    ...usageKeyColumns(),
    transactions: integer("transactions").notNull(),
    previous: integer("previous").notNull(),
    quotaTarget: integer("quota_target").notNull(),
    previousQuotaTarget: integer("previous_quota_target").notNull(),
    report: text("report", { mode: "json" }).$type<UsageReportInput>().notNull(),
    updated: integer("updated").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.developer, t.ratePlanId, t.cycle] })],
);

/**
 * One row per threshold of a condition crossed by a developer in a billing cycle: the primary key
 * is the claim that makes each crossing fire once. It is also the outbox: `pending` until its
 * event is stored for delivery (`queued`), `dropped` when no webhook is left to notify.
 */
export const notificationFirings = sqliteTable(
  "notification_firings",
  {
    ...usageKeyColumns(),
    conditionId: text("condition_id")
      .notNull()
      .references(() => notificationConditions.id, { onDelete: "cascade" }),
    // Hundredths of a percent of the quota target.
    threshold: integer("threshold").notNull(),
    // Usage when the crossing was claimed: what the payload reports.
    transactions: integer("transactions").notNull(),
    quotaTarget: integer("quota_target").notNull(),
    triggerTime: integer("trigger_time").notNull(),
    state: text("state", { enum: ["pending", "queued", "dropped"] }).notNull(),
    eventId: text("event_id"),
    // A pending firing belongs to the report (or sweep) posting it until then; after, the next
    // report or the sweep (src/notifications/outbox.ts) posts it.
    leaseUntil: integer("lease_until").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.developer, t.ratePlanId, t.cycle, t.conditionId, t.threshold] }),
    // Deleting a condition cascades here.
    index("notification_firings_condition").on(t.conditionId),
    // The sweep's scan: only the few firings not yet posted.
    index("notification_firings_pending").on(t.leaseUntil).where(sql`state = 'pending'`),
  ],
);
