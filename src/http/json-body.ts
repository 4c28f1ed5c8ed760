import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors";
import type { AppEnv } from "./context";
import { numberSetting } from "../env";

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json(\s*;|$)/i;

/**
 * Reads every request body once, before any route sees it: refuses bodies over MAX_BODY_BYTES
 * (413), bodies that are not JSON (415) and JSON that does not parse (400, saying where it broke).
 * Routes then validate the parsed value with their zod schema.
 */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS") return next();
    const limit = numberSetting(c.env.MAX_BODY_BYTES, 102_400);
    const declared = Number(c.req.header("content-length"));
    if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
    const contentType = c.req.header("content-type") ?? "";
    if (contentType.startsWith("application/x-www-form-urlencoded") || contentType.startsWith("multipart/form-data")) {
      return next(); // the page's forms; they have their own size check and CSRF token
    }
    const text = await readLimited(c.req.raw, limit);
    // Later readers (the route validators) get the text already read.
    (c.req.bodyCache as Record<string, Promise<unknown>>).text = Promise.resolve(text);
    if (text.trim() === "") return next();
    if (!JSON_TYPE.test(contentType)) {
      throw new ApiError(415, "unsupported_media_type", "The request body must be JSON", [
        { field: "content-type", reason: `must be application/json, got ${contentType ? JSON.stringify(contentType) : "none"}` },
      ]);
    }
    try {
      JSON.parse(text);
    } catch (e) {
      throw new ApiError(400, "malformed_json", "The request body is not valid JSON", [
        { field: "body", reason: (e as Error).message },
      ]);
    }
    return next();
  };
}

export function tooLarge(limit: number) {
  return new ApiError(413, "payload_too_large", `The request body is larger than ${limit} bytes`, [
    { field: "body", reason: `must be at most ${limit} bytes` },
  ]);
}

/** Reads the body as text, stopping with 413 as soon as it passes the limit (chunked bodies too). */
export async function readLimited(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
