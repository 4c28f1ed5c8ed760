// The event-type catalog's queries. The rules that refuse with an HTTP error are the API's
// (src/api/event-types.ts), shared with the page.
import { and, asc, eq, sql } from "drizzle-orm";
import { database, pagedWithTotal, type Author } from "./client";
import { eventTypes, webhooks } from "./schema";

export type EventTypeRow = typeof eventTypes.$inferSelect;

/** The new event type, or undefined when the source's catalog already has one of that name. */
export async function insertEventType(
  d1: D1Database,
  author: Author,
  input: { source: string; name: string; description?: string | undefined },
): Promise<EventTypeRow | undefined> {
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
  return inserted.length === 0 ? undefined : row;
}

export async function listEventTypes(d1: D1Database, orgId: string, query: { source?: string; limit: number; offset: number }) {
  const db = database(d1);
  const where = and(eq(eventTypes.orgId, orgId), query.source ? eq(eventTypes.source, query.source) : undefined);
  const ordered = db.select().from(eventTypes).orderBy(asc(eventTypes.source), asc(eventTypes.name)).$dynamic();
  const { rows, totalRecords } = await pagedWithTotal(db, eventTypes, where, ordered, query);
  return { totalRecords, eventTypes: rows };
}

export async function findEventType(d1: D1Database, orgId: string, id: string): Promise<EventTypeRow | undefined> {
  return database(d1).select().from(eventTypes).where(and(eq(eventTypes.orgId, orgId), eq(eventTypes.id, id))).get();
}

/** Removes the event type if no webhook subscribes to it by name; false when one does, or it is not there. */
export async function deleteUnsubscribedEventType(d1: D1Database, orgId: string, id: string): Promise<boolean> {
  const db = database(d1);
  const subscribers = sql`(SELECT 1 FROM ${webhooks} WHERE ${webhooks.orgId} = ${eventTypes.orgId} AND ${webhooks.source} = ${eventTypes.source} AND EXISTS (SELECT 1 FROM json_each(${webhooks.events}) WHERE json_each.value = ${eventTypes.name}))`;
  const deleted = await db
    .delete(eventTypes)
    .where(and(eq(eventTypes.orgId, orgId), eq(eventTypes.id, id), sql`NOT EXISTS ${subscribers}`))
    .returning({ id: eventTypes.id });
  return deleted.length > 0;
}

export async function webhooksSubscribedTo(d1: D1Database, type: EventTypeRow): Promise<{ id: string; name: string }[]> {
  return database(d1)
    .select({ id: webhooks.id, name: webhooks.name })
    .from(webhooks)
    .where(
      and(
        eq(webhooks.orgId, type.orgId),
        eq(webhooks.source, type.source),
        sql`EXISTS (SELECT 1 FROM json_each(${webhooks.events}) WHERE json_each.value = ${type.name})`,
      ),
    )
    .all();
}
