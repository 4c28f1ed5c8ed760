// Schemas and helpers shared by every resource router.
import { z } from "@hono/zod-openapi";
import { ErrorSchema } from "../http/errors";

export const OrgParam = z.object({
  org: z.string().min(1).max(64).openapi({ param: { name: "org", in: "path" }, example: "myorg" }),
});

export const IdParam = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "0a07eb1f-f485-4539-8beb-01be449699b3" }),
});

/** A source (product) name such as "wink" or "trippay". */
export const SourceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "must be 1-64 lowercase letters, digits, '-' or '_'")
  .openapi({ example: "wink" });

export const Paging = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ example: 100 }),
  offset: z.coerce.number().int().min(0).default(0).openapi({ example: 0 }),
});

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
