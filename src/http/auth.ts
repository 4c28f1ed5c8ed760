// Authentication: the operator's admin token, and tenants' API keys (HTTP Basic `email:key`, as
// Apigee's `curl -u email:password`, or `Authorization: Bearer key`).
import type { MiddlewareHandler } from "hono";
import { auth } from "hono/utils/basic-auth";
import { ApiError, forbidden, notFound, unavailable } from "../errors";
import type { AppEnv, Credentials, Principal } from "./context";
import { hashesMatch, hashSecret, parseApiKey, type ApiKeyRow } from "../db/api-keys";
import { cachedActiveKey, TooManyUnknownKeys } from "../ingest/admission";

const unauthorized = (reason: string) =>
  new ApiError(401, "unauthorized", "Authentication is required", [{ field: "authorization", reason }], {
    "www-authenticate": 'Basic realm="edge-webhooks", Bearer',
  });

/** Constant-time equality of two strings (compares their SHA-256 digests, so lengths leak nothing). */
export async function timingSafeEqualText(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

/** Operator routes: `Authorization: Bearer <ADMIN_TOKEN>`. */
export function requireAdminToken(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!bearer(c.req.header("authorization"))) throw unauthorized("send Authorization: Bearer <admin token>");
    if (!(await presentsAdminToken(c.env.ADMIN_TOKEN, c.req.header("authorization")))) throw unauthorized("the admin token is not valid");
    await next();
  };
}

/** Whether the Authorization header is `Bearer <ADMIN_TOKEN>` (false when the Worker has none). */
export async function presentsAdminToken(adminToken: string | undefined, header: string | undefined): Promise<boolean> {
  const token = bearer(header);
  return token !== undefined && !!adminToken && (await timingSafeEqualText(token, adminToken));
}

/**
 * Reads the Authorization header without touching storage: 401 unless it holds a well-formed key.
 * HTTP Basic is parsed by hono/utils/basic-auth, which answers bad base64 and a missing colon
 * alike, so both get one reason.
 */
export function readCredentials(request: Request): Credentials {
  const header = request.headers.get("authorization");
  if (!header) throw unauthorized("send HTTP Basic email:key or Authorization: Bearer <key>");
  if (!/^Basic\s+./i.test(header)) return credentialsOf(bearer(header) ?? "");
  const basic = auth(request);
  if (!basic) throw unauthorized("the Basic credentials must be email:key in base64");
  return credentialsOf(basic.password, basic.username);
}

function credentialsOf(key: string, email?: string): Credentials {
  const parsed = key ? parseApiKey(key) : null;
  if (!parsed) throw unauthorized("the API key is not valid");
  return { ...parsed, email };
}

/** Reads the API key of the request, or refuses with 401. */
export async function authenticateKey(db: D1Database, request: Request): Promise<Principal> {
  return principalOf(await authenticatedKey(db, readCredentials(request)));
}

/**
 * Checks an API key (and, when given, the e-mail it must belong to) against the stored keys: the
 * one rule behind both the Authorization header and the page's sign-in form.
 */
export async function authenticateCredentials(db: D1Database, key: string, email?: string): Promise<Principal> {
  return principalOf(await authenticatedKey(db, credentialsOf(key, email)));
}

/** The active key row the credentials prove, or 401. */
export async function authenticatedKey(db: D1Database, credentials: Credentials): Promise<ApiKeyRow> {
  const [row, presentedHash] = await Promise.all([
    cachedActiveKey(db, credentials.keyId).catch((e) => {
      if (e instanceof TooManyUnknownKeys) {
        throw unavailable("Too many unknown keys are being tried; try again shortly", 1, [
          { field: "authorization", reason: "names a key not seen here lately, while more such keys are tried this second than are looked up" },
        ]);
      }
      throw e;
    }),
    hashSecret(credentials.secret),
  ]);
  return verifiedKey(row, credentials, presentedHash);
}

/**
 * The key's row if `row` (the active row of the presented key id, if any) proves the credentials:
 * the secret's hash matches (compared in constant time, and compared even when the key id is
 * unknown, so both cases take the same time) and the Basic e-mail, if given, is the key's.
 */
export function verifiedKey(row: ApiKeyRow | undefined, credentials: Credentials, presentedHash: string): ApiKeyRow {
  const valid = hashesMatch(presentedHash, row?.secretHash ?? "0".repeat(64));
  if (!row || !valid) throw unauthorized("the API key is not valid");
  if (credentials.email !== undefined && credentials.email.toLowerCase() !== row.email.toLowerCase()) {
    throw unauthorized("the e-mail does not belong to this API key");
  }
  return row;
}

/**
 * Tenant routes under /…/organizations/{org}/: the key must belong to that organization (a key of
 * another organization gets 404, so the organization's existence is not revealed) and have `role`.
 */
export function authorize(principal: Principal, org: string | undefined, role: "admin" | "producer" | "any"): void {
  if (org !== undefined && org !== principal.orgId) throw notFound("organization");
  if (role !== "any" && principal.role !== role) {
    throw forbidden(`This route needs ${withArticle(role)} key`, [
      { field: "authorization", reason: `${withArticle(principal.role)} key cannot ${role === "admin" ? "manage the organization" : "post events"}` },
    ]);
  }
}

const withArticle = (role: "admin" | "producer") => (role === "admin" ? "an admin" : "a producer");

/** The caller an active key row stands for. */
export function principalOf(row: ApiKeyRow): Principal {
  return { keyId: row.id, orgId: row.orgId, email: row.email, role: row.role, source: row.source };
}

export function requireKey(role: "admin" | "producer" | "any"): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = c.get("principal") ?? (await authenticateKey(c.env.DB, c.req.raw));
    c.set("principal", principal);
    authorize(principal, c.req.param("org"), role);
    await next();
  };
}

function bearer(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}
