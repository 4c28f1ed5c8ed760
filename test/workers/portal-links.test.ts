// Portal links: minting them (who may, what a scope may name), the organization settings they use,
// and what opening one does: a single-use, scoped page session that only the host's origins may
// frame. The iframe itself is tested in Chromium (test/browser/portal.test.ts).
import { afterEach, describe, expect, it, vi } from "vitest";
import { exports } from "cloudflare:workers";
import { admin, call, createKey, createTenant, createWebhook, entitiesPath, expectError, reasonFor, seedWinkCatalog, webhooksPath, type Tenant } from "./helpers";

const linksPath = (org: string) => `/v1/organizations/${org}/portal-links`;
const orgPath = (org: string) => `/v1/admin/organizations/${org}`;
const STUDIO = "https://studio.example.com";

/** An organization with wink accounts Cool Account and Other Account, and a TripPay account. */
async function winkAndTripPay(): Promise<Tenant> {
  const tenant = await createTenant("portal");
  await seedWinkCatalog(tenant);
  await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "wink", name: "Other Account" } });
  await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "trippay", name: "Trip Account" } });
  return tenant;
}

async function mint(tenant: Tenant, body: Record<string, unknown> = { email: "ann@wink.example" }) {
  const minted = await call("POST", linksPath(tenant.org), { auth: tenant.auth, body });
  if (minted.status !== 201) throw new Error(`mint: ${JSON.stringify(minted.body)}`);
  return minted.body as { url: string; expiresAt: number };
}

/** A browser's view of one portal session: the cookies the Worker set, sent back on each call. */
class PortalBrowser {
  private cookies = new Map<string, string>();
  setCookies: string[] = [];

  async get(pathOrUrl: string) {
    return this.send("GET", pathOrUrl);
  }

  async post(path: string, form: Record<string, string | string[]>, headers: Record<string, string> = { origin: "https://webhooks.test" }) {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) for (const v of [value].flat()) body.append(name, v);
    return this.send("POST", path, body.toString(), { "content-type": "application/x-www-form-urlencoded", ...headers });
  }

  private async send(method: string, pathOrUrl: string, body?: string, headers: Record<string, string> = {}) {
    const path = pathOrUrl.replace("https://webhooks.test", "");
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const answer = await call(method, path, {
      body,
      headers: { ...headers, ...(cookie ? { cookie } : {}) },
      // A browser's view, one request at a time: redirects are followed by the test, with the cookies.
      fetch: (request) => exports.default.fetch(new Request(request, { redirect: "manual" })),
    });
    this.setCookies = answer.headers.getSetCookie();
    for (const line of this.setCookies) {
      const [pair] = line.split(";");
      const [name, value] = pair!.split("=") as [string, string];
      if (/Max-Age=0/.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return answer;
  }
}

/** The page's form token (every page of a session carries it). */
const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

describe("minting a portal link", () => {
  it("gives an admin key a single-use URL to the page and when it stops opening (10 minutes)", async () => {
    const tenant = await winkAndTripPay();
    const before = Date.now();
    const minted = await call("POST", linksPath(tenant.org), { auth: tenant.auth, body: { email: "ann@wink.example", source: "wink", entities: ["Cool Account"], returnUrl: `${STUDIO}/profile` } });
    expect(minted.status, JSON.stringify(minted.body)).toBe(201);
    expect(minted.body.url).toMatch(new RegExp(`^https://webhooks\\.test/ui/portal/${tenant.org}/[A-Za-z0-9_-]{43}$`));
    expect(minted.body.expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(minted.body.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
  });

  it("lets the operator mint one with the admin token", async () => {
    const tenant = await winkAndTripPay();
    const minted = await call("POST", linksPath(tenant.org), { auth: admin, body: { email: "ann@wink.example" } });
    expect(minted.status).toBe(201);
  });

  it("refuses producer keys with 403, and another organization's key as if the organization did not exist", async () => {
    const tenant = await winkAndTripPay();
    const producer = await createKey(tenant.org, { email: "wink@example.com", role: "producer", source: "wink" });
    const refused = await call("POST", linksPath(tenant.org), { auth: { bearer: producer }, body: { email: "ann@wink.example" } });
    expect(expectError(refused, 403, "forbidden")).toEqual(["authorization"]);
    const other = await createTenant("portal-other");
    expectError(await call("POST", linksPath(tenant.org), { auth: other.auth, body: { email: "ann@wink.example" } }), 404, "not_found");
    expectError(await call("POST", linksPath(tenant.org), { body: { email: "ann@wink.example" } }), 401, "unauthorized");
  });

  it("names the scope's unknown source and entities in a 400", async () => {
    const tenant = await winkAndTripPay();
    const unknownSource = await call("POST", linksPath(tenant.org), { auth: tenant.auth, body: { email: "ann@wink.example", source: "wonk" } });
    expect(expectError(unknownSource, 400, "invalid_request")).toEqual(["source"]);
    expect(reasonFor(unknownSource, "source")).toBe("no account or event type of wonk exists in this organization");

    const unknownEntities = await call("POST", linksPath(tenant.org), {
      auth: tenant.auth,
      body: { email: "ann@wink.example", source: "wink", entities: ["Cool Account", "Trip Account", "Nobody"] },
    });
    expect(expectError(unknownEntities, 400, "invalid_request")).toEqual(["entities.1", "entities.2"]);
    expect(reasonFor(unknownEntities, "entities.2")).toBe('no entity named "Nobody" exists on wink in this organization');
    // Without a source, an entity of any source is known.
    expect((await call("POST", linksPath(tenant.org), { auth: tenant.auth, body: { email: "ann@wink.example", entities: ["Trip Account"] } })).status).toBe(201);
  });

  it("says which field is wrong and why for every bad input, storing nothing", async () => {
    const tenant = await winkAndTripPay();
    const cases: [Record<string, unknown>, string, string][] = [
      [{}, "email", "must be an e-mail address"],
      [{ email: "not-an-email" }, "email", "must be an e-mail address"],
      [{ email: "a@b.example", sessionSeconds: 43_201 }, "sessionSeconds", "must be at most 43200 (12 hours)"],
      [{ email: "a@b.example", sessionSeconds: 59 }, "sessionSeconds", "must be at least 60 (one minute)"],
      [{ email: "a@b.example", openWithinSeconds: 601 }, "openWithinSeconds", "must be at most 600 (10 minutes)"],
      [{ email: "a@b.example", returnUrl: "http://studio.example.com/" }, "returnUrl", "must use https (plain http only on localhost)"],
      [{ email: "a@b.example", returnUrl: "javascript:alert(1)" }, "returnUrl", "must be an https URL, not javascript:"],
      ...["https://studio.example.com/a b", "https://bücher.example/", "https://10.0.0.1/", "https://studio.example.com:0/"].map(
        (returnUrl): [Record<string, unknown>, string, string] => [
          { email: "a@b.example", returnUrl },
          "returnUrl",
          "must name its host by name (no IP address or user@), a port from 1 to 65535, and be printable ASCII with no spaces (percent-encode the rest; an international domain in its xn-- form)",
        ],
      ),
      [{ email: "a@b.example", entities: [] }, "entities", "must name at least one entity, or be left out"],
      [{ email: "a@b.example", scope: "all" }, "scope", "is not a known field"],
    ];
    for (const [body, field, reason] of cases) {
      const answer = await call("POST", linksPath(tenant.org), { auth: tenant.auth, body });
      expect(expectError(answer, 400, "invalid_request"), JSON.stringify(body)).toEqual([field]);
      expect(reasonFor(answer, field)).toBe(reason);
    }
  });
});

describe("the organization's portal settings", () => {
  it("are set by the operator and read back with the organization", async () => {
    const tenant = await createTenant("settings");
    const changed = await call("PATCH", orgPath(tenant.org), {
      auth: admin,
      body: { displayName: "Wink Studio", accentColor: "#6D28D9", frameAncestors: [STUDIO, "http://localhost:5173", "https://studio.example.com:443", "https://studio.example.com:10443", "http://[::1]:3000"] },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({ id: tenant.org, displayName: "Wink Studio", accentColor: "#6d28d9", frameAncestors: [STUDIO, "http://localhost:5173", "https://studio.example.com:443", "https://studio.example.com:10443", "http://[::1]:3000"] });
    expect((await call("GET", orgPath(tenant.org), { auth: admin })).body).toEqual(changed.body);
    expectError(await call("PATCH", orgPath(tenant.org), { auth: tenant.auth, body: { displayName: "Mine" } }), 401, "unauthorized");
  });

  it("accept only https origins (http on localhost) and #rrggbb colours, naming the field", async () => {
    const tenant = await createTenant("settings");
    const cases: [Record<string, unknown>, string, string][] = [
      [{ frameAncestors: [STUDIO, "http://studio.example.com"] }, "frameAncestors.1", "must use https (plain http only on localhost)"],
      [{ frameAncestors: [`${STUDIO}/`] }, "frameAncestors.0", "must be an origin such as https://studio.example.com (scheme, host and optional port; no path or trailing slash)"],
      [{ frameAncestors: ["*"] }, "frameAncestors.0", "must be an origin such as https://studio.example.com (scheme, host and optional port; no path or trailing slash)"],
      [{ frameAncestors: ["https://*.example.com"] }, "frameAncestors.0", "must be an origin such as https://studio.example.com (scheme, host and optional port; no path or trailing slash)"],
      [{ frameAncestors: ["https://a;script-src"] }, "frameAncestors.0", "must be an origin such as https://studio.example.com (scheme, host and optional port; no path or trailing slash)"],
      [{ frameAncestors: ["https://studio.example.com:0"] }, "frameAncestors.0", "must be an origin such as https://studio.example.com (scheme, host and optional port; no path or trailing slash)"],
      [{ frameAncestors: ["https://10.0.0.1"] }, "frameAncestors.0", "must name its host by name (no IP address), in lower case"],
      [{ accentColor: "red" }, "accentColor", "must be a colour written #rrggbb, such as #6d28d9"],
      [{ accentColor: "#6d28d9;}body{display:none" }, "accentColor", "must be a colour written #rrggbb, such as #6d28d9"],
      [{ displayName: " " }, "displayName", "must not be empty"],
      [{}, "body", "must change at least one of name, displayName, accentColor, frameAncestors"],
    ];
    for (const [body, field, reason] of cases) {
      const answer = await call("PATCH", orgPath(tenant.org), { auth: admin, body });
      expect(expectError(answer, 400, "invalid_request"), JSON.stringify(body)).toEqual([field]);
      expect(reasonFor(answer, field)).toBe(reason);
    }
  });
});

describe("opening a portal link", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts a session whose cookie works in a host's frame (SameSite=None, Partitioned), framable only by the organization's origins", async () => {
    const tenant = await winkAndTripPay();
    await call("PATCH", orgPath(tenant.org), { auth: admin, body: { frameAncestors: [STUDIO, "http://localhost:5173"], displayName: "Wink Studio" } });
    const browser = new PortalBrowser();
    const opened = await browser.get((await mint(tenant)).url);
    expect(opened.status, String(opened.body).slice(0, 3000)).toBe(303);
    expect(opened.headers.get("location")).toBe("/ui/webhooks");
    const session = browser.setCookies.find((line) => line.startsWith("__Host-ewk_portal="))!;
    expect(session.split("; ").slice(1).sort()).toEqual(expect.arrayContaining(["HttpOnly", "Partitioned", "Path=/", "SameSite=None", "Secure"]));

    const list = await browser.get("/ui/webhooks");
    expect(list.status).toBe(200);
    expect(list.body).toContain("Wink Studio");
    expect(list.headers.get("content-security-policy")).toContain(`frame-ancestors ${STUDIO} http://localhost:5173;`);
    expect(list.headers.get("x-frame-options")).toBeNull();

    // Every other page still refuses to be framed.
    const signIn = await call("GET", "/ui/sign-in");
    expect(signIn.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(signIn.headers.get("x-frame-options")).toBe("DENY");
  });

  it("opens once: the second time says it was used, linking back to the host", async () => {
    const tenant = await winkAndTripPay();
    const { url } = await mint(tenant, { email: "ann@wink.example", returnUrl: `${STUDIO}/profile` });
    expect((await new PortalBrowser().get(url)).status).toBe(303);
    const again = new PortalBrowser();
    const refused = await again.get(url);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("This link was already used.");
    expect(refused.body).toContain(`<a class="back" href="${STUDIO}/profile" target="_top">Back to Org ${tenant.org}</a>`);
    expect(again.setCookies).toEqual([]);
  });

  it("refuses a link opened after its time: 10 minutes, or the openWithinSeconds it was minted with", async () => {
    const tenant = await winkAndTripPay();
    const { url, expiresAt } = await mint(tenant, { email: "ann@wink.example", openWithinSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 50));
    const refused = await new PortalBrowser().get(url);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("This link expired before it was opened.");

    const tenMinutes = await mint(tenant);
    vi.setSystemTime(Date.now() + 600_001);
    expect((await new PortalBrowser().get(tenMinutes.url)).body).toContain("This link expired before it was opened.");
  });

  it("refuses a forged link and another organization's link", async () => {
    const tenant = await winkAndTripPay();
    const other = await winkAndTripPay();
    const theirs = await mint(other);
    const crossed = await new PortalBrowser().get(theirs.url.replace(`/portal/${other.org}/`, `/portal/${tenant.org}/`));
    expect(crossed.status).toBe(403);
    expect(crossed.body).toContain("This link was made for another organization");
    const forged = await new PortalBrowser().get(`/ui/portal/${tenant.org}/${"A".repeat(43)}`);
    expect(forged.status).toBe(403);
    expect(forged.body).toContain("This link is not valid");
    // The other organization's link was not used up by the attempt.
    expect((await new PortalBrowser().get(theirs.url)).status).toBe(303);
  });

  it("acts as the link's e-mail, and revoking the admin key that minted it ends the session", async () => {
    const tenant = await winkAndTripPay();
    const minter = await createKey(tenant.org, { email: "studio-backend@wink.example", role: "admin" });
    const minted = await call("POST", linksPath(tenant.org), { auth: { bearer: minter }, body: { email: "ann@wink.example", returnUrl: `${STUDIO}/profile` } });
    const browser = new PortalBrowser();
    await browser.get(minted.body.url);
    const form = await browser.get("/ui/webhooks/new");
    const entity = /<option value="(e:[^"]+)"[^>]*>Cool Account</.exec(form.body)![1]!;
    const created = await browser.post("/ui/webhooks/new", { _csrf: csrfOf(form.body), name: "Wink Stalker", enabled: "true", entity, events: "wink:booking.created", postUrl: "https://my.system.com/webhook/wink" });
    expect(created.status).toBe(303);
    const [stored] = (await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.webhooks;
    expect(stored).toMatchObject({ name: "Wink Stalker", createdBy: "ann@wink.example", updatedBy: "ann@wink.example" });

    const keys = (await call("GET", `${orgPath(tenant.org)}/keys`, { auth: admin })).body.keys;
    const minterId = keys.find((k: { email: string }) => k.email === "studio-backend@wink.example").id;
    expect((await call("DELETE", `${orgPath(tenant.org)}/keys/${minterId}`, { auth: admin })).status).toBe(204);
    const ended = await browser.get("/ui/webhooks");
    expect(ended.status).toBe(401);
    expect(ended.body).toContain("Your session on this page has ended");
    expect(ended.body).toContain(`href="${STUDIO}/profile"`);
  });

  it("refuses a link whose minting key was revoked before it was opened", async () => {
    const tenant = await winkAndTripPay();
    const minter = await createKey(tenant.org, { email: "studio-backend@wink.example", role: "admin" });
    const minted = await call("POST", linksPath(tenant.org), { auth: { bearer: minter }, body: { email: "ann@wink.example" } });
    expect((await call("DELETE", `${orgPath(tenant.org)}/keys/${minter.split("_")[1]}`, { auth: admin })).status).toBe(204);
    const refused = await new PortalBrowser().get(minted.body.url);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("The API key that made this link was revoked");
  });

  it("ends the session when its sessionSeconds are over", async () => {
    const tenant = await winkAndTripPay();
    const browser = new PortalBrowser();
    await browser.get((await mint(tenant, { email: "ann@wink.example", sessionSeconds: 60 })).url);
    expect((await browser.get("/ui/webhooks")).status).toBe(200);
    // The browser keeps the cookie past its Max-Age here; the session's own expiry still ends it.
    vi.setSystemTime(Date.now() + 61_000);
    const ended = await browser.get("/ui/webhooks");
    expect(ended.status).toBe(401);
    expect(ended.body).toContain("Your session on this page has ended");
  });
});

describe("a scoped portal session", () => {
  it("lists, opens and changes only the webhooks of its source and accounts", async () => {
    const tenant = await winkAndTripPay();
    const mine = await createWebhook(tenant, { name: "Mine", postURL: "https://a.example/1", source: "wink", entity: "Cool Account" });
    const otherAccount = await createWebhook(tenant, { name: "Other Account Hook", postURL: "https://a.example/2", source: "wink", entity: "Other Account" });
    const everyWink = await createWebhook(tenant, { name: "Every Wink Account", postURL: "https://a.example/3", source: "wink" });
    const trip = await createWebhook(tenant, { name: "TripPay Hook", postURL: "https://a.example/4", source: "trippay", entity: "Trip Account" });
    const unbound = await createWebhook(tenant, { name: "Unbound", postURL: "https://a.example/5" });
    const browser = new PortalBrowser();
    await browser.get((await mint(tenant, { email: "ann@wink.example", source: "wink", entities: ["Cool Account"] })).url);

    const list = await browser.get("/ui/webhooks");
    expect(list.body).toContain("Mine");
    for (const hidden of [otherAccount, everyWink, trip, unbound]) expect(list.body).not.toContain(hidden.name);
    const csrf = csrfOf(list.body);
    for (const hidden of [otherAccount, everyWink, trip, unbound]) {
      for (const path of [`/ui/webhooks/${hidden.id}`, `/ui/webhooks/${hidden.id}/edit`, `/ui/webhooks/${hidden.id}/remove`]) {
        expect((await browser.get(path)).status, path).toBe(404);
      }
      for (const action of ["secret", "secret/rotate", "test", "remove", `deliveries/${crypto.randomUUID()}/redeliver`]) {
        expect((await browser.post(`/ui/webhooks/${hidden.id}/${action}`, { _csrf: csrf })).status, action).toBe(404);
      }
      expect((await browser.post(`/ui/webhooks/${hidden.id}/enabled`, { _csrf: csrf, enabled: "true" })).status).toBe(404);
    }
    expect((await browser.get(`/ui/webhooks/${mine.id}`)).status).toBe(200);
    expect((await browser.get("/ui/entities")).status).toBe(403);
    const all = (await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.webhooks;
    expect(all.map((w: { name: string }) => w.name).sort()).toEqual(["Every Wink Account", "Mine", "Other Account Hook", "TripPay Hook", "Unbound"]);
  });

  it("offers only its accounts, and refuses a forged form binding a webhook elsewhere", async () => {
    const tenant = await winkAndTripPay();
    const mine = await createWebhook(tenant, { name: "Mine", postURL: "https://a.example/1", source: "wink", entity: "Cool Account" });
    const entities = (await call("GET", entitiesPath(tenant.org), { auth: tenant.auth })).body.entities as { id: string; name: string }[];
    const idOf = (name: string) => entities.find((e) => e.name === name)!.id;
    const browser = new PortalBrowser();
    await browser.get((await mint(tenant, { email: "ann@wink.example", source: "wink", entities: ["Cool Account"] })).url);

    const form = await browser.get("/ui/webhooks/new");
    expect(form.body).toContain("Cool Account");
    for (const hidden of ["Other Account", "Trip Account", "None (usage notifications only)"]) expect(form.body).not.toContain(hidden);
    const csrf = csrfOf(form.body);
    const fields = { _csrf: csrf, name: "Sneaky", enabled: "true", postUrl: "https://a.example/x" };
    for (const entity of [`e:${idOf("Trip Account")}`, `e:${idOf("Other Account")}`, "s:wink", "none"]) {
      const refused = await browser.post("/ui/webhooks/new", { ...fields, entity });
      expect(refused.status, entity).toBe(400);
    }
    const moved = await browser.post(`/ui/webhooks/${mine.id}/edit`, { ...fields, name: "Mine", entity: `e:${idOf("Trip Account")}` });
    expect(moved.status).toBe(400);
    const all = (await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.webhooks;
    expect(all).toEqual([expect.objectContaining({ name: "Mine", source: "wink", entity: "Cool Account" })]);
  });
});

describe("a portal session's page", () => {
  it("lasts sessionSeconds (one hour unless the link says otherwise)", async () => {
    const tenant = await winkAndTripPay();
    const maxAge = async (body: Record<string, unknown>) => {
      const browser = new PortalBrowser();
      await browser.get((await mint(tenant, { email: "ann@wink.example", ...body })).url);
      return /Max-Age=(\d+)/.exec(browser.setCookies.find((line) => line.startsWith("__Host-ewk_portal="))!)?.[1];
    };
    expect(await maxAge({})).toBe("3600");
    expect(await maxAge({ sessionSeconds: 12 * 60 * 60 })).toBe("43200");
  });

  it("wears the host's name and accent colour, through a stylesheet: no script, no inline style", async () => {
    const tenant = await winkAndTripPay();
    await call("PATCH", orgPath(tenant.org), { auth: admin, body: { displayName: "Wink Studio", accentColor: "#6d28d9" } });
    const browser = new PortalBrowser();
    await browser.get((await mint(tenant)).url);
    const list = await browser.get("/ui/webhooks");
    expect(list.body).toContain('<a class="brand" href="/ui/webhooks">Wink Studio</a>');
    expect(list.body).toContain("<title>Webhooks · Wink Studio webhooks</title>");
    expect(list.body).toContain('<link rel="stylesheet" href="/ui/accent.css?color=%236d28d9"/>');
    expect(list.body).not.toMatch(/<script|style=/);
    expect(list.headers.get("content-security-policy")).toMatch(/^default-src 'none'; style-src 'self';/);

    const accent = await call("GET", "/ui/accent.css?color=%236d28d9");
    expect(accent.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(accent.body).toContain("--brand:#6d28d9");
    // Too light for white text: darkened until it reads at 4.5:1.
    expect((await call("GET", "/ui/accent.css?color=%23ffff00")).body).not.toContain("--brand:#ffff00");
    expect((await call("GET", "/ui/accent.css?color=red")).status).toBe(404);
  });

  it("gives way to the admin sign-in: signing in ends a portal session opened in the same browser", async () => {
    const tenant = await winkAndTripPay();
    const browser = new PortalBrowser();
    await browser.get((await mint(tenant)).url);
    const form = await browser.get("/ui/sign-in");
    const signedIn = await browser.post("/ui/sign-in", { _csrf: csrfOf(form.body), email: tenant.email, key: tenant.key, next: "/ui/webhooks" });
    expect(signedIn.status).toBe(303);
    expect(browser.setCookies.find((line) => line.startsWith("__Host-ewk_portal="))).toMatch(/Max-Age=0/);
    const list = await browser.get("/ui/webhooks");
    expect(list.body).toContain("Sign out");
    expect(list.body).toContain("Entities &amp; events");
  });
});
