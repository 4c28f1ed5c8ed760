import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError, badRequest, unsupportedMediaType } from "../errors";
import type { AppEnv } from "./context";
import { config } from "../config";

/**
 * What the routes' validators take for JSON (@hono/zod-openapi's check of a request's content type,
 * narrower than Hono's own), so a type they would refuse is refused here, with the field named.
 */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const isJson = (contentType: string) => JSON_CONTENT_TYPE.test(contentType);

/**
 * Reads every request body once, before any route sees it: refuses bodies over MAX_BODY_BYTES
 * (413), bodies that are not JSON (415), JSON that does not parse (400, saying where it broke) and
 * objects naming a member twice (400, naming it).
 * Routes then validate the parsed value with their zod schema.
 */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS") return next();
    const contentType = c.req.header("content-type") ?? "";
    const isForm = contentType.startsWith("application/x-www-form-urlencoded") || contentType.startsWith("multipart/form-data");
    // The page's forms have their own size check and CSRF token; the API under /v1/ takes JSON only,
    // and a form sent there must not reach the JSON validators as an empty object.
    if (isForm && !new URL(c.req.url).pathname.startsWith("/v1/")) return next();
    await limitBody(c);
    // c.req keeps the text, so the route validators do not read the body again.
    const text = await c.req.text();
    if (text.trim() === "") {
      // Many clients send a JSON content type with no body on routes that take none, which pass. A
      // route that needs a body gets its validator's parse error, answered as emptyBodyError.
      if (isJson(contentType)) c.set("emptyJsonBody", true);
      return next();
    }
    if (isForm || !isJson(contentType)) {
      throw unsupportedMediaType("The request body must be JSON", [
        { field: "content-type", reason: `must be application/json, got ${contentType ? JSON.stringify(contentType) : "none"}` },
      ]);
    }
    try {
      JSON.parse(text);
    } catch (e) {
      throw malformedJson(`${whereJsonBreaks(text)}${(e as Error).message}`);
    }
    const duplicate = firstDuplicateKey(text);
    if (duplicate) {
      throw badRequest("The request body names a field twice", [
        { field: duplicate.key, reason: `${position(text, duplicate.offset)}given more than once in the same object; send it once` },
      ]);
    }
    return next();
  };
}

/**
 * For a route that takes no body, called by its handler (after the path and query are validated):
 * none, or an empty JSON object, passes (some clients always send one); anything else is refused
 * naming what was sent, rather than quietly ignored. jsonBody has read and checked the body already.
 */
export async function refuseBody(c: Context<AppEnv>): Promise<void> {
  const text = (await c.req.text()).trim();
  if (text === "") return;
  const value: unknown = JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw badRequest("This route takes no body", [{ field: "body", reason: "send none, or {}" }]);
  }
  const fields = Object.keys(value);
  if (fields.length > 0) {
    throw badRequest("This route takes no body", fields.map((field) => ({ field, reason: "is not a known field: this route takes no body" })));
  }
}

/** The 400 for a route that needs a body, sent a JSON content type and none. */
export const emptyBodyError = () => malformedJson("is empty; send a JSON object");

function malformedJson(reason: string) {
  return new ApiError(400, "malformed_json", "The request body is not valid JSON", [{ field: "body", reason }]);
}

function tooLarge(limit: number) {
  return new ApiError(413, "payload_too_large", `The request body is larger than ${limit} bytes`, [
    { field: "body", reason: `must be at most ${limit} bytes` },
  ]);
}

/**
 * hono/body-limit with the limit the Worker is configured with (MAX_BODY_BYTES, a setting, hence a
 * middleware made per request) and its 413 in the platform's error shape. Run as a check: it
 * throws, or leaves the body readable with c.req (a body without Content-Length already read, up
 * to the limit; it stops reading as soon as one passes it).
 */
export async function limitBody<E extends { Bindings: AppEnv["Bindings"] }>(c: Context<E>): Promise<void> {
  const limit = config(c.env).maxBodyBytes;
  const onError = () => {
    throw tooLarge(limit);
  };
  await bodyLimit({ maxSize: limit, onError })(c, async () => {});
}

/**
 * "line L, column C: " of the first character where `text` stops being JSON, because the runtime's
 * JSON.parse messages only sometimes give a position. Iterative, so deep nesting cannot overflow.
 */
export function whereJsonBreaks(text: string): string {
  const offset = jsonErrorOffset(text);
  return offset < 0 ? "" : position(text, offset);
}

/** "line L, column C: " of `offset` in `text`. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column}: `;
}

const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const WHITESPACE = /[ \t\n\r]*/y;

/** The offset of the first character that breaks the JSON grammar, or -1 if `text` is JSON. */
export function jsonErrorOffset(text: string): number {
  return scanJson(text, false).offset;
}

/**
 * The first member name given twice in one object of `text` (which must be JSON), with the offset
 * of its second appearance. JSON.parse silently keeps the last one; a body that says two things
 * about one field is refused instead.
 */
export function firstDuplicateKey(text: string): { key: string; offset: number } | null {
  return scanJson(text, true).duplicate ?? null;
}

function scanJson(text: string, trackKeys: boolean): { offset: number; duplicate?: { key: string; offset: number } } {
  let i = 0;
  const open: string[] = []; // the closing brackets still owed, innermost last
  const names: (Set<string> | null)[] = []; // the member names seen in each open object
  let duplicate: { key: string; offset: number } | undefined;
  const take = (pattern: RegExp) => {
    pattern.lastIndex = i;
    if (!pattern.test(text)) return false;
    i = pattern.lastIndex;
    return true;
  };
  const skipSpace = () => take(WHITESPACE);
  const memberName = () => {
    skipSpace();
    const start = i;
    if (text[i] !== '"' || !take(STRING)) return false;
    if (trackKeys) {
      const key = JSON.parse(text.slice(start, i)) as string;
      const seen = names.at(-1)!;
      if (seen.has(key)) {
        duplicate = { key, offset: start };
        return false;
      }
      seen.add(key);
    }
    skipSpace();
    if (text[i] !== ":") return false;
    i += 1;
    return true;
  };
  const stop = (offset: number) => ({ offset, duplicate });
  for (;;) {
    skipSpace();
    const ch = text[i];
    if (ch === "{" || ch === "[") {
      i += 1;
      skipSpace();
      const close = ch === "{" ? "}" : "]";
      if (text[i] !== close) {
        open.push(close);
        names.push(trackKeys && close === "}" ? new Set() : null);
        if (close === "}" && !memberName()) return stop(i);
        continue;
      }
      i += 1;
    } else if (!(ch === '"' ? take(STRING) : ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9") ? take(NUMBER) : take(LITERAL))) {
      return stop(i);
    }
    // A value ended: close what it ends, or go on to the next element.
    for (;;) {
      skipSpace();
      const close = open.at(-1);
      if (close === undefined) return stop(i < text.length ? i : -1);
      if (text[i] === close) {
        i += 1;
        open.pop();
        names.pop();
        continue;
      }
      if (text[i] !== ",") return stop(i);
      i += 1;
      if (close === "}" && !memberName()) return stop(i);
      break;
    }
  }
}
