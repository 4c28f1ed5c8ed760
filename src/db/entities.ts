// Entity queries (the accounts of a source that webhooks are bound to), shared by the API and the page.
import { and, asc, eq, notExists } from "drizzle-orm";
import { database, pagedWithTotal, type Author } from "./client";
import { entities, webhooks } from "./schema";
import { conflict, notFound } from "../errors";

export type EntityRow = typeof entities.$inferSelect;

export async function createEntity(d1: D1Database, author: Author, input: { source: string; name: string }): Promise<EntityRow> {
  const row = { id: crypto.randomUUID(), orgId: author.orgId, ...input, created: Date.now(), createdBy: author.email };
  const inserted = await database(d1).insert(entities).values(row).onConflictDoNothing().returning();
  if (inserted.length === 0) {
    throw conflict(`entity ${input.name} already exists on ${input.source}`, [{ field: "name", reason: "is taken for this source" }]);
  }
  return row;
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

export async function getEntity(d1: D1Database, orgId: string, id: string): Promise<EntityRow> {
  const row = await findEntity(d1, orgId, id);
  if (!row) throw notFound("entity");
  return row;
}

/** Deletes an entity no webhook is bound to; 409 naming the bound webhooks otherwise. */
export async function deleteEntity(d1: D1Database, orgId: string, id: string): Promise<void> {
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
  if (deleted.length > 0) return;
  const row = await getEntity(d1, orgId, id);
  const bound = await db
    .select({ id: webhooks.id, name: webhooks.name })
    .from(webhooks)
    .where(and(eq(webhooks.orgId, orgId), eq(webhooks.source, row.source), eq(webhooks.entity, row.name)))
    .all();
  throw conflict(
    `entity ${row.name} is bound to ${bound.length} webhook(s); delete or rebind them first`,
    bound.map((w) => ({ field: `webhooks.${w.id}`, reason: `webhook ${w.name} is bound to this entity` })),
  );
}
