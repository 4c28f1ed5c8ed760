// The webhook resource's zod schemas: request validation, response shape, types and OpenAPI, for
// the API and the page alike.
import { z } from "@hono/zod-openapi";
import { EntityName } from "./entities";
import { NonBlank, PORT_PATTERN, serverSet, serverSetIdentity, SourceName, Uuid } from "./common";
import type { WebhookRow } from "../db/webhooks";

const MAX_URL_LENGTH = 2048;

/**
 * http(s), a host (no user:password@ before it), a port from 1 to 65535, and printable ASCII: what
 * the document states and the server checks, besides the URL parsing.
 */
const POST_URL = new RegExp(`^[Hh][Tt][Tt][Pp][Ss]?://(\\[[0-9A-Fa-f:.]+\\]|[!"$&-.0-9;=A-Z_-{}~]+)(:${PORT_PATTERN})?([/?#][!-~]*)?$`);

export const PostUrl = z
  .string()
  .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an absolute http(s) URL" });
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      ctx.addIssue({ code: "custom", message: `must be an absolute http(s) URL, not ${url.protocol}` });
    } else if (!/^https?:\/\/[^/?#]/i.test(value)) {
      // URL reads http:///x as http://x/: the host must be written where it belongs.
      ctx.addIssue({ code: "custom", message: "must name a host after the scheme's //" });
    } else if (/^https?:\/\/[^/?#]*@/i.test(value)) {
      ctx.addIssue({ code: "custom", message: "must not carry credentials; the signature authenticates deliveries" });
    } else if (!POST_URL.test(value)) {
      ctx.addIssue({
        code: "custom",
        message: "must have a port from 1 to 65535 and be printable ASCII with no spaces (percent-encode the rest; an international domain in its xn-- form)",
      });
    }
  })
  .openapi({ example: "http://mycompany.com/callbackhandler3", format: "uri", pattern: POST_URL.source });

/** An event subscription: an exact type (`booking.created`), a prefix wildcard (`booking.*`) or `*`. */
export const EventPattern = z
  .string()
  .max(100, "must be at most 100 characters")
  .regex(/^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/, "must be an event type like booking.created, a wildcard like booking.*, or *")
  .openapi({ example: "booking.created" });

/** Apigee sends `"enabled": "true"` as a string; booleans are accepted too. */
export const Enabled = z
  .union([z.boolean(), z.enum(["true", "false"])], { error: 'must be true or false (or the strings "true"/"false")' })
  .transform((v) => v === true || v === "true")
  .openapi({ example: true });

const Name = NonBlank(200).openapi({ example: "webhook3" });

export const MAX_RATE_LIMIT = 1000;
const RATE_LIMIT_ERROR = `must be a whole number of deliveries per second, from 1 to ${MAX_RATE_LIMIT}`;
/** Deliveries per second the drain paces the webhook's deliveries to. */
export const RateLimit = z
  .number({ error: RATE_LIMIT_ERROR })
  .int(RATE_LIMIT_ERROR)
  .min(1, RATE_LIMIT_ERROR)
  .max(MAX_RATE_LIMIT, RATE_LIMIT_ERROR)
  .openapi({ example: 20 });
const Description = z.string().max(1000, "must be at most 1000 characters").nullable();
const Events = z
  .array(EventPattern)
  .max(100, "must list at most 100 event types")
  .refine((list) => new Set(list).size === list.length, "must not list an event type twice")
  .openapi({ uniqueItems: true, description: "Subscribed event types; empty means every event type of the source" });

const fields = {
  name: Name,
  postURL: PostUrl.optional().openapi({ description: "The callback URL (Apigee's spelling)" }),
  postUrl: PostUrl.optional().openapi({ description: "Alias of postURL, as responses spell it" }),
  enabled: Enabled.optional(),
  description: Description.optional(),
  source: SourceName.nullable().optional().openapi({ description: "The product whose events this webhook receives (wink, trippay…)" }),
  entity: EntityName.nullable().optional().openapi({ description: "The account of the source this webhook is bound to; must exist" }),
  events: Events.optional(),
  rateLimit: RateLimit.nullable()
    .optional()
    .openapi({ description: `At most this many deliveries per second to postUrl (1-${MAX_RATE_LIMIT}), in order; null or left out: no limit` }),
};

export const Webhook = z
  .object({
    created: z.number().int().openapi({ example: 1460385534555 }),
    createdBy: z.string().openapi({ example: "joe@example.com" }),
    enabled: z.boolean(),
    id: Uuid(),
    name: z.string().openapi({ example: "webhook3" }),
    orgId: z.string().openapi({ example: "myorg" }),
    postUrl: z.string().openapi({ example: "http://mycompany.com/callbackhandler3" }),
    updated: z.number().int().openapi({ example: 1460385534555 }),
    updatedBy: z.string().openapi({ example: "joe@example.com" }),
    description: z.string().nullable(),
    source: z.string().nullable().openapi({ example: "wink" }),
    entity: z.string().nullable().openapi({ example: "Cool Account" }),
    events: z.array(z.string()).openapi({ example: ["booking.created"] }),
    rateLimit: z.number().int().nullable().openapi({ example: null, description: "Deliveries per second at most; null: no limit" }),
    disabledReason: z
      .string()
      .nullable()
      .openapi({ example: null, description: "Why the platform disabled the webhook (its receiver kept failing, or answered 410 Gone); null unless it did. Enabling it clears this." }),
    disabledAt: z.number().int().nullable().openapi({ example: null, description: "When the platform disabled it; null unless it did" }),
  })
  .openapi("Webhook");

const HAS_SOURCE = { required: ["source"], properties: { source: { type: "string" as const } } };

/** Folds postURL/postUrl into one `postUrl`, refusing a body that gives both differently. */
function normalizeUrl<T extends { postURL?: string; postUrl?: string }>(
  value: T,
  ctx: z.RefinementCtx,
): Omit<T, "postURL" | "postUrl"> & { postUrl?: string } {
  const { postURL, postUrl, ...rest } = value;
  if (postURL !== undefined && postUrl !== undefined && postURL !== postUrl) {
    ctx.addIssue({ code: "custom", path: ["postURL"], message: "differs from postUrl: give one of them, or both the same" });
    return z.NEVER;
  }
  const url = postURL ?? postUrl;
  return url === undefined ? rest : { ...rest, postUrl: url };
}

export const CreateWebhook = z
  .strictObject(fields)
  .refine((value) => value.postURL !== undefined || value.postUrl !== undefined, {
    path: ["postURL"],
    message: "is required",
    // Checked even when other fields fail, so one answer names every missing field.
    when: ({ value }) => typeof value === "object" && value !== null && !Array.isArray(value),
  })
  .transform(normalizeUrl)
  .openapi("CreateWebhook", {
    anyOf: [{ required: ["postURL"] }, { required: ["postUrl"] }],
    // Entities and event types belong to a source: naming either needs one.
    allOf: [
      { anyOf: [{ not: { required: ["entity"] } }, { properties: { entity: { type: "null" } } }, HAS_SOURCE] },
      { anyOf: [{ not: { required: ["events"] } }, { properties: { events: { maxItems: 0 } } }, HAS_SOURCE] },
    ],
    description: "postURL (or postUrl) is required; given both, they must be equal.",
    example: { name: "webhook3", postURL: "http://mycompany.com/callbackhandler3" },
  });

/** The fields of a GET's answer that the server sets: an update takes them back (see serverSet). */
const serverSetFields = {
  id: serverSetIdentity(Webhook.shape.id, "this webhook's id"),
  orgId: serverSetIdentity(Webhook.shape.orgId, "this webhook's organization"),
  created: serverSet(Webhook.shape.created),
  createdBy: serverSet(Webhook.shape.createdBy),
  updated: serverSet(Webhook.shape.updated),
  updatedBy: serverSet(Webhook.shape.updatedBy),
  disabledReason: serverSet(Webhook.shape.disabledReason),
  disabledAt: serverSet(Webhook.shape.disabledAt),
};

export const UpdateWebhook = z
  .strictObject({ ...fields, name: Name.optional(), ...serverSetFields })
  .refine((value) => Object.keys(value).some((key) => key in fields), {
    message: "must change at least one field",
    // Unknown fields do not stop zod, and a body of only unknown fields is not an empty one.
    when: (payload) => payload.issues.length === 0,
  })
  .transform(({ created, createdBy, updated, updatedBy, disabledReason, disabledAt, ...rest }, ctx) => normalizeUrl(rest, ctx))
  .openapi("UpdateWebhook", {
    anyOf: Object.keys(fields).map((field) => ({ required: [field] })),
    description: "Changes at least one field; postURL and postUrl, given both, must be equal.",
    example: { postURL: "http://mycompany.com/callbackhandler4" },
  });

export type WebhookJson = z.infer<typeof Webhook>;

export function toWebhookJson(row: WebhookRow): WebhookJson {
  return {
    created: row.created,
    createdBy: row.createdBy,
    enabled: row.enabled,
    id: row.id,
    name: row.name,
    orgId: row.orgId,
    postUrl: row.postUrl,
    updated: row.updated,
    updatedBy: row.updatedBy,
    description: row.description,
    source: row.source,
    entity: row.entity,
    events: row.events,
    rateLimit: row.rateLimit,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt,
  };
}

export const WebhookList = z
  .object({ totalRecords: z.number().int(), webhooks: z.array(Webhook) })
  .openapi("WebhookList");
