/** @jsxImportSource hono/jsx */
// The frame of every page: skip link, header with navigation and sign-out, the flash message, main.
import type { Child, FC } from "hono/jsx";
import type { Principal } from "../http/context";
import type { OrganizationRow } from "../db/portal-links";
import type { Flash } from "./flash";
import type { Portal } from "./env";
import { FlashMessage } from "./components/flash-message";
import { PostForm } from "./components/post-form";

export interface Viewer {
  principal: Principal;
  csrf: string;
  portal?: Portal | undefined;
}

/** The host product a portal page is shown for: its name, accent colour and the page to go back to. */
export interface Host {
  name: string;
  accentColor: string | null;
  returnUrl: string | null;
}

export const hostOf = (organization: OrganizationRow, returnUrl: string | null): Host => ({
  name: organization.displayName ?? organization.name,
  accentColor: organization.accentColor,
  returnUrl,
});

/** A portal session limited to a source or accounts sees only its webhooks, not the organization's catalog. */
export const isScoped = (portal: Portal | undefined) => !!portal && (portal.scope.source !== null || portal.scope.entities !== null);

/** The stylesheet that gives the page the host's accent colour (a stylesheet: no inline style passes the CSP). */
export const accentHref = (color: string) => `/ui/accent.css?color=${encodeURIComponent(color)}`;

export type Section = "webhooks" | "entities";

export interface LayoutProps {
  title: string;
  viewer?: Viewer | undefined;
  section?: Section;
  flash?: Flash | undefined;
  /** The host's look on a page without a session (a refused portal link); a portal viewer brings its own. */
  host?: Host | undefined;
  children?: Child;
}

const NAV: { section: Section; href: string; label: string }[] = [
  { section: "webhooks", href: "/ui/webhooks", label: "Webhooks" },
  { section: "entities", href: "/ui/entities", label: "Entities & events" },
];

export const Layout: FC<LayoutProps> = ({ title, viewer, section, flash, host: given, children }) => {
  const host = viewer?.portal ? hostOf(viewer.portal.organization, viewer.portal.returnUrl) : given;
  const nav = isScoped(viewer?.portal) ? NAV.filter((item) => item.section === "webhooks") : NAV;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · ${host ? `${host.name} webhooks` : "Edge Webhooks"}`}</title>
        <link rel="stylesheet" href="/ui/app.css" />
        <link rel="icon" href="/ui/icon.svg" type="image/svg+xml" />
        {host?.accentColor ? <link rel="stylesheet" href={accentHref(host.accentColor)} /> : null}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/ui/webhooks">{host ? host.name : "Edge Webhooks"}</a>
          {host?.returnUrl ? (
            // _top: inside the host's frame, going back replaces the host's page, not the frame.
            <a class="back" href={host.returnUrl} target="_top">{`Back to ${host.name}`}</a>
          ) : null}
          {viewer ? (
            <>
              <nav aria-label="Main">
                <ul>
                  {nav.map((item) => (
                    <li>
                      <a href={item.href} aria-current={item.section === section ? "page" : undefined}>{item.label}</a>
                    </li>
                  ))}
                </ul>
              </nav>
              <div class="who">
                <span>
                  {viewer.principal.email} · <span class="org">{viewer.principal.orgId}</span>
                </span>
                {/* A portal session follows the host's sign-in: it ends with its sessionSeconds or its minting key, not here. */}
                {viewer.portal ? null : (
                  <PostForm action="/ui/sign-out" csrf={viewer.csrf}>
                    <button type="submit">Sign out</button>
                  </PostForm>
                )}
              </div>
            </>
          ) : null}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{title}</h1>
          {flash ? <FlashMessage flash={flash} /> : null}
          {children}
        </main>
      </body>
    </html>
  );
};
