// The control plane, written once. Migrations in migrations/ are generated from this file by
// drizzle-kit (`npm run db:generate`); times are epoch milliseconds throughout.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const organizations = sqliteTable("organizations", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  created: integer("created").notNull(),
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
