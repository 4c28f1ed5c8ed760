// The webhooks page in a real browser (Debian's headless Chromium) against the real Worker
// (`wrangler dev`): the Wink Studio flow — sign in, create "Wink Stalker" exactly as the Wink steps
// go, find it, switch it off and on, update its URL, remove it with OK — then tenant isolation,
// CSRF, a phone-sized screen, and a webhook's deliveries, redelivery, statistics, test event and secret.
// One server and one signed-in browser for the file; the steps build on each other, in order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { seedTenant, startDevServer, type DevServer } from "../support/dev-server";
import { startReceiver, type Receiver } from "../support/receiver";
import { openBrowser, row, screenshot, signIn, type Browser } from "./support";

const WINK_URL = "https://my.system.com/webhook/wink";
const NEW_URL = "https://my.system.com/webhook/wink-v2";
const EMAIL = "joe@example.com"; // seedTenant's admin key belongs to this e-mail

let server: DevServer;
let receiver: Receiver;
let browser: Browser;
let tenant: Awaited<ReturnType<typeof seedTenant>>;
/** The webhook the detail tests create, pointed at the receiver. */
let hookId: string;

async function call(method: string, path: string, body?: unknown, auth = tenant.adminKey) {
  const answer = await server.api(method, path, { auth, body });
  if (answer.status >= 300) throw new Error(`${method} ${path} → ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}
const webhooks = async (of = tenant): Promise<any[]> => (await call("GET", `/v1/mint/organizations/${of.org}/webhooks`, undefined, of.adminKey)).webhooks;
const url = (path: string) => `${server.url}${path}`;
/** Reloads the page at `path` until `probe` holds (deliveries, and what they lead to, happen in the background). */
async function reloadUntil(path: string, probe: () => Promise<boolean>) {
  await expect
    .poll(async () => {
      await browser.page.goto(url(path));
      return probe();
    }, { timeout: 30_000, interval: 300 })
    .toBe(true);
}

beforeAll(async () => {
  [server, receiver, browser] = await Promise.all([startDevServer({ vars: { RETRY_DELAY_SECONDS: "1" } }), startReceiver(), openBrowser()]);
  tenant = await seedTenant(server, "wink", ["booking.created", "booking.cancelled"]);
});
afterAll(async () => {
  await Promise.all([browser?.close(), server?.stop(), receiver?.close()]);
});

describe("the webhooks page, the Wink way", () => {
  it("refuses a wrong API key, keeping the e-mail typed", async () => {
    const { page } = browser;
    await page.goto(url("/"));
    expect(new URL(page.url()).pathname).toBe("/ui/sign-in");
    await page.getByLabel("E-mail").fill(EMAIL);
    await page.getByLabel("API key").fill(`${tenant.adminKey.slice(0, -4)}AAAA`);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("The e-mail or API key is not valid.");
    expect(await page.getByLabel("E-mail").inputValue()).toBe(EMAIL);
    expect(await page.getByLabel("API key").inputValue()).toBe("");
    await screenshot(page, "sign-in-error");
  });

  it("signs in with the organization's e-mail and API key, in a signed HttpOnly Secure SameSite cookie", async () => {
    const { page, context } = browser;
    await signIn(page, server.url, { email: EMAIL, key: tenant.adminKey });
    await expect.poll(() => page.locator("header").textContent()).toContain(EMAIL);
    expect(await page.locator("header").textContent()).toContain(tenant.org);
    expect(await page.locator("#count").textContent()).toBe("No webhooks yet.");
    const session = (await context.cookies()).find((c) => c.name === "__Host-ewk_session");
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Lax", path: "/" });
    expect(session!.value).not.toContain(tenant.adminKey);
    await screenshot(page, "webhooks-empty");
  });

  it("creates Wink Stalker through the form and lands back on the list with it there", async () => {
    const { page } = browser;
    await page.getByRole("link", { name: "Create new webhook" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Create new webhook");
    await page.getByLabel("Name", { exact: true }).fill("Wink Stalker");
    // "Enable: leave it as it is to enable it."
    expect(await page.getByLabel("Enable", { exact: true }).isChecked()).toBe(true);
    await page.getByLabel("Entity name").selectOption({ label: "Cool Account" });
    await page.getByRole("checkbox", { name: "booking.created" }).check();
    await page.getByLabel("Webhook URL").fill(WINK_URL);
    await screenshot(page, "create-form");
    await page.getByRole("button", { name: "Save" }).click();

    await page.waitForURL((at) => at.pathname === "/ui/webhooks");
    expect(await page.getByRole("status").textContent()).toBe("Webhook “Wink Stalker” was created.");
    const listed = row(page, "Wink Stalker");
    expect(await listed.count()).toBe(1);
    const text = await listed.textContent();
    for (const part of [WINK_URL, "wink", "Cool Account", "booking.created", "None yet"]) expect(text).toContain(part);
    expect(await listed.getByRole("switch").getAttribute("aria-checked")).toBe("true");
    await screenshot(page, "webhooks-list");

    const [stored] = await webhooks();
    expect(stored).toMatchObject({ name: "Wink Stalker", enabled: true, source: "wink", entity: "Cool Account", events: ["booking.created"], postUrl: WINK_URL, createdBy: EMAIL });
  });

  it("shows an invalid URL's error next to the field, keeping everything typed", async () => {
    const { page } = browser;
    await page.goto(url("/ui/webhooks/new"));
    await page.getByLabel("Name", { exact: true }).fill("Broken Hook");
    await page.getByLabel("Entity name").selectOption({ label: "Cool Account" });
    await page.getByRole("checkbox", { name: "booking.cancelled" }).check();
    await page.getByLabel("Webhook URL").fill("not a url");
    await page.getByRole("button", { name: "Save" }).click();

    const field = page.getByLabel("Webhook URL");
    await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#postUrl-error").textContent()).toBe("must be an absolute http(s) URL");
    expect((await field.getAttribute("aria-describedby"))?.split(" ")).toContain("postUrl-error");
    expect(await field.inputValue()).toBe("not a url");
    // Marked as the summary says: a red border twice as wide as a valid field's.
    const border = (label: string) => page.getByLabel(label, { exact: true }).evaluate((input) => getComputedStyle(input).borderTopWidth);
    expect([await border("Webhook URL"), await border("Name")]).toEqual(["2px", "1px"]);
    expect(await page.getByLabel("Name", { exact: true }).inputValue()).toBe("Broken Hook");
    expect(await page.locator("#entity option:checked").textContent()).toBe("Cool Account");
    expect(await page.getByRole("checkbox", { name: "booking.cancelled" }).isChecked()).toBe(true);
    expect(await page.getByRole("alert").textContent()).toContain("Webhook URL: must be an absolute http(s) URL");
    await screenshot(page, "create-form-error");
    expect((await webhooks()).map((w) => w.name)).toEqual(["Wink Stalker"]);
  });

  it("searches the list by name and by URL", async () => {
    const { page } = browser;
    await call("POST", `/v1/mint/organizations/${tenant.org}/webhooks`, { name: "Trip Watcher", postURL: "https://trips.example.org/hook" });
    await page.goto(url("/ui/webhooks"));
    expect(await page.locator("tbody tr").count()).toBe(2);

    await page.getByLabel("Search by name or URL").fill("stalker");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL((at) => at.searchParams.get("q") === "stalker");
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
    await page.goto(url("/ui/webhooks?q=wink"));
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
    await page.goto(url("/ui/webhooks"));
    const listed = row(page, "Wink Stalker");
    await listed.getByText("Actions").click();
    await listed.getByRole("link", { name: "Update" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Update Wink Stalker");
    expect(await page.getByLabel("Name", { exact: true }).inputValue()).toBe("Wink Stalker");
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

  it("removes a webhook after OK, back on the list saying so", async () => {
    const { page } = browser;
    await page.goto(url("/ui/webhooks"));
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
});

describe("what the page refuses", () => {
  it("never shows or touches another organization's webhooks", async () => {
    const { page } = browser;
    const other = await seedTenant(server, "other");
    const theirs = await call("POST", `/v1/mint/organizations/${other.org}/webhooks`, { name: "Their Hook", postURL: "https://other.example.com/hook" }, other.adminKey);

    await page.goto(url("/ui/webhooks?q=Their"));
    expect(await page.locator("#count").textContent()).toBe("No webhook matches “Their”.");
    for (const path of [`/ui/webhooks/${theirs.id}`, `/ui/webhooks/${theirs.id}/edit`, `/ui/webhooks/${theirs.id}/remove`]) {
      const response = await page.goto(url(path));
      expect(response?.status()).toBe(404);
      expect(await page.locator("h1").textContent()).toBe("Not found");
    }
    // A crafted POST with this session's own valid token still cannot reach it.
    await page.goto(url("/ui/webhooks"));
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const posted = await page.request.post(url(`/ui/webhooks/${theirs.id}/remove`), { form: { _csrf: csrf }, headers: { origin: server.url }, maxRedirects: 0 });
    expect(posted.status()).toBe(404);
    expect((await webhooks(other)).map((w) => w.name)).toEqual(["Their Hook"]);
  });

  it("refuses a form without this session's CSRF token, or sent from another site", async () => {
    const { page } = browser;
    const [trip] = await webhooks();
    const toggle = url(`/ui/webhooks/${trip.id}/enabled`);
    const forged = await page.request.post(toggle, { form: { enabled: "true", _csrf: "forged" }, headers: { origin: server.url }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    expect(await forged.text()).toContain("security token is missing or out of date");

    await page.goto(url("/ui/webhooks"));
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const crossSite = await page.request.post(toggle, { form: { enabled: "true", _csrf: csrf }, headers: { origin: "https://evil.example" }, maxRedirects: 0 });
    expect(crossSite.status()).toBe(403);
    expect((await webhooks()).find((w) => w.id === trip.id).enabled).toBe(false);
  });
});

describe("a webhook's detail", () => {
  const deliveryTexts = () => browser.page.locator("li.delivery .delivery-head").allTextContents();

  it("lists its deliveries with every attempt: status code, duration, error and response", async () => {
    const { page } = browser;
    const created = await call("POST", `/v1/mint/organizations/${tenant.org}/webhooks`, {
      name: "Receiver Hook",
      postURL: receiver.url("detail", "404,200"),
      enabled: true,
      source: "wink",
      entity: "Cool Account",
      events: ["booking.created"],
    });
    hookId = created.id;
    await call("POST", `/v1/organizations/${tenant.org}/events`, { type: "booking.created", entity: "Cool Account", data: { n: 1 } }, tenant.producerKey);

    await reloadUntil(`/ui/webhooks/${hookId}`, async () => (await deliveryTexts()).some((t) => t.includes("Failed (404)")));
    const attempt = page.locator("table.attempts tbody tr").first();
    expect(await attempt.locator('td[data-label="Status code"]').textContent()).toBe("404");
    expect(await attempt.locator('td[data-label="Duration"]').textContent()).toMatch(/^\d+ ms$/);
    expect(await attempt.locator('td[data-label="Response"]').textContent()).toBe("answer 404");
    expect(await attempt.locator('td[data-label="Attempt"]').textContent()).toBe("1 · failed");
    await screenshot(page, "webhook-detail");

    await page.goto(url("/ui/webhooks"));
    expect(await row(page, "Receiver Hook").locator('td[data-label="Last delivery"]').textContent()).toContain("Failed (404)");
  });

  it("redelivers a failed delivery with Redeliver", async () => {
    const { page } = browser;
    await page.goto(url(`/ui/webhooks/${hookId}`));
    await page.getByRole("button", { name: /^Redeliver booking\.created/ }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe("The booking.created event is queued for delivery again, after anything already waiting.");
    await reloadUntil(`/ui/webhooks/${hookId}`, async () => (await deliveryTexts()).some((t) => t.includes("(redelivery)") && t.includes("Succeeded (200)")));
    expect(receiver.received("detail").map((r) => JSON.parse(r.body).type)).toEqual(["booking.created", "booking.created"]);
  });

  it("shows its last 24 hours: success rate, counts, latency and a bar per hour", async () => {
    const { page } = browser;
    await page.goto(url(`/ui/webhooks/${hookId}`));
    const stats = page.getByRole("region", { name: "Last 24 hours" });
    expect(await stats.locator("dl").textContent()).toMatch(/^Success rate50\.0 %Succeeded1Failed1Attempts2Latencyp50 ≤ \d+ ms, p95 ≤ \d+ msBacklognone$/);
    expect(await stats.getByRole("img").count()).toBe(1);
    expect(await stats.locator("svg.chart g").count()).toBe(24);
    await screenshot(page, "webhook-stats");
  });

  it("sends a test event, signed with the secret revealed on click", async () => {
    const { page } = browser;
    await page.goto(url(`/ui/webhooks/${hookId}`));
    expect(await page.content()).not.toContain("whsec_");
    await page.getByRole("button", { name: "Send test event" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("A webhook.test event is on its way");
    await reloadUntil(`/ui/webhooks/${hookId}`, async () => (await deliveryTexts()).some((t) => t.includes("webhook.test") && t.includes("Succeeded (200)")));

    await page.getByRole("button", { name: "Reveal secret" }).click();
    const secret = (await page.locator("#secret").textContent())!;
    expect(secret).toMatch(/^whsec_/);
    const test = receiver.received("detail").find((r) => JSON.parse(r.body).type === "webhook.test")!;
    expect(() => new Webhook(secret).verify(test.body, test.headers)).not.toThrow();
    await screenshot(page, "webhook-detail-secret");
  });

  it("rotates the secret, keeping the previous one shown while it still signs", async () => {
    const { page } = browser;
    const before = (await call("GET", `/v1/mint/organizations/${tenant.org}/webhooks/${hookId}/secret`)).key;
    await page.goto(url(`/ui/webhooks/${hookId}`));
    await page.getByRole("button", { name: "Rotate secret" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("was rotated");
    const after = await call("GET", `/v1/mint/organizations/${tenant.org}/webhooks/${hookId}/secret`);
    expect(after).toMatchObject({ previousKey: before });
    expect(after.key).not.toBe(before);
    // The new secret is shown at once: the receiver needs it now.
    expect(await page.locator("#secret").textContent()).toBe(after.key);
    expect(await page.locator("#previous-secret").textContent()).toBe(before);
  });

  it("offers nothing to send while the webhook is disabled, saying why, and refuses a send from a page opened before", async () => {
    const { page } = browser;
    await page.goto(url(`/ui/webhooks/${hookId}`));
    await call("POST", `/v1/mint/organizations/${tenant.org}/webhooks/${hookId}`, { enabled: "false" });
    await page.getByRole("button", { name: "Send test event" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toBe("No test event was sent: the webhook is disabled; enable it first, or nothing will be sent.");
    for (const name of ["Send test event", "Recover"]) expect(await page.getByRole("button", { name, exact: true }).isDisabled(), name).toBe(true);
    expect(await page.locator("#test-hint").textContent()).toContain("Enable the webhook first: nothing is sent while it is disabled.");
  });
});

describe("a webhook that looks after itself", () => {
  let opsId: string;
  let goneId: string;
  const goneDetail = () => url(`/ui/webhooks/${goneId}`);

  it("subscribes a webhook to the organization's operational events from the form, with nothing to register", async () => {
    const { page } = browser;
    await page.goto(url("/ui/webhooks/new"));
    await page.getByLabel("Name", { exact: true }).fill("Ops Watch");
    await page.getByLabel("Entity name").selectOption({ label: "Operational events of this organization" });
    await page.getByRole("checkbox", { name: "webhook.disabled" }).check();
    await page.getByLabel("Webhook URL").fill(receiver.url("ops"));
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Webhook “Ops Watch” was created.");
    const ops = (await webhooks()).find((w) => w.name === "Ops Watch");
    expect(ops).toMatchObject({ enabled: true, source: "operational", entity: null, events: ["webhook.disabled"] });
    opsId = ops.id;
    const row = page.locator("tr", { hasText: "Ops Watch" });
    expect(await row.locator('td[data-label="Entity"]').textContent()).toBe("operational events (no account)");
  });

  it("sets a rate limit in the form, refusing one out of range next to the field", async () => {
    const { page } = browser;
    await page.goto(url(`/ui/webhooks/${opsId}/edit`));
    await page.getByLabel("Rate limit (deliveries per second)").fill("5000");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.locator("#rateLimit-error").textContent()).toBe("must be a whole number of deliveries per second, from 1 to 1000");
    expect(await page.getByLabel("Rate limit (deliveries per second)").inputValue()).toBe("5000");
    await screenshot(page, "update-form-rate-limit-error");
    await page.getByLabel("Rate limit (deliveries per second)").fill("20");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Webhook “Ops Watch” was updated.");
    expect((await webhooks()).find((w) => w.id === opsId).rateLimit).toBe(20);
    await page.goto(url(`/ui/webhooks/${opsId}`));
    expect(await page.locator("dl.props").textContent()).toContain("Rate limit20 deliveries per second");
  });

  it("shows why the platform disabled a webhook, on the list and on its page at desktop and phone width, and tells the operational webhook", async () => {
    const { page } = browser;
    const gone = await call("POST", `/v1/mint/organizations/${tenant.org}/webhooks`, {
      name: "Gone Hook",
      postURL: receiver.url("gone", "410,200"),
      enabled: true,
      source: "wink",
      entity: "Cool Account",
      events: ["booking.created"],
    });
    goneId = gone.id;
    await call("POST", `/v1/organizations/${tenant.org}/events`, { type: "booking.created", entity: "Cool Account", data: { n: 1 } }, tenant.producerKey);
    const banner = page.getByRole("region", { name: "Disabled automatically" });
    await reloadUntil(`/ui/webhooks/${goneId}`, async () => (await banner.count()) === 1);
    expect(await banner.locator("#auto-disabled-reason").textContent()).toMatch(/^The platform disabled this webhook on \S+ \S+ UTC: the receiver answered 410 Gone\./);
    expect(await banner.getByRole("button", { name: "Enable" }).count()).toBe(1);
    await screenshot(page, "webhook-detail-auto-disabled");

    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 375, height: 740 });
    await phone.goto(goneDetail());
    expect(await phone.getByRole("region", { name: "Disabled automatically" }).count()).toBe(1);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(phone, "phone-detail-auto-disabled");
    await phone.close();

    await page.goto(url("/ui/webhooks"));
    expect(await row(page, "Gone Hook").locator('td[data-label="Status"]').textContent()).toContain("Disabled automatically");

    await expect.poll(() => receiver.received("ops").length, { timeout: 15_000 }).toBe(1);
    const { key } = await call("GET", `/v1/mint/organizations/${tenant.org}/webhooks/${opsId}/secret`);
    const told = receiver.received("ops")[0]!;
    expect(new Webhook(key).verify(told.body, told.headers)).toMatchObject({ type: "webhook.disabled", data: { webhookId: goneId, name: "Gone Hook", reason: "the receiver answered 410 Gone" } });
  });

  it("enables it again with the banner's Enable, back on its page", async () => {
    const { page } = browser;
    await page.goto(goneDetail());
    await page.getByRole("region", { name: "Disabled automatically" }).getByRole("button", { name: "Enable" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Webhook “Gone Hook” is now enabled.");
    expect(page.url()).toBe(goneDetail());
    expect(await page.getByRole("region", { name: "Disabled automatically" }).count()).toBe(0);
    expect((await webhooks()).find((w) => w.id === goneId)).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null });
  });

  it("says what Recover needs when it is sent without a time", async () => {
    const { page } = browser;
    await page.goto(goneDetail());
    await page.getByLabel("Recover deliveries failed or cancelled since (UTC)").fill("");
    await page.getByRole("button", { name: "Recover" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toBe("Nothing was recovered: give the date and time (UTC) to recover deliveries from.");
  });

  it("recovers the deliveries that failed since a time", async () => {
    const { page } = browser;
    await page.goto(goneDetail());
    const anHourAgo = new Date(Date.now() - 60 * 60 * 1000).toISOString().slice(0, 16);
    await page.getByLabel("Recover deliveries failed or cancelled since (UTC)").fill(anHourAgo);
    await screenshot(page, "webhook-detail-recover");
    await page.getByRole("button", { name: "Recover" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe("1 event is queued again, after anything already waiting.");
    await reloadUntil(`/ui/webhooks/${goneId}`, async () => (await page.locator("li.delivery .delivery-head").allTextContents()).some((t) => t.includes("(redelivery)") && t.includes("Succeeded (200)")));
    expect(receiver.received("gone").map((r) => r.answer)).toEqual(["410", "200"]);
  });

  it("filters the deliveries by status", async () => {
    const { page } = browser;
    await page.goto(goneDetail());
    await page.getByLabel("Status").selectOption({ label: "Failed" });
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL((at) => at.searchParams.get("status") === "failed");
    expect(await page.locator("#deliveries-count").textContent()).toBe("Newest first: 1–1 of 1 failed.");
    expect(await page.locator("li.delivery .delivery-head").allTextContents()).toEqual([expect.stringContaining("Failed (410)")]);
    await screenshot(page, "webhook-detail-filtered");
    await page.getByLabel("Status").selectOption({ label: "Cancelled" });
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL((at) => at.searchParams.get("status") === "cancelled");
    expect(await page.locator("#deliveries-count").textContent()).toBe("No cancelled deliveries.");
  });
});

describe("on a phone, and signing out", () => {
  it("fits a phone's width with nothing to scroll sideways", async () => {
    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 375, height: 740 });
    for (const [path, name] of [["/ui/webhooks", "phone-list"], [`/ui/webhooks/${hookId}`, "phone-detail"], ["/ui/webhooks/new", "phone-form"]] as const) {
      await phone.goto(url(path));
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      await screenshot(phone, name);
    }
    await phone.close();
  });

  it("signs out, after which the list needs signing in again", async () => {
    const { page } = browser;
    await page.goto(url("/ui/webhooks"));
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((at) => at.pathname === "/ui/sign-in");
    expect(await page.getByRole("status").textContent()).toBe("You are signed out.");
    await screenshot(page, "signed-out");
    await page.goto(url("/ui/webhooks"));
    expect(new URL(page.url()).pathname).toBe("/ui/sign-in");
  });
});

describe("an organization with no accounts yet", () => {
  let freshKey: { org: string; id: string };

  it("is told to create the account first, with a link to where, and then finds it in the form", async () => {
    const { page } = browser;
    const org = "fresh";
    await server.api("POST", "/v1/admin/organizations", { auth: server.adminToken, body: { id: org, name: "Fresh" } });
    const issued = (await server.api("POST", `/v1/admin/organizations/${org}/keys`, { auth: server.adminToken, body: { email: "ann@fresh.example", role: "admin" } })).body;
    freshKey = { org, id: issued.id };
    await signIn(page, server.url, { email: "ann@fresh.example", key: issued.key });

    await page.getByRole("link", { name: "Create new webhook" }).click();
    expect(await page.locator("#entity-none").textContent()).toContain("an account must be created first");
    await screenshot(page, "create-form-no-accounts");
    await page.getByRole("link", { name: "create an account on the Entities & events page" }).click();
    await page.getByLabel("Source").first().fill("wink");
    await page.getByLabel("Account name").fill("Cool Account");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Account “Cool Account” was created on wink.");
    await screenshot(page, "entities");

    await page.goto(url("/ui/webhooks/new"));
    expect(await page.locator("#entity-none").count()).toBe(0);
    expect(await page.locator("#entity option").allTextContents()).toContain("Cool Account");
  });

  it("ends the session at once when the key it signed in with is revoked", async () => {
    const { page } = browser;
    const revoked = await server.api("DELETE", `/v1/admin/organizations/${freshKey.org}/keys/${freshKey.id}`, { auth: server.adminToken });
    expect(revoked.status).toBe(204);
    await page.goto(url("/ui/webhooks"));
    expect(new URL(page.url()).pathname).toBe("/ui/sign-in");
  });
});
