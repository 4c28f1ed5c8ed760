// Entity queries (the accounts of a source that webhooks are bound to). The rules that refuse
// with an HTTP error are the API's (src/api/entities.ts), shared with the page.
import { and, asc, eq, notExists } from "drizzle-orm";
import { database, pagedWithTotal, type Author } from "./client";
import { entities, webhooks } from "./schema";

export type EntityRow = typeof entities.$inferSelect;

/** The new entity, or undefined when its source already has an entity of that name. */
export async function insertEntity(d1: D1Database, author: Author, input: { source: string; name: string }): Promise<EntityRow | undefined> {
  const row = { id: crypto.randomUUID(), orgId: author.orgId, ...input, created: Date.now(), createdBy: author.email };
  const inserted = await database(d1).insert(entities).values(row).onConflictDoNothing().returning();
  return inserted.length === 0 ? undefined : row;
}

export async function listEntities(d1: D1Database, orgId: string, query: { source?: string; limit: number; offset: number }) {
  const db = database(d1);
  const where = and(eq(entities.orgId, orgId), query.source ? eq(entities.source, query.source) : undefined);
  const ordered = db.select().from(entities).orderBy(asc(entities.source), asc(entities.name)).$dynamic();
  const { rows, totalRecords } = await pagedWithTotal(db, entities, where, ordered, query);
  return { totalRecords, entities: rows };
}

export async function findEntity(d1: D1Database, orgId: string, id: string): Promise<EntityRow | undefined> {
  return database(d1).select().from(entities).where(and(eq(entities.orgId, orgId), eq(entities.id, id))).get();
}

/** Deletes the entity if no webhook is bound to it; false when it is bound, or not there. */
export async function deleteUnboundEntity(d1: D1Database, orgId: string, id: string): Promise<boolean> {
  const db = database(d1);
  const boundWebhooks = db
    .select({ id: webhooks.id })
    .from(webhooks)
    .where(and(eq(webhooks.orgId, entities.orgId), eq(webhooks.source, entities.source), eq(webhooks.entity, entities.name)));
  // One statement, so a webhook bound concurrently can never be left pointing at nothing.
  const deleted = await db
    .delete(entities)
    .where(and(eq(entities.orgId, orgId), eq(entities.id, id), notExists(boundWebhooks)))
    .returning({ id: entities.id });
  return deleted.length > 0;
}

export async function webhooksBoundTo(d1: D1Database, entity: EntityRow): Promise<{ id: string; name: string }[]> {
  return database(d1)
    .select({ id: webhooks.id, name: webhooks.name })
    .from(webhooks)
    .where(and(eq(webhooks.orgId, entity.orgId), eq(webhooks.source, entity.source), eq(webhooks.entity, entity.name)))
    .all();
}
