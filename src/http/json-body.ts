import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError, badRequest, unsupportedMediaType } from "../errors";
import type { AppEnv } from "./context";
import { config } from "../config";

/**
 * A JSON media type: application/json or application/<name>+json (RFC 6839), in any case, spaces
 * allowed before each ";" (RFC 9110); its parameters (charset) change nothing, as for Hono's own
 * validator: JSON is UTF-8.
 */
const JSON_CONTENT_TYPE = /^application\/([!#$%&'*+.^_`|~0-9a-z-]+\+)?json[ \t]*(;.*)?$/i;
const isJson = (contentType: string) => JSON_CONTENT_TYPE.test(contentType);

/**
 * Reads every request body once, before any route sees it: refuses bodies over MAX_BODY_BYTES
 * (413), bodies that are not JSON (415), JSON that does not parse (400, saying where it broke) and
 * JSON the platform could not keep as sent (400, naming the field: firstUnstorable).
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
    // c.req keeps the bytes, so the route validators do not read the body again.
    const bytes = await c.req.arrayBuffer();
    if (contentType !== "application/json" && isJson(contentType)) asValidatorsReadJson(c, bytes);
    const text = new TextDecoder().decode(bytes);
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
    const encoding = c.req.header("content-encoding");
    if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") {
      throw unsupportedMediaType("The request body must not be encoded", [{ field: "content-encoding", reason: `${JSON.stringify(encoding)} is not taken; send the body as it is` }]);
    }
    // The lenient decoding above put U+FFFD where bytes were not UTF-8; one sent as such is fine.
    if (text.includes("\uFFFD")) refuseUnlessUtf8(bytes);
    try {
      JSON.parse(text);
    } catch (e) {
      throw malformedJson(`${whereJsonBreaks(text)}${(e as Error).message}`);
    }
    const unstorable = firstUnstorable(text);
    if (unstorable) throw badRequest("The request body holds a value that cannot be kept as sent", [unstorable]);
    return next();
  };
}

/**
 * Hands the route validators (@hono/zod-openapi, whose check of the content type is narrower than
 * RFC 9110 and private to it) the same request sent as application/json, so no JSON type they
 * would refuse reaches them. Its body is read already (c.req keeps the bytes), so the copy carries
 * them for whatever reads the request itself.
 */
function asValidatorsReadJson(c: Context<AppEnv>, bytes: ArrayBuffer) {
  const headers = new Headers(c.req.raw.headers);
  headers.set("content-type", "application/json");
  c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers, body: bytes });
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

/**
 * Refuses a body that is not UTF-8: read leniently, the bytes it could not read became U+FFFD, and
 * the events would be stored and delivered changed.
 */
function refuseUnlessUtf8(bytes: ArrayBuffer): void {
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw malformedJson("is not UTF-8 text; JSON must be sent as UTF-8");
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
 * The first thing in `text` (which must be JSON) that JSON.parse would take but the platform could
 * not keep as sent, named by its path ("events.0.data.a") with the reason: a member name given
 * twice in one object (JSON.parse silently keeps the last one), a number beyond a double's range
 * (it would become null), a string with an unpaired surrogate (stored text would change it).
 */
export function firstUnstorable(text: string): { field: string; reason: string } | null {
  return scanJson(text, true).unstorable ?? null;
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/**
 * Text in which some number might pass a double's range: an exponent of three digits or more, or a
 * run of 200 digits (past 1.8e308 with an exponent of two digits at most). Most bodies have
 * neither, and their numbers are then not looked at one by one.
 */
const MAY_OVERFLOW = /\d[eE]\+?\d{3}|\d{200}/;
const UNPAIRED_SURROGATE = "is not well-formed Unicode (an unpaired surrogate such as \\ud800), which could not be stored as sent";

function scanJson(text: string, checkValues: boolean): { offset: number; unstorable?: { field: string; reason: string } } {
  let i = 0;
  // Each is one pass over the whole text, cheaper than a look at every token of a body without any.
  const checkNumbers = checkValues && MAY_OVERFLOW.test(text);
  const checkStrings = checkValues && SURROGATE_ESCAPE.test(text);
  const open: string[] = []; // the closing brackets still owed, innermost last
  const names: (Set<string> | null)[] = []; // the member names seen in each open object
  const path: (string | number)[] = []; // per open bracket, the member name or index being read
  let unstorable: { field: string; reason: string } | undefined;
  const refuse = (at: number, reason: string) => {
    unstorable = { field: path.join(".") || "body", reason: `${position(text, at)}${reason}` };
    return false;
  };
  const take = (pattern: RegExp) => {
    pattern.lastIndex = i;
    if (!pattern.test(text)) return false;
    i = pattern.lastIndex;
    return true;
  };
  const skipSpace = () => take(WHITESPACE);
  /** Takes a string or number at i; when checking, refuses one that would not be kept as sent. */
  const scalar = (pattern: RegExp) => {
    const start = i;
    if (!take(pattern)) return false;
    if (pattern === NUMBER ? !checkNumbers : !checkStrings) return true;
    const token = text.slice(start, i);
    if (pattern === NUMBER && !Number.isFinite(Number(token))) return refuse(start, "is a number beyond what can be stored (about ±1.8e308); send it as a string");
    if (pattern === STRING && SURROGATE_ESCAPE.test(token) && !(JSON.parse(token) as string).isWellFormed()) return refuse(start, UNPAIRED_SURROGATE);
    return true;
  };
  const memberName = () => {
    skipSpace();
    const start = i;
    if (text[i] !== '"' || !take(STRING)) return false;
    if (checkValues) {
      const key = JSON.parse(text.slice(start, i)) as string;
      path[path.length - 1] = key;
      if (!key.isWellFormed()) return refuse(start, UNPAIRED_SURROGATE);
      const seen = names.at(-1)!;
      if (seen.has(key)) return refuse(start, "given more than once in the same object; send it once");
      seen.add(key);
    }
    skipSpace();
    if (text[i] !== ":") return false;
    i += 1;
    return true;
  };
  const stop = (offset: number) => ({ offset, unstorable });
  for (;;) {
    skipSpace();
    const ch = text[i];
    if (ch === "{" || ch === "[") {
      i += 1;
      skipSpace();
      const close = ch === "{" ? "}" : "]";
      if (text[i] !== close) {
        open.push(close);
        names.push(checkValues && close === "}" ? new Set() : null);
        if (checkValues) path.push(0);
        if (close === "}" && !memberName()) return stop(i);
        continue;
      }
      i += 1;
    } else if (!(ch === '"' ? scalar(STRING) : ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9") ? scalar(NUMBER) : take(LITERAL))) {
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
        if (checkValues) path.pop();
        continue;
      }
      if (text[i] !== ",") return stop(i);
      i += 1;
      if (checkValues && close === "]") path[path.length - 1] = (path.at(-1) as number) + 1;
      if (close === "}" && !memberName()) return stop(i);
      break;
    }
  }
}
