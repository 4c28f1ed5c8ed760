// Helpers for the browser tests: Debian's headless Chromium, sign-in, screenshots, and finding a
// webhook's row. The Worker itself comes from test/support/dev-server.ts.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = resolve(import.meta.dirname, "../../test-output/screenshots");

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile and nothing that reaches for the network. */
export async function openBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  // A missing browser fails the suite with instructions; it is never a silent skip.
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium was not found at ${CHROMIUM}. The browser tests need Debian's chromium package: ` +
        "`npm run test:browser` and `npm test` install it (scripts/ensure-chromium.mjs), or set CHROMIUM_PATH.",
    );
  }
  const profile = mkdtempSync(join(tmpdir(), "edge-webhooks-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // A missing element fails in seconds, not after playwright's 30 s default.
  context.setDefaultTimeout(10_000);
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

export async function signIn(page: Page, baseUrl: string, credentials: { email: string; key: string }) {
  await page.goto(`${baseUrl}/ui/sign-in`);
  await page.getByLabel("E-mail").fill(credentials.email);
  await page.getByLabel("API key").fill(credentials.key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((at) => at.pathname === "/ui/webhooks");
}

/** Saves the page under test-output/screenshots/ (git-ignored), for people to look at. */
export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The list's row for a webhook, found by its name link. */
export const row = (page: Page, name: string) => page.locator("tbody tr", { has: page.getByRole("link", { name, exact: true }) });
