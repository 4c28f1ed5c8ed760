// Sends a page: the doctype plus the server-rendered JSX.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { UiEnv } from "./env";
import type { Viewer } from "./layout";

export async function page(c: Context<UiEnv>, element: JSX.Element, status: ContentfulStatusCode = 200): Promise<Response> {
  return c.html(`<!doctype html>${await element.toString()}`, status);
}

/** Who is looking, for the header and every form's CSRF token (set by the session middleware). */
export function viewerOf(c: Context<UiEnv>): Viewer {
  return { principal: c.var.session.principal, csrf: c.var.csrf, portal: c.var.session.portal };
}
