// Portal links and the sessions they open. A link is stored by the hash of its secret; opening it
// is one conditional UPDATE, so two requests racing with the same link cannot both open it.
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { database, inList } from "./client";
import { apiKeys, entities, eventTypes, organizations, portalLinks } from "./schema";
import { hashSecret, randomSecret } from "./api-keys";

export type PortalLinkRow = typeof portalLinks.$inferSelect;
export type OrganizationRow = typeof organizations.$inferSelect;

/** The webhooks a portal session may see and touch; null on a side means no limit on that side. */
export interface PortalScope {
  source: string | null;
  entities: string[] | null;
}

/**
 * Whether a webhook bound this way is inside the scope. An entity scope admits only webhooks bound
 * to one of its entities (not a source-wide webhook, which reaches every account of the source).
 */
export function inScope(scope: PortalScope, binding: { source: string | null; entity: string | null }): boolean {
  if (scope.source !== null && binding.source !== scope.source) return false;
  if (scope.entities !== null && (binding.entity === null || !scope.entities.includes(binding.entity))) return false;
  return true;
}

export const scopeOf = (link: PortalLinkRow): PortalScope => ({ source: link.source, entities: link.entities });

/**
 * What of the scope exists in the organization: whether its source has an account or an event type,
 * and which of its entities exist (on its source, when it names one).
 */
export async function existingScope(d1: D1Database, orgId: string, scope: PortalScope): Promise<{ sourceExists: boolean; entities: Set<string> }> {
  const db = database(d1);
  const [sourceEntities, sourceTypes, named] = await db.batch([
    db.select({ name: entities.name }).from(entities).where(and(eq(entities.orgId, orgId), eq(entities.source, scope.source ?? ""))).limit(1),
    db.select({ name: eventTypes.name }).from(eventTypes).where(and(eq(eventTypes.orgId, orgId), eq(eventTypes.source, scope.source ?? ""))).limit(1),
    db
      .select({ name: entities.name })
      .from(entities)
      .where(and(eq(entities.orgId, orgId), inList(entities.name, scope.entities ?? []), scope.source ? eq(entities.source, scope.source) : undefined)),
  ]);
  return { sourceExists: sourceEntities.length > 0 || sourceTypes.length > 0, entities: new Set(named.map((row) => row.name)) };
}

export interface NewPortalLink {
  orgId: string;
  keyId: string | null;
  email: string;
  scope: PortalScope;
  sessionSeconds: number;
  returnUrl: string | null;
  openWithinSeconds: number;
}

/** Stores a link and returns its secret (shown once, in the URL) and when it stops opening. */
export async function createPortalLink(d1: D1Database, input: NewPortalLink): Promise<{ secret: string; expires: number }> {
  const secret = randomSecret();
  const created = Date.now();
  const expires = created + input.openWithinSeconds * 1000;
  await database(d1)
    .insert(portalLinks)
    .values({
      id: await hashSecret(secret),
      orgId: input.orgId,
      keyId: input.keyId,
      email: input.email,
      source: input.scope.source,
      entities: input.scope.entities,
      sessionSeconds: input.sessionSeconds,
      returnUrl: input.returnUrl,
      created,
      expires,
      opened: null,
    });
  return { secret, expires };
}

export type Refusal = "unknown" | "other-organization" | "used" | "expired";

/**
 * Opens the link with this secret for `orgId`, once. Refused: a secret we never issued, one of
 * another organization, one already opened, one past its time (the link, when it is this
 * organization's, comes back with the refusal for its returnUrl).
 */
export async function openPortalLink(
  d1: D1Database,
  orgId: string,
  secret: string,
): Promise<{ opened: PortalLinkRow } | { refused: Refusal; link?: PortalLinkRow }> {
  const db = database(d1);
  const id = await hashSecret(secret);
  const now = Date.now();
  const [opened] = await db
    .update(portalLinks)
    .set({ opened: now })
    .where(and(eq(portalLinks.id, id), eq(portalLinks.orgId, orgId), isNull(portalLinks.opened), gt(portalLinks.expires, now)))
    .returning();
  if (opened) return { opened };
  const link = await db.select().from(portalLinks).where(eq(portalLinks.id, id)).get();
  if (!link) return { refused: "unknown" };
  if (link.orgId !== orgId) return { refused: "other-organization" };
  return { refused: link.opened !== null ? "used" : "expired", link };
}

/**
 * An opened link with its organization, and whether the admin key that minted it is still active
 * (always, for a link the operator minted). Every request of a portal session reads it, so revoking
 * the key or changing the organization's settings takes effect at once.
 */
export async function findOpenedLink(
  d1: D1Database,
  id: string,
): Promise<{ link: PortalLinkRow; organization: OrganizationRow; keyActive: boolean } | undefined> {
  const row = await database(d1)
    .select({
      link: portalLinks,
      organization: organizations,
      keyActive: sql<number>`${isNull(portalLinks.keyId)} OR (${and(isNull(apiKeys.revoked), eq(apiKeys.role, "admin"), eq(apiKeys.orgId, portalLinks.orgId))})`,
    })
    .from(portalLinks)
    .innerJoin(organizations, eq(organizations.id, portalLinks.orgId))
    .leftJoin(apiKeys, eq(apiKeys.id, portalLinks.keyId))
    .where(eq(portalLinks.id, id))
    .get();
  return row && row.link.opened !== null ? { ...row, keyActive: row.keyActive === 1 } : undefined;
}

export async function findOrganization(d1: D1Database, id: string): Promise<OrganizationRow | undefined> {
  return database(d1).select().from(organizations).where(eq(organizations.id, id)).get();
}
