// Helpers for the browser tests: tenants seeded through the admin and tenant APIs (as an operator
// and a tenant would), a fresh headless Chromium, sign-in, and screenshots.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { expect, inject } from "vitest";

export const baseUrl = inject("baseUrl");
const adminToken = inject("adminToken");
const SCREENSHOTS = resolve(import.meta.dirname, "../../test-output/screenshots");

/** One JSON call to the Worker; throws unless it answers `expected`. */
export async function api(method: string, path: string, auth: string, body?: unknown, expected = [200, 201, 204]) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${auth}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!expected.includes(response.status)) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

export interface Tenant {
  org: string;
  email: string;
  key: string;
  keyId: string;
}

/** An organization with an admin key; `catalog` adds Wink's Cool Account and booking events. */
export async function createTenant(prefix: string, options: { catalog?: boolean; email?: string } = {}): Promise<Tenant> {
  const org = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const email = options.email ?? `joe@${prefix}.example.com`;
  await api("POST", "/v1/admin/organizations", adminToken, { id: org, name: `Org ${prefix}` });
  const created = await api("POST", `/v1/admin/organizations/${org}/keys`, adminToken, { email, role: "admin" });
  const tenant = { org, email, key: created.key as string, keyId: created.id as string };
  if (options.catalog) {
    await api("POST", `/v1/organizations/${org}/entities`, tenant.key, { source: "wink", name: "Cool Account" });
    for (const name of ["booking.created", "booking.cancelled"]) {
      await api("POST", `/v1/organizations/${org}/event-types`, tenant.key, { source: "wink", name });
    }
  }
  return tenant;
}

export async function createProducerKey(org: string, email: string): Promise<string> {
  return (await api("POST", `/v1/admin/organizations/${org}/keys`, adminToken, { email, role: "producer", source: "wink" })).key;
}

export async function revokeKey(tenant: Tenant) {
  await api("DELETE", `/v1/admin/organizations/${tenant.org}/keys/${tenant.keyId}`, adminToken);
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile and nothing that reaches for the network. */
export async function openBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "edge-webhooks-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: inject("chromium"),
    headless: true,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function signIn(page: Page, tenant: Pick<Tenant, "email" | "key">) {
  await page.goto(`${baseUrl}/ui/sign-in`);
  await page.getByLabel("E-mail").fill(tenant.email);
  await page.getByLabel("API key").fill(tenant.key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => new URL(page.url()).pathname).toBe("/ui/webhooks");
}

/** Saves the page under test-output/screenshots/ (git-ignored), for people to look at. */
export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The list's row for a webhook, found by its name link. */
export const row = (page: Page, name: string) => page.locator("tbody tr", { has: page.getByRole("link", { name, exact: true }) });
