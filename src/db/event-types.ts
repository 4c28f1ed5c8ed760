// The event-type catalog's queries, shared by the API and the page.
import { and, asc, eq, sql } from "drizzle-orm";
import { database, pagedWithTotal, type Author } from "./client";
import { eventTypes, webhooks } from "./schema";
import { conflict, notFound } from "../errors";

export type EventTypeRow = typeof eventTypes.$inferSelect;

export async function createEventType(
  d1: D1Database,
  author: Author,
  input: { source: string; name: string; description?: string | undefined },
): Promise<EventTypeRow> {
  const row = {
    id: crypto.randomUUID(),
    orgId: author.orgId,
    source: input.source,
    name: input.name,
    description: input.description ?? null,
    created: Date.now(),
    createdBy: author.email,
  };
  const inserted = await database(d1).insert(eventTypes).values(row).onConflictDoNothing().returning();
  if (inserted.length === 0) {
    throw conflict(`event type ${input.name} already exists on ${input.source}`, [{ field: "name", reason: "is already in the catalog" }]);
  }
  return row;
}

export async function listEventTypes(d1: D1Database, orgId: string, query: { source?: string; limit: number; offset: number }) {
  const db = database(d1);
  const where = and(eq(eventTypes.orgId, orgId), query.source ? eq(eventTypes.source, query.source) : undefined);
  const ordered = db.select().from(eventTypes).orderBy(asc(eventTypes.source), asc(eventTypes.name)).$dynamic();
  const { rows, totalRecords } = await pagedWithTotal(db, eventTypes, where, ordered, query);
  return { totalRecords, eventTypes: rows };
}

export async function getEventType(d1: D1Database, orgId: string, id: string): Promise<EventTypeRow> {
  const row = await database(d1).select().from(eventTypes).where(and(eq(eventTypes.orgId, orgId), eq(eventTypes.id, id))).get();
  if (!row) throw notFound("event type");
  return row;
}

/** Removes an event type no webhook subscribes to by name; 409 naming the subscribers otherwise. */
export async function deleteEventType(d1: D1Database, orgId: string, id: string): Promise<void> {
  const db = database(d1);
  const subscribers = sql`(SELECT 1 FROM ${webhooks} WHERE ${webhooks.orgId} = ${eventTypes.orgId} AND ${webhooks.source} = ${eventTypes.source} AND EXISTS (SELECT 1 FROM json_each(${webhooks.events}) WHERE json_each.value = ${eventTypes.name}))`;
  const deleted = await db
    .delete(eventTypes)
    .where(and(eq(eventTypes.orgId, orgId), eq(eventTypes.id, id), sql`NOT EXISTS ${subscribers}`))
    .returning({ id: eventTypes.id });
  if (deleted.length > 0) return;
  const row = await getEventType(d1, orgId, id);
  const subscribed = await db
    .select({ id: webhooks.id, name: webhooks.name })
    .from(webhooks)
    .where(
      and(
        eq(webhooks.orgId, orgId),
        eq(webhooks.source, row.source),
        sql`EXISTS (SELECT 1 FROM json_each(${webhooks.events}) WHERE json_each.value = ${row.name})`,
      ),
    )
    .all();
  throw conflict(
    `event type ${row.name} has ${subscribed.length} subscribed webhook(s); unsubscribe them first`,
    subscribed.map((w) => ({ field: `webhooks.${w.id}`, reason: `webhook ${w.name} subscribes to ${row.name}` })),
  );
}
