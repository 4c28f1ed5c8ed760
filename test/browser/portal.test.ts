// The webhooks page opened from a host product, as Wink's Studio does: the host's backend mints a
// portal link and its page frames it. Debian's headless Chromium, the real Worker (`wrangler dev`
// on http://127.0.0.1) and a host page on another site (http://localhost, test/browser/host.ts).
// One server, one browser and one host for the file; the steps build on each other, in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FrameLocator } from "playwright-core";
import { seedTenant, startDevServer, type DevServer } from "../support/dev-server";
import { openBrowser, row, screenshot, type Browser } from "./support";
import { startHost, type Host } from "./host";

const USER = "ann@wink.example";
const WINK_URL = "https://my.system.com/webhook/wink";
const NEW_URL = "https://my.system.com/webhook/wink-v2";

let server: DevServer;
let browser: Browser;
let host: Host;
let tenant: Awaited<ReturnType<typeof seedTenant>>;

async function call(method: string, path: string, body?: unknown, auth = tenant.adminKey) {
  const answer = await server.api(method, path, { auth, body });
  if (answer.status >= 300) throw new Error(`${method} ${path} → ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}
const webhooks = async (): Promise<any[]> => (await call("GET", `/v1/mint/organizations/${tenant.org}/webhooks`)).webhooks;

/** What Studio's backend does for its signed-in user: a link to their Wink account's webhooks. */
async function mintLink(options: Record<string, unknown> = {}, org = tenant.org, auth = tenant.adminKey): Promise<string> {
  const body = { email: USER, source: "wink", entities: ["Cool Account"], returnUrl: `${host.origin}/profile`, ...options };
  return (await call("POST", `/v1/organizations/${org}/portal-links`, body, auth)).url;
}

/** Opens the host's page framing `src`; the frame's document, once it has a heading. */
async function embed(src: string): Promise<FrameLocator> {
  await browser.page.goto(host.embed(src));
  const frame = browser.page.frameLocator('iframe[name="portal"]');
  await frame.locator("h1").waitFor();
  return frame;
}

const heading = (frame: FrameLocator) => frame.locator("h1").textContent();

beforeAll(async () => {
  [server, browser, host] = await Promise.all([startDevServer(), openBrowser(), startHost()]);
  tenant = await seedTenant(server, "wink", ["booking.created", "booking.cancelled"]);
  await call("POST", `/v1/organizations/${tenant.org}/entities`, { source: "wink", name: "Other Account" });
  await call("POST", `/v1/organizations/${tenant.org}/entities`, { source: "trippay", name: "Trip Account" });
  await call("POST", `/v1/organizations/${tenant.org}/event-types`, { source: "trippay", name: "payment.settled" });
  await call("PATCH", `/v1/admin/organizations/${tenant.org}`, { displayName: "Wink Studio", accentColor: "#6d28d9", frameAncestors: [host.origin] }, server.adminToken);
});
afterAll(async () => {
  await Promise.all([browser?.close(), server?.stop(), host?.close()]);
});

describe("the webhooks page inside Studio's frame", () => {
  let frame: FrameLocator;

  it("opens from a freshly minted link in the host's iframe, with the host's name and a way back", async () => {
    frame = await embed(await mintLink());
    expect(await heading(frame)).toBe("Webhooks");
    expect(await frame.locator("header .brand").textContent()).toBe("Wink Studio");
    const back = frame.getByRole("link", { name: "Back to Wink Studio" });
    expect(await back.getAttribute("href")).toBe(`${host.origin}/profile`);
    expect(await back.getAttribute("target")).toBe("_top");
    // A scoped session manages webhooks, not the organization's accounts and catalog.
    expect(await frame.getByRole("link", { name: "Entities & events" }).count()).toBe(0);
    const session = (await browser.context.cookies()).find((c) => c.name === "__Host-ewk_portal");
    // Secure works over plain http here: Chromium counts localhost and 127.0.0.1 as secure contexts.
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "None", partitionKey: "http://localhost" });
    await screenshot(browser.page, "portal-embedded");
  });

  it("creates Wink Stalker for Cool Account in the frame and lands back on the list with it there", async () => {
    await frame.getByRole("link", { name: "Create new webhook" }).click();
    await expect.poll(() => heading(frame)).toBe("Create new webhook");
    expect(await frame.locator("#entity option").allTextContents()).toEqual(["Choose an account…", "Cool Account"]);
    await frame.getByLabel("Name", { exact: true }).fill("Wink Stalker");
    expect(await frame.getByLabel("Enable", { exact: true }).isChecked()).toBe(true);
    await frame.getByLabel("Entity name").selectOption({ label: "Cool Account" });
    await frame.getByRole("checkbox", { name: "booking.created" }).check();
    await frame.getByLabel("Webhook URL").fill(WINK_URL);
    await screenshot(browser.page, "portal-create-form");
    await frame.getByRole("button", { name: "Save" }).click();

    await expect.poll(() => frame.getByRole("status").textContent()).toBe("Webhook “Wink Stalker” was created.");
    const listed = row(browser.page, "Wink Stalker");
    expect(await frame.locator("tbody tr", { has: frame.getByRole("link", { name: "Wink Stalker", exact: true }) }).textContent()).toContain(WINK_URL);
    expect(await listed.count()).toBe(0); // it is in the frame, not in the host's page
    expect(new URL(browser.page.url()).origin).toBe(host.origin);
    const [stored] = await webhooks();
    expect(stored).toMatchObject({ name: "Wink Stalker", enabled: true, source: "wink", entity: "Cool Account", events: ["booking.created"], postUrl: WINK_URL, createdBy: USER });
  });

  it("updates its URL through Actions → Update", async () => {
    const listed = frame.locator("tbody tr", { has: frame.getByRole("link", { name: "Wink Stalker", exact: true }) });
    await listed.getByText("Actions").click();
    await listed.getByRole("link", { name: "Update" }).click();
    await expect.poll(() => heading(frame)).toBe("Update Wink Stalker");
    await frame.getByLabel("Webhook URL").fill(NEW_URL);
    await frame.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => frame.getByRole("status").textContent()).toBe("Webhook “Wink Stalker” was updated.");
    expect((await webhooks()).find((w) => w.name === "Wink Stalker")).toMatchObject({ postUrl: NEW_URL, updatedBy: USER });
  });

  it("removes it after OK", async () => {
    const listed = frame.locator("tbody tr", { has: frame.getByRole("link", { name: "Wink Stalker", exact: true }) });
    await listed.getByText("Actions").click();
    await listed.getByRole("link", { name: "Remove" }).click();
    await expect.poll(() => heading(frame)).toBe("Remove Wink Stalker?");
    await frame.getByRole("button", { name: "OK" }).click();
    await expect.poll(() => frame.getByRole("status").textContent()).toBe("Webhook “Wink Stalker” was removed.");
    expect(await webhooks()).toEqual([]);
  });
});

describe("a link scoped to wink and Cool Account", () => {
  let trip: any;
  let otherAccount: any;

  it("never shows a TripPay webhook or another account's", async () => {
    trip = await call("POST", `/v1/mint/organizations/${tenant.org}/webhooks`, { name: "TripPay Hook", postURL: "https://trip.example/hook", source: "trippay", entity: "Trip Account" });
    otherAccount = await call("POST", `/v1/mint/organizations/${tenant.org}/webhooks`, { name: "Other Account Hook", postURL: "https://other.example/hook", source: "wink", entity: "Other Account" });
    await call("POST", `/v1/mint/organizations/${tenant.org}/webhooks`, { name: "Cool Hook", postURL: "https://cool.example/hook", source: "wink", entity: "Cool Account" });
    const frame = await embed(await mintLink());
    expect(await frame.locator("tbody tr").count()).toBe(1);
    expect(await frame.locator("tbody").textContent()).toContain("Cool Hook");
    const portal = browser.page.frame({ name: "portal" })!;
    for (const hidden of [trip, otherAccount]) {
      const response = await portal.goto(`${server.url}/ui/webhooks/${hidden.id}`);
      expect(response?.status()).toBe(404);
      expect(await portal.locator("h1").textContent()).toBe("Not found");
    }
  });

  it("refuses a forged form post creating a webhook for a TripPay account, creating nothing", async () => {
    const portal = browser.page.frame({ name: "portal" })!;
    await portal.goto(`${server.url}/ui/webhooks/new`);
    const tripAccount = (await call("GET", `/v1/organizations/${tenant.org}/entities?source=trippay`)).entities[0];
    // The form offers no such account; a forger adds one to the select by hand.
    await portal.locator("#entity").evaluate((select, id) => select.append(new Option("Trip Account", `e:${id}`)), tripAccount.id);
    await portal.getByLabel("Name", { exact: true }).fill("Sneaky");
    await portal.getByLabel("Entity name").selectOption({ label: "Trip Account" });
    await portal.getByLabel("Webhook URL").fill("https://sneaky.example/hook");
    await portal.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => portal.locator("#entity").getAttribute("aria-invalid")).toBe("true");
    expect(await portal.locator("#entity-error").textContent()).toBe("choose one of your accounts from the list");
    expect((await webhooks()).map((w) => w.name).sort()).toEqual(["Cool Hook", "Other Account Hook", "TripPay Hook"]);
  });
});

describe("links that are refused, in the frame, with the way back", () => {
  it("refuses a link opened twice", async () => {
    const link = await mintLink();
    expect(await heading(await embed(link))).toBe("Webhooks");
    const again = await embed(link);
    expect(await heading(again)).toBe("This link cannot be opened");
    expect(await again.getByRole("alert").textContent()).toContain("This link was already used.");
    expect(await again.getByRole("link", { name: "Back to Wink Studio" }).getAttribute("href")).toBe(`${host.origin}/profile`);
    await screenshot(browser.page, "portal-link-used");
  });

  it("refuses an expired link", async () => {
    const link = await mintLink({ openWithinSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const frame = await embed(link);
    expect(await heading(frame)).toBe("This link cannot be opened");
    expect(await frame.getByRole("alert").textContent()).toContain("This link expired before it was opened.");
  });

  it("refuses a link of another organization", async () => {
    const other = await seedTenant(server, "other");
    const theirs = await mintLink({ source: undefined, entities: undefined }, other.org, other.adminKey);
    const frame = await embed(theirs.replace(`/ui/portal/${other.org}/`, `/ui/portal/${tenant.org}/`));
    expect(await heading(frame)).toBe("This link cannot be opened");
    expect(await frame.getByRole("alert").textContent()).toContain("This link was made for another organization");
  });
});

describe("framing and forms from other sites", () => {
  it("cannot be framed by an origin not on the organization's list, nor can the sign-in page", async () => {
    // Chromium replaces a frame it may not show with its error page (which has no name, hence childFrames).
    const framed = () => browser.page.mainFrame().childFrames()[0]?.url();
    const stranger = await startHost();
    try {
      await browser.page.goto(stranger.embed(await mintLink()));
      await expect.poll(framed).toBe("chrome-error://chromewebdata/");
      await browser.page.goto(host.embed(`${server.url}/ui/sign-in`));
      await expect.poll(framed).toBe("chrome-error://chromewebdata/");
    } finally {
      await stranger.close();
    }
  });

  it("refuses a cross-site form post into the embedded session, even one carrying its token", async () => {
    const frame = await embed(await mintLink());
    const csrf = await frame.locator('input[name="_csrf"]').first().inputValue();
    const cool = (await webhooks()).find((w) => w.name === "Cool Hook");
    expect(cool.enabled).toBe(false);
    // The host's page (another site) posts into the frame, where the session's cookie is sent.
    // The same session (its cookie, in the host's partition) with its own token: only the origin check stands in the way.
    await browser.page.goto(host.attack(`${server.url}/ui/webhooks`, `${server.url}/ui/webhooks/${cool.id}/enabled`, { _csrf: csrf, enabled: "true" }));
    await browser.page.frameLocator('iframe[name="portal"]').locator("h1").waitFor();
    await browser.page.getByRole("button", { name: "Win a prize" }).click();
    const portal = browser.page.frameLocator('iframe[name="portal"]');
    await expect.poll(() => heading(portal)).toBe("Request refused");
    expect(await portal.locator("main").textContent()).toContain("the form was sent from");
    expect((await webhooks()).find((w) => w.name === "Cool Hook").enabled).toBe(false);
  });
});
