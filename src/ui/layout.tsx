/** @jsxImportSource hono/jsx */
// The frame of every page: skip link, header with navigation and sign-out, the flash message, main.
import type { Child, FC } from "hono/jsx";
import type { Principal } from "../http/context";
import type { Flash } from "./flash";
import { FlashMessage } from "./components/flash-message";
import { PostForm } from "./components/post-form";

export interface Viewer {
  principal: Principal;
  csrf: string;
}

export type Section = "webhooks" | "entities";

export interface LayoutProps {
  title: string;
  viewer?: Viewer | undefined;
  section?: Section;
  flash?: Flash | undefined;
  children?: Child;
}

const NAV: { section: Section; href: string; label: string }[] = [
  { section: "webhooks", href: "/ui/webhooks", label: "Webhooks" },
  { section: "entities", href: "/ui/entities", label: "Entities & events" },
];

export const Layout: FC<LayoutProps> = ({ title, viewer, section, flash, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · Edge Webhooks`}</title>
      <link rel="stylesheet" href="/ui/app.css" />
    </head>
    <body>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="/ui/webhooks">Edge Webhooks</a>
        {viewer ? (
          <>
            <nav aria-label="Main">
              <ul>
                {NAV.map((item) => (
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
              <PostForm action="/ui/sign-out" csrf={viewer.csrf}>
                <button type="submit">Sign out</button>
              </PostForm>
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
