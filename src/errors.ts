// One error shape for every failure: {"error":{"code","message","details":[{"field","reason"}]}}.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "@hono/zod-openapi";

export interface ErrorDetail {
  field: string;
  reason: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export const badRequest = (message: string, details: ErrorDetail[] = []) =>
  new ApiError(400, "invalid_request", message, details);
/** A resource the request names does not exist (or is not the caller's to see); the API names the path parameter (http/error-handler.ts). */
export class NotFoundError extends ApiError {
  constructor(readonly resource: string) {
    super(404, "not_found", `${resource} was not found`);
  }
}
export const notFound = (what: string) => new NotFoundError(what);
export const conflict = (message: string, details: ErrorDetail[] = []) =>
  new ApiError(409, "conflict", message, details);
export const forbidden = (message: string, details: ErrorDetail[] = []) => new ApiError(403, "forbidden", message, details);
export const unsupportedMediaType = (message: string, details: ErrorDetail[] = []) =>
  new ApiError(415, "unsupported_media_type", message, details);
/** 503 for a refusal that passes: the caller may try again after `retryAfterSeconds`. */
export const unavailable = (message: string, retryAfterSeconds: number, details: ErrorDetail[] = []) =>
  new ApiError(503, "unavailable", message, details, { "retry-after": String(retryAfterSeconds) });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_request" }),
      message: z.string().openapi({ example: "The request body is not valid" }),
      details: z.array(
        z.object({
          field: z.string().openapi({ example: "postURL" }),
          reason: z.string().openapi({ example: "must be an absolute http(s) URL" }),
        }),
      ),
    }),
  })
  .openapi("Error");

/** Turns zod issues into details naming each field by its dotted path. */
export function detailsFromZod(error: z.ZodError, prefix = ""): ErrorDetail[] {
  const details = error.issues.flatMap((issue) => {
    const path = [...(prefix ? [prefix] : []), ...issue.path.map(String)];
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ field: [...path, key].join("."), reason: "is not a known field" }));
    }
    return [{ field: path.join(".") || "body", reason: issue.message }];
  });
  // A value can fail two checks that say the same (an out-of-range number is also not a safe integer).
  return details.filter((detail, i) => details.findIndex((other) => other.field === detail.field && other.reason === detail.reason) === i);
}

/** The answer for a refusal a Durable Object returned (errors thrown across RPC lose their fields). */
export function apiErrorOf(refusal: { status: ContentfulStatusCode; code: string; message: string; details: ErrorDetail[]; retryAfterSeconds?: number }): ApiError {
  const headers: Record<string, string> = refusal.retryAfterSeconds === undefined ? {} : { "retry-after": String(refusal.retryAfterSeconds) };
  return new ApiError(refusal.status, refusal.code, refusal.message, refusal.details, headers);
}
