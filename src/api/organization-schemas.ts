// The organization resource: its identity and the settings a host product's pages use (display
// name, accent colour, the origins allowed to frame the page). One schema for validation, types
// and the OpenAPI document.
import { z } from "@hono/zod-openapi";
import { NonBlank, OrgId, PORT_PATTERN } from "./common";

/** Hosts where plain http is fine: a developer's own machine, which browsers treat as secure. */
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

const HOST_NAME = /^(?:[a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/;
const DEFAULT_PORTS: Record<string, string> = { "https:": "443", "http:": "80" };

/** Why `url` may not be where a host product lives, or undefined when it may: https, or http on localhost. */
function insecureReason(url: URL): string | undefined {
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname)) return undefined;
  return url.protocol === "http:" ? "must use https (plain http only on localhost)" : `must be an https URL, not ${url.protocol}`;
}

function parsedUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * An origin as written: lower case; https with a host name whose last label starts with a letter
 * (never read as an IP address), or http on this machine; a port from 1 to 65535.
 */
const FRAME_ORIGIN = new RegExp(`^(https://([a-z0-9-]+\\.)*[a-z][a-z0-9-]*|http://(localhost|127\\.0\\.0\\.1|\\[::1\\]))(:${PORT_PATTERN})?$`);

/** An origin allowed to frame the page (frame-ancestors): scheme, host and port only. */
export const FrameOrigin = z
  .string()
  .max(300, "must be at most 300 characters")
  .superRefine((value, ctx) => {
    const url = parsedUrl(value);
    // The origin goes into a Content-Security-Policy header: a plain host name only (no wildcard, no ';').
    // The origin as URL writes it leaves out the scheme's default port; written out, it is the same origin.
    if (!url || (url.origin !== value && `${url.origin}:${DEFAULT_PORTS[url.protocol]}` !== value) || url.port === "0" || !HOST_NAME.test(url.hostname)) {
      ctx.addIssue({ code: "custom", message: "must be an origin such as https://studio.example.com (scheme, host and optional port; no path or trailing slash)" });
      return;
    }
    const reason = insecureReason(url);
    if (reason) ctx.addIssue({ code: "custom", message: reason });
    else if (!FRAME_ORIGIN.test(value)) ctx.addIssue({ code: "custom", message: "must name its host by name (no IP address), in lower case" });
  })
  .openapi({ example: "https://studio.example.com", pattern: FRAME_ORIGIN.source });

/** https and a host name (the last label starts with a letter), or http on this machine; printable ASCII. */
const HOST_URL = new RegExp(
  `^([Hh][Tt][Tt][Pp][Ss]://([A-Za-z0-9-]+\\.)*[A-Za-z][A-Za-z0-9-]*|[Hh][Tt][Tt][Pp]://(localhost|127\\.0\\.0\\.1|\\[::1\\]))(:${PORT_PATTERN})?([/?#][!-~]*)?$`,
);

/** A page of the host product to send the user back to ("Back to …"). */
export const HostUrl = z
  .string()
  .max(2048, "must be at most 2048 characters")
  .superRefine((value, ctx) => {
    const url = parsedUrl(value);
    if (!url) {
      ctx.addIssue({ code: "custom", message: "must be an absolute https URL" });
      return;
    }
    const reason = insecureReason(url);
    if (reason) ctx.addIssue({ code: "custom", message: reason });
    else if (!HOST_URL.test(value)) {
      ctx.addIssue({
        code: "custom",
        message: "must name its host by name (no IP address or user@), a port from 1 to 65535, and be printable ASCII with no spaces (percent-encode the rest; an international domain in its xn-- form)",
      });
    }
  })
  .openapi({ example: "https://studio.example.com/profile", format: "uri", pattern: HOST_URL.source });

const DisplayName = NonBlank(100);
const AccentColor = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, "must be a colour written #rrggbb, such as #6d28d9")
  .transform((value) => value.toLowerCase())
  .openapi({ example: "#6d28d9" });
const FrameAncestors = z.array(FrameOrigin).max(20, "must list at most 20 origins");

export const Organization = z
  .object({
    id: z.string().openapi({ example: "myorg" }),
    name: z.string().openapi({ example: "My Org" }),
    created: z.number().int().openapi({ example: 1460385534555 }),
    displayName: z.string().nullable().openapi({ description: "Shown on the webhooks page opened through a portal link", example: "Wink Studio" }),
    accentColor: z.string().nullable().openapi({ description: "The page's accent colour (#rrggbb) in portal sessions", example: "#6d28d9" }),
    frameAncestors: z.array(z.string()).openapi({
      description: "Origins allowed to frame the page opened through a portal link (Content-Security-Policy frame-ancestors); every other page refuses framing",
      example: ["https://studio.example.com"],
    }),
  })
  .openapi("Organization");

export const CreateOrganization = z
  .strictObject({
    id: OrgId,
    name: NonBlank(200),
    displayName: DisplayName.nullable().optional(),
    accentColor: AccentColor.nullable().optional(),
    frameAncestors: FrameAncestors.optional(),
  })
  .openapi("CreateOrganization");

export const UpdateOrganization = CreateOrganization.omit({ id: true })
  .partial()
  .refine((value) => Object.keys(value).length > 0, { message: "must change at least one of name, displayName, accentColor, frameAncestors" })
  .openapi("UpdateOrganization", { minProperties: 1 });
