// Test helpers: calls into the real Worker (its fetch handler, real local D1) as a client would.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";

export const ADMIN_TOKEN = "test-admin-token";

export interface Call {
  status: number;
  headers: Headers;
  body: any;
}

export type Auth = { bearer: string } | { basic: [string, string] } | { header: string } | null;

function authorization(auth: Auth): Record<string, string> {
  if (!auth) return {};
  if ("bearer" in auth) return { authorization: `Bearer ${auth.bearer}` };
  if ("basic" in auth) return { authorization: `Basic ${btoa(`${auth.basic[0]}:${auth.basic[1]}`)}` };
  return { authorization: auth.header };
}

/**
 * One HTTP call to the Worker. `body` is sent as JSON unless it is already a string or a stream.
 * `fetch` replaces the Worker's own entry point, e.g. to call it with other bindings.
 */
export async function call(
  method: string,
  path: string,
  options: { auth?: Auth; body?: unknown; headers?: Record<string, string>; fetch?: (request: Request) => Promise<Response> } = {},
): Promise<Call> {
  const headers: Record<string, string> = { ...authorization(options.auth ?? null), ...options.headers };
  let body: string | ReadableStream | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" || options.body instanceof ReadableStream ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const request = new Request(`https://webhooks.test${path}`, { method, headers, body });
  const response = await (options.fetch ? options.fetch(request) : exports.default.fetch(request));
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (the docs page): keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

export const admin: Auth = { bearer: ADMIN_TOKEN };

/**
 * Asserts the platform's error shape ({"error":{"code","message","details":[{"field","reason"}]}})
 * with this status and code, and returns the fields the details name.
 */
export function expectError(response: Call, status: number, code: string): string[] {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.body).toEqual({
    error: {
      code,
      message: expect.any(String),
      details: expect.arrayContaining([]),
    },
  });
  for (const detail of response.body.error.details) {
    expect(detail).toEqual({ field: expect.any(String), reason: expect.any(String) });
  }
  return response.body.error.details.map((d: { field: string }) => d.field);
}

/** The reason the error gives for one field. */
export function reasonFor(response: Call, field: string): string | undefined {
  return response.body?.error?.details?.find((d: { field: string }) => d.field === field)?.reason;
}

let counter = 0;
/** A fresh organization name, so tests in one file never share data. */
export function uniqueOrg(prefix = "org"): string {
  counter += 1;
  return `${prefix}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

export interface Tenant {
  org: string;
  email: string;
  key: string;
  auth: Auth;
  basic: Auth;
}

/** Creates an organization and an admin key for joe@example.com. */
export async function createTenant(prefix?: string): Promise<Tenant> {
  const org = uniqueOrg(prefix);
  const created = await call("POST", "/v1/admin/organizations", { auth: admin, body: { id: org, name: `Org ${org}` } });
  if (created.status !== 201) throw new Error(`org: ${JSON.stringify(created.body)}`);
  const key = await createKey(org, { email: "joe@example.com", role: "admin" });
  return { org, email: "joe@example.com", key, auth: { bearer: key }, basic: { basic: ["joe@example.com", key] } };
}

export async function createKey(org: string, body: { email: string; role: "admin" | "producer"; source?: string }): Promise<string> {
  const response = await call("POST", `/v1/admin/organizations/${org}/keys`, { auth: admin, body });
  if (response.status !== 201) throw new Error(`key: ${JSON.stringify(response.body)}`);
  return response.body.key;
}

/** The Wink catalog of the seeds: entity "Cool Account" and event booking.created on source wink. */
export async function seedWinkCatalog(tenant: Tenant, events = ["booking.created"]) {
  const base = `/v1/organizations/${tenant.org}`;
  const entity = await call("POST", `${base}/entities`, { auth: tenant.auth, body: { source: "wink", name: "Cool Account" } });
  for (const name of events) {
    await call("POST", `${base}/event-types`, { auth: tenant.auth, body: { source: "wink", name } });
  }
  return entity.body;
}

export const webhooksPath = (org: string, id?: string) => `/v1/mint/organizations/${org}/webhooks${id ? `/${id}` : ""}`;
export const entitiesPath = (org: string, id?: string) => `/v1/organizations/${org}/entities${id ? `/${id}` : ""}`;
export const eventTypesPath = (org: string, id?: string) => `/v1/organizations/${org}/event-types${id ? `/${id}` : ""}`;

/** Creates a webhook through the API and returns its JSON; fails the test if the API refuses it. */
export async function createWebhook(tenant: Tenant, body: Record<string, unknown>): Promise<any> {
  const response = await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body });
  if (response.status !== 201) throw new Error(`webhook: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Signs in to the web page with the tenant's admin key and returns the Cookie header of its session. */
export async function pageSession(tenant: Tenant): Promise<string> {
  const cookiesOf = (response: Response) => response.headers.getSetCookie().map((c) => c.split(";")[0]!).join("; ");
  const form = await exports.default.fetch(new Request("https://webhooks.test/ui/sign-in"));
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!token) throw new Error("sign-in form without a CSRF token");
  const signedIn = await exports.default.fetch(
    new Request("https://webhooks.test/ui/sign-in", {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookiesOf(form) },
      body: new URLSearchParams({ email: tenant.email, key: tenant.key, next: "/ui/webhooks", _csrf: token }),
    }),
  );
  if (signedIn.status !== 303) throw new Error(`sign-in: ${signedIn.status}`);
  return cookiesOf(signedIn);
}
