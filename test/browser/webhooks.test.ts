// The Wink Studio flow, in a real browser against the real Worker: sign in, create "Wink Stalker"
// exactly as the Wink steps go, find it, switch it off and on, update its URL, look at it, remove
// it with OK, sign out. The steps share one browser and build on each other, in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, baseUrl, createTenant, openBrowser, row, screenshot, signIn, type Browser, type Tenant } from "./support";

const WINK_URL = "https://my.system.com/webhook/wink";
const NEW_URL = "https://my.system.com/webhook/wink-v2";

let browser: Browser;
let tenant: Tenant;
const webhooks = async () => (await api("GET", `/v1/mint/organizations/${tenant.org}/webhooks`, tenant.key)).webhooks as any[];

beforeAll(async () => {
  tenant = await createTenant("wink", { catalog: true });
  browser = await openBrowser();
});
afterAll(async () => browser?.close());

describe("the webhooks page, the Wink way", () => {
  it("refuses a wrong API key, keeping the e-mail typed", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/`);
    expect(new URL(page.url()).pathname).toBe("/ui/sign-in");
    await page.getByLabel("E-mail").fill(tenant.email);
    await page.getByLabel("API key").fill(`${tenant.key.slice(0, -4)}AAAA`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("The e-mail or API key is not valid.");
    expect(await page.getByLabel("E-mail").inputValue()).toBe(tenant.email);
    expect(await page.getByLabel("API key").inputValue()).toBe("");
    await screenshot(page, "sign-in-error");
  });

  it("signs in with the organization's e-mail and API key", async () => {
    const { page } = browser;
    await signIn(page, tenant);
    await expect.poll(() => page.locator("header").textContent()).toContain(tenant.email);
    expect(await page.locator("header").textContent()).toContain(tenant.org);
    expect(await page.locator("#count").textContent()).toBe("No webhooks yet.");
    await screenshot(page, "webhooks-empty");
  });

  it("creates Wink Stalker through the form and lands back on the list with it there", async () => {
    const { page } = browser;
    await page.getByRole("link", { name: "Create new webhook" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Create new webhook");
    await page.getByLabel("Name").fill("Wink Stalker");
    // "Enable: leave it as it is to enable it."
    expect(await page.getByLabel("Enable", { exact: true }).isChecked()).toBe(true);
    await page.getByLabel("Entity name").selectOption({ label: "Cool Account" });
    await page.getByRole("checkbox", { name: "booking.created" }).check();
    await page.getByLabel("Webhook URL").fill(WINK_URL);
    await screenshot(page, "create-form");
    await page.getByRole("button", { name: "Save" }).click();

    await expect.poll(() => new URL(page.url()).pathname).toBe("/ui/webhooks");
    expect(await page.getByRole("status").textContent()).toBe("Webhook “Wink Stalker” was created.");
    const listed = row(page, "Wink Stalker");
    expect(await listed.count()).toBe(1);
    const text = await listed.textContent();
    for (const part of [WINK_URL, "wink", "Cool Account", "booking.created"]) expect(text).toContain(part);
    expect(await listed.getByRole("switch").getAttribute("aria-checked")).toBe("true");
    await screenshot(page, "webhooks-list");

    const [stored] = await webhooks();
    expect(stored).toMatchObject({ name: "Wink Stalker", enabled: true, source: "wink", entity: "Cool Account", events: ["booking.created"], postUrl: WINK_URL, createdBy: tenant.email });
  });

  it("shows an invalid URL's error next to the field, keeping everything typed", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/ui/webhooks/new`);
    await page.getByLabel("Name").fill("Broken Hook");
    await page.getByLabel("Entity name").selectOption({ label: "Cool Account" });
    await page.getByRole("checkbox", { name: "booking.cancelled" }).check();
    await page.getByLabel("Webhook URL").fill("not a url");
    await page.getByRole("button", { name: "Save" }).click();

    const url = page.getByLabel("Webhook URL");
    await expect.poll(() => url.getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#postUrl-error").textContent()).toBe("must be an absolute http(s) URL");
    expect((await url.getAttribute("aria-describedby"))?.split(" ")).toContain("postUrl-error");
    expect(await url.inputValue()).toBe("not a url");
    expect(await page.getByLabel("Name").inputValue()).toBe("Broken Hook");
    expect(await page.locator("#entity option:checked").textContent()).toBe("Cool Account");
    expect(await page.getByRole("checkbox", { name: "booking.cancelled" }).isChecked()).toBe(true);
    expect(await page.getByRole("alert").textContent()).toContain("Webhook URL: must be an absolute http(s) URL");
    await screenshot(page, "create-form-error");
    expect((await webhooks()).map((w) => w.name)).toEqual(["Wink Stalker"]);
  });

  it("searches the list by name and by URL", async () => {
    const { page } = browser;
    await api("POST", `/v1/mint/organizations/${tenant.org}/webhooks`, tenant.key, { name: "Trip Watcher", postURL: "https://trips.example.org/hook" });
    await page.goto(`${baseUrl}/ui/webhooks`);
    expect(await page.locator("tbody tr").count()).toBe(2);

    await page.getByLabel("Search by name or URL").fill("stalker");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("q")).toBe("stalker");
    expect(await page.locator("tbody tr").count()).toBe(1);
    expect(await row(page, "Wink Stalker").count()).toBe(1);
    expect(await page.locator("#count").textContent()).toBe("Showing 1–1 of 1 webhook matching “stalker”.");
    await screenshot(page, "webhooks-search");

    await page.getByLabel("Search by name or URL").fill("trips.example");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => row(page, "Trip Watcher").count()).toBe(1);
    expect(await page.locator("tbody tr").count()).toBe(1);

    await page.getByLabel("Search by name or URL").fill("nothing like this");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.locator("#count").textContent()).toBe("No webhook matches “nothing like this”.");
    expect(await page.locator("tbody tr").count()).toBe(0);
  });

  it("switches a webhook off and on at once with its status toggle, staying in the search", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/ui/webhooks?q=wink`);
    await row(page, "Wink Stalker").getByRole("switch", { name: "Wink Stalker enabled" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Webhook “Wink Stalker” is now disabled.");
    expect(new URL(page.url()).searchParams.get("q")).toBe("wink");
    expect(await row(page, "Wink Stalker").getByRole("switch").getAttribute("aria-checked")).toBe("false");
    expect((await webhooks()).find((w) => w.name === "Wink Stalker").enabled).toBe(false);
    await screenshot(page, "webhooks-toggled-off");

    await row(page, "Wink Stalker").getByRole("switch").click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Webhook “Wink Stalker” is now enabled.");
    expect(await row(page, "Wink Stalker").getByRole("switch").getAttribute("aria-checked")).toBe("true");
    expect((await webhooks()).find((w) => w.name === "Wink Stalker").enabled).toBe(true);
  });

  it("updates the URL through Actions → Update, on the same form filled in", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/ui/webhooks`);
    const listed = row(page, "Wink Stalker");
    await listed.getByText("Actions").click();
    await listed.getByRole("link", { name: "Update" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Update Wink Stalker");
    expect(await page.getByLabel("Name").inputValue()).toBe("Wink Stalker");
    expect(await page.getByLabel("Enable", { exact: true }).isChecked()).toBe(true);
    expect(await page.locator("#entity option:checked").textContent()).toBe("Cool Account");
    expect(await page.getByRole("checkbox", { name: "booking.created" }).isChecked()).toBe(true);
    expect(await page.getByRole("checkbox", { name: "booking.cancelled" }).isChecked()).toBe(false);
    expect(await page.getByLabel("Webhook URL").inputValue()).toBe(WINK_URL);
    await screenshot(page, "update-form");

    await page.getByLabel("Webhook URL").fill(NEW_URL);
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Webhook “Wink Stalker” was updated.");
    expect(new URL(page.url()).pathname).toBe("/ui/webhooks");
    expect(await row(page, "Wink Stalker").textContent()).toContain(NEW_URL);
    expect((await webhooks()).find((w) => w.name === "Wink Stalker")).toMatchObject({ postUrl: NEW_URL, enabled: true, events: ["booking.created"], entity: "Cool Account" });
  });

  it("shows a webhook's detail, and its signing secret only when asked", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/ui/webhooks`);
    await page.getByRole("link", { name: "Wink Stalker", exact: true }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Wink Stalker");
    expect(await page.locator("dl").textContent()).toContain(NEW_URL);
    expect(await page.content()).not.toContain("whsec_");
    await page.getByRole("button", { name: "Reveal secret" }).click();
    await expect.poll(() => page.locator("#secret").textContent()).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await screenshot(page, "webhook-detail");
  });

  it("removes a webhook after OK, back on the list saying so", async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/ui/webhooks`);
    const listed = row(page, "Wink Stalker");
    await listed.getByText("Actions").click();
    await listed.getByRole("link", { name: "Remove" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Remove Wink Stalker?");
    expect((await webhooks()).some((w) => w.name === "Wink Stalker")).toBe(true); // nothing happens before OK
    await screenshot(page, "remove-confirm");
    await page.getByRole("button", { name: "OK" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Webhook “Wink Stalker” was removed.");
    expect(new URL(page.url()).pathname).toBe("/ui/webhooks");
    expect(await row(page, "Wink Stalker").count()).toBe(0);
    expect((await webhooks()).map((w) => w.name)).toEqual(["Trip Watcher"]);
  });

  it("signs out, after which the list needs signing in again", async () => {
    const { page } = browser;
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/ui/sign-in");
    expect(await page.getByRole("status").textContent()).toBe("You are signed out.");
    await screenshot(page, "signed-out");
    await page.goto(`${baseUrl}/ui/webhooks`);
    expect(new URL(page.url()).pathname).toBe("/ui/sign-in");
  });
});
