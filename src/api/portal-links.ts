// Portal links: a host product's backend (with an admin key, or the operator with the admin
// token) mints a single-use link to the webhooks page for its signed-in user, limited to a source
// and/or accounts, then redirects the user to it or sets it as an iframe's src.
import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { createRouter, type AppEnv, type Principal } from "../http/context";
import { presentsAdminToken, requireKey } from "../http/auth";
import { badRequest, notFound, type ErrorDetail } from "../errors";
import { createPortalLink, existingScope, findOrganization, type PortalScope } from "../db/portal-links";
import { EntityName } from "./entities";
import { HostUrl } from "./organization-schemas";
import { bodyErrors, Email, json, jsonBodyOf, OrgParam, SourceName, tenantErrors, tenantSecurity } from "./common";

/** The scope's source and entities that do not exist in the organization, as error details. */
async function scopeProblems(d1: D1Database, orgId: string, scope: PortalScope): Promise<ErrorDetail[]> {
  const existing = await existingScope(d1, orgId, scope);
  const problems: ErrorDetail[] = [];
  if (scope.source !== null && !existing.sourceExists) {
    problems.push({ field: "source", reason: `no account or event type of ${scope.source} exists in this organization` });
  }
  (scope.entities ?? []).forEach((name, i) => {
    if (!existing.entities.has(name)) {
      problems.push({ field: `entities.${i}`, reason: `no entity named ${JSON.stringify(name)} exists${scope.source ? ` on ${scope.source}` : ""} in this organization` });
    }
  });
  return problems;
}

/** How long a minted link can be opened, at most: it is for a redirect or an iframe made right away. */
const LINK_OPEN_SECONDS = 10 * 60;

export const CreatePortalLink = z
  .strictObject({
    email: Email("must be an e-mail address").max(254).openapi({ description: "The host's user: createdBy/updatedBy of what they change", example: "ann@wink.example" }),
    source: SourceName.optional().openapi({ description: "Only webhooks of this source (product)" }),
    entities: z
      .array(EntityName)
      .min(1, "must name at least one entity, or be left out")
      .max(100, "must name at most 100 entities")
      .optional()
      .openapi({ description: "Only webhooks bound to these accounts (entity names; of `source` when it is given)", example: ["Cool Account"] }),
    sessionSeconds: z
      .number()
      .int("must be a whole number of seconds")
      .min(60, "must be at least 60 (one minute)")
      .max(12 * 60 * 60, "must be at most 43200 (12 hours)")
      .default(60 * 60)
      .openapi({ description: "How long the page session lasts once the link is opened (default 1 hour, at most 12 hours)" }),
    openWithinSeconds: z
      .number()
      .int("must be a whole number of seconds")
      .min(1, "must be at least 1")
      .max(LINK_OPEN_SECONDS, `must be at most ${LINK_OPEN_SECONDS} (10 minutes)`)
      .default(LINK_OPEN_SECONDS)
      .openapi({ description: "How long the link itself can be opened (default and at most 10 minutes); it opens once" }),
    returnUrl: HostUrl.optional().openapi({ description: "The host's page to go back to: linked from the page (\"Back to …\") and from a refused link's page" }),
  })
  .openapi("CreatePortalLink");

const PortalLink = z
  .object({
    url: z.string().openapi({ description: "Open once: redirect the user to it, or set it as an iframe's src", example: "https://webhooks.example.com/ui/portal/myorg/Vx3…" }),
    expiresAt: z.number().int().openapi({ description: "Epoch ms after which the link no longer opens", example: 1795450860000 }),
  })
  .openapi("PortalLink");

/** The organization's admin keys, or the operator's token (then no principal is set). */
const requireAdminKeyOrOperator: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (await presentsAdminToken(c.env.ADMIN_TOKEN, c.req.header("authorization"))) return next();
  return requireKey("admin")(c, next);
};

export const portalLinksRouter = createRouter();
portalLinksRouter.use("*", requireAdminKeyOrOperator);

portalLinksRouter.openapi(
  createRoute({
    security: [...tenantSecurity, { adminToken: [] }],
    tags: ["Portal"],
    method: "post",
    path: "/",
    operationId: "createPortalLink",
    summary: "Mint a single-use link to the webhooks page for a host product's user, optionally limited to a source and accounts",
    request: { params: OrgParam, body: jsonBodyOf(CreatePortalLink) },
    responses: { 201: json(PortalLink, "The link: open it within openWithinSeconds, once"), ...tenantErrors, ...bodyErrors },
  }),
  async (c) => {
    const { org } = c.req.valid("param");
    const body = c.req.valid("json");
    if (!(await findOrganization(c.env.DB, org))) throw notFound("organization");
    const scope = { source: body.source ?? null, entities: body.entities ?? null };
    const problems = await scopeProblems(c.env.DB, org, scope);
    if (problems.length > 0) throw badRequest("The link's scope names what does not exist", problems);
    const { secret, expires } = await createPortalLink(c.env.DB, {
      orgId: org,
      // The key that minted the link, whose revocation ends its sessions; none for the operator.
      keyId: (c.get("principal") as Principal | undefined)?.keyId ?? null,
      email: body.email,
      scope,
      sessionSeconds: body.sessionSeconds,
      returnUrl: body.returnUrl ?? null,
      openWithinSeconds: body.openWithinSeconds,
    });
    return c.json({ url: `${new URL(c.req.url).origin}/ui/portal/${org}/${secret}`, expiresAt: expires }, 201);
  },
);
