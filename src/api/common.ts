// Schemas and helpers shared by every resource router.
import { z } from "@hono/zod-openapi";
import { badRequest, ErrorSchema, type ErrorDetail } from "../errors";
import type { Page } from "../db/client";
import { OPERATIONAL_SOURCE } from "../db/operational-catalog";

/** zod checks UUIDs and e-mail addresses with a pattern; the document states it (zod-to-openapi gives only the format). */
const withItsPattern = <T extends z.ZodUUID | z.ZodEmail>(schema: T) => schema.openapi({ pattern: schema.def.pattern!.source });
export const Uuid = (message?: string) => withItsPattern(z.uuid(message));
export const Email = (message?: string) => withItsPattern(z.email(message));

/** A URL's port as the API takes it: 1 to 65535, no leading zero. */
export const PORT_PATTERN = "([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";

/** An organization's id: what it is created with and what its paths name. */
export const OrgId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be 1-63 lowercase letters, digits or '-', starting with a letter or digit");

export const OrgParam = z.object({
  org: OrgId.openapi({ param: { name: "org", in: "path" }, example: "myorg" }),
});

export const IdParam = z.object({
  // Ids are stored in lower case; a UUID is the same id in either case.
  id: Uuid().toLowerCase().openapi({ param: { name: "id", in: "path" }, example: "0a07eb1f-f485-4539-8beb-01be449699b3" }),
});

/** Text that must say something: trimmed, then 1 to `max` characters. */
export const NonBlank = (max: number) =>
  z
    .string()
    .regex(/\S/, "must not be empty")
    .trim()
    .max(max, `must be at most ${max} characters`);

/** A time in epoch milliseconds, within what a JavaScript Date can hold. */
export const EpochMs = z
  .number({ error: "must be a time in epoch milliseconds" })
  .int("must be a time in epoch milliseconds")
  .min(0, "must be a time in epoch milliseconds")
  .max(8_640_000_000_000_000, "must be a time in epoch milliseconds");

/** A source (product) name such as "wink" or "trippay". */
export const SourceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be 1-64 lowercase letters, digits, '-' or '_'")
  .openapi({ example: "wink" });

/** A source a tenant's own data names (entities, event types, producer keys): any but the platform's own. */
export const TenantSourceName = SourceName.refine((source) => source !== OPERATIONAL_SOURCE, {
  message: `${OPERATIONAL_SOURCE} is the platform's own source: its event types are built in and only the platform sends its events`,
}).openapi({ not: { const: OPERATIONAL_SOURCE } });

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** Offsets and pages stay far inside SQLite's 64-bit integers, whatever the page size. */
const MAX_OFFSET = 1_000_000_000;

/**
 * A whole number in a query string, written in digits only: Number() would also take "1e2", "0x10",
 * " 1", "+5" and "" (as 0). The document states its type and bounds itself, as a query value is
 * always text to the schema.
 */
const Count = (minimum: number, maximum: number) =>
  z
    .string({ error: (issue) => (Array.isArray(issue.input) ? "is given more than once; give it once" : "must be a whole number") })
    .regex(/^\d+$/, "must be a whole number, in digits")
    .transform(Number)
    .pipe(z.number().min(minimum, `must be at least ${minimum}`).max(maximum, `must be at most ${maximum}`))
    .openapi({ type: "integer", minimum, maximum });

/** limit (1 to `maxPageSize`, 100 if not given) and offset. */
export const pagingUpTo = (maxPageSize: number) =>
  z.object({
    limit: Count(1, maxPageSize).default(DEFAULT_PAGE_SIZE).openapi({ default: DEFAULT_PAGE_SIZE, example: DEFAULT_PAGE_SIZE }),
    offset: Count(0, MAX_OFFSET).default(0).openapi({ default: 0, example: 0 }),
  });

export const Paging = pagingUpTo(MAX_PAGE_SIZE);

/** limit/offset and Apigee's page/size: the paging parameters of the lists at Apigee's paths. */
export const pagingFields = {
  limit: Count(1, MAX_PAGE_SIZE)
    .optional()
    .openapi({ description: `How many to return (default ${DEFAULT_PAGE_SIZE}), from offset. Not with page, size or all.`, example: DEFAULT_PAGE_SIZE }),
  offset: Count(0, MAX_OFFSET).optional().openapi({ description: "How many to skip (default 0). Not with page, size or all.", example: 0 }),
  page: Count(1, MAX_OFFSET / MAX_PAGE_SIZE).optional().openapi({ description: "Apigee's paging: which page of size records, from 1 (default 1). Not with limit, offset or all.", example: 1 }),
  size: Count(1, MAX_PAGE_SIZE)
    .optional()
    .openapi({ description: `Apigee's paging: records per page (default ${DEFAULT_PAGE_SIZE}). Not with limit, offset or all.`, example: DEFAULT_PAGE_SIZE }),
};

/** Apigee's all=true, for the lists short enough to answer whole (not a webhook's deliveries). */
export const allField = {
  all: z
    .enum(["true", "false"], { error: "must be true or false" })
    .optional()
    .openapi({ description: "Apigee's all: true returns every record in one answer. Not with limit, offset, page or size." }),
};

interface PagingInput {
  limit?: number | undefined;
  offset?: number | undefined;
  page?: number | undefined;
  size?: number | undefined;
  all?: "true" | "false" | undefined;
}

/** page/size and limit/offset are two ways to say one thing: a query gives one of them, or all=true alone. */
export function refuseMixedPaging(query: PagingInput, ctx: z.RefinementCtx) {
  const given = (names: (keyof PagingInput)[]) => names.filter((name) => query[name] !== undefined);
  const offsetStyle = given(["limit", "offset"]);
  const pageStyle = given(["page", "size"]);
  if (query.all === "true" && offsetStyle.length + pageStyle.length > 0) {
    ctx.addIssue({ code: "custom", path: ["all"], message: `is true, which returns every record: leave out ${[...offsetStyle, ...pageStyle].join(" and ")}` });
  } else if (offsetStyle.length > 0 && pageStyle.length > 0) {
    ctx.addIssue({ code: "custom", path: [pageStyle[0]!], message: `not with ${offsetStyle.join(" and ")}: page through with page and size, or with limit and offset` });
  }
}

/** A list query's filters and its page; only a query that may say all=true may have no limit. */
type Paged<T> = Omit<T, keyof PagingInput> & ("all" extends keyof T ? Page : { limit: number; offset: number });

export function toPage<T extends PagingInput>(query: T): Paged<T> {
  const { limit, offset, page, size, all, ...filters } = query;
  if (all === "true") return { ...filters, limit: undefined, offset: 0 } as Paged<T>;
  if (page !== undefined || size !== undefined) {
    const perPage = size ?? DEFAULT_PAGE_SIZE;
    return { ...filters, limit: perPage, offset: ((page ?? 1) - 1) * perPage } as Paged<T>;
  }
  return { ...filters, limit: limit ?? DEFAULT_PAGE_SIZE, offset: offset ?? 0 } as Paged<T>;
}

const errorResponse = (description: string) => ({
  content: { "application/json": { schema: ErrorSchema } },
  description,
});

/** The error answers every authenticated route can give, for the OpenAPI document. */
export const tenantErrors = {
  400: errorResponse("Invalid input; details name each field and why"),
  401: errorResponse("Missing or invalid credentials"),
  403: errorResponse("The key's role may not use this route"),
  404: errorResponse("No such organization or resource"),
  405: errorResponse("Method not allowed on this path"),
  503: errorResponse("A store this call needs cannot be reached right now; nothing was changed, try again"),
} as const;

export const bodyErrors = {
  409: errorResponse("Conflicts with existing data"),
  413: errorResponse("The body is larger than MAX_BODY_BYTES"),
  415: errorResponse("The body is not JSON"),
} as const;

/** What a route that takes no body still answers about one sent to it (every body is read and checked). */
export const sentBodyErrors = { 413: bodyErrors[413], 415: bodyErrors[415] } as const;

export { errorResponse };

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

export const jsonBodyOf = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

/** Tenant routes take HTTP Basic email:key or a Bearer key. */
export const tenantSecurity: Record<string, string[]>[] = [{ basicAuth: [] }, { bearerAuth: [] }];

/**
 * Update bodies accept the fields the server sets (id, orgId, created…), so a client can send back
 * what GET answered with some fields changed, as Apigee's clients do. They are ignored, except that
 * `id` and `orgId` must still name the resource of the path: a body naming another is refused
 * rather than quietly applied to this one.
 */
export const serverSet = <T extends z.ZodType>(schema: T) =>
  schema.optional().openapi({ description: "Read-only: set by the server. Accepted, so that what GET answered can be sent back, and ignored." });

export const serverSetIdentity = <T extends z.ZodType>(schema: T, what: string) =>
  schema.optional().openapi({ description: `Read-only: may be sent back, but must be ${what}; another is refused.` });

/** Refuses a body whose `id` or `orgId` (sent back from a GET) is not the path's. */
export function assertSameResource(sent: { id?: string | undefined; orgId?: string | undefined }, path: { id: string; org: string }) {
  const details: ErrorDetail[] = [];
  if (sent.id !== undefined && sent.id.toLowerCase() !== path.id.toLowerCase()) {
    details.push({ field: "id", reason: `is read-only: must be ${path.id}, the id in the path, or left out` });
  }
  if (sent.orgId !== undefined && sent.orgId !== path.org) {
    details.push({ field: "orgId", reason: `is read-only: must be ${path.org}, the organization in the path, or left out` });
  }
  if (details.length > 0) throw badRequest("The body names another resource than the path", details);
}
