/** @jsxImportSource hono/jsx */
// Opening a portal link: /ui/portal/{org}/{secret}, minted by POST /v1/organizations/{org}/portal-links.
// It opens once, within its time, and starts a portal session (src/ui/session.ts); the host's
// frame may show this page and what follows, so even a refusal says why inside the frame.
import { Hono } from "hono";
import type { UiEnv } from "../env";
import { findOpenedLink, findOrganization, openPortalLink, type Refusal } from "../../db/portal-links";
import { page } from "../render";
import { startPortalSession } from "../session";
import { PortalRefusedPage } from "../pages/portal-refused";

export const portalRoutes = new Hono<UiEnv>();

const REFUSALS: Record<Refusal | "revoked", string> = {
  unknown: "This link is not valid: it was not made by this webhooks service, or it was changed on the way.",
  "other-organization": "This link was made for another organization, so it does not open this one's webhooks.",
  used: "This link was already used. Each link opens the page once; open Webhooks again from where you came for a new one.",
  expired: "This link expired before it was opened. Open Webhooks again from where you came for a new one.",
  revoked: "The API key that made this link was revoked, so the link no longer opens the page.",
};

portalRoutes.get("/:org/:secret", async (c) => {
  const organization = await findOrganization(c.env.DB, c.req.param("org"));
  const refuse = (refusal: Refusal | "revoked", returnUrl: string | null = null) =>
    page(c, <PortalRefusedPage title="This link cannot be opened" reason={REFUSALS[refusal]} organization={organization} returnUrl={returnUrl} />, 403);
  if (!organization) return refuse("unknown");
  c.set("frameAncestors", organization.frameAncestors);
  const secret = c.req.param("secret");
  if (!/^[A-Za-z0-9_-]{43}$/.test(secret)) return refuse("unknown");
  const result = await openPortalLink(c.env.DB, organization.id, secret);
  if ("refused" in result) return refuse(result.refused, result.link?.returnUrl ?? null);
  const opened = await findOpenedLink(c.env.DB, result.opened.id);
  if (!opened?.keyActive) return refuse("revoked", result.opened.returnUrl);
  await startPortalSession(c, result.opened);
  return c.redirect("/ui/webhooks", 303);
});
