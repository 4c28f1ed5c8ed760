import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sequencer } from "../../src/delivery/sequencer-client";
import { call, createKey, createTenant, createWebhook, expectError, pageSession, reasonFor, seedWinkCatalog, webhooksPath } from "./helpers";
import { PageSession, signedIn } from "./page-helpers";

describe("the seed's webhook API examples, replayed", () => {
  it("creates, gets, updates postURL, enables with the string \"true\", lists and deletes", async () => {
    const tenant = await createTenant("myorg");
    const before = Date.now();
    const created = await call("POST", webhooksPath(tenant.org), {
      auth: tenant.basic,
      body: { name: "webhook3", postURL: "http://mycompany.com/callbackhandler3" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      createdBy: "joe@example.com",
      enabled: false,
      name: "webhook3",
      orgId: tenant.org,
      postUrl: "http://mycompany.com/callbackhandler3",
      updatedBy: "joe@example.com",
    });
    expect(created.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.body.created).toBeGreaterThanOrEqual(before);
    expect(created.body.updated).toBe(created.body.created);
    const id = created.body.id;

    const got = await call("GET", webhooksPath(tenant.org, id), { auth: tenant.basic });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);

    const updated = await call("PUT", webhooksPath(tenant.org, id), {
      auth: tenant.basic,
      body: { postURL: "http://mycompany.com/callbackhandler4" },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id, enabled: false, name: "webhook3", postUrl: "http://mycompany.com/callbackhandler4" });

    const enabled = await call("POST", webhooksPath(tenant.org, id), { auth: tenant.basic, body: { enabled: "true" } });
    expect(enabled.status).toBe(200);
    expect(enabled.body).toMatchObject({ id, enabled: true, postUrl: "http://mycompany.com/callbackhandler4" });

    const list = await call("GET", webhooksPath(tenant.org), { auth: tenant.basic });
    expect(list.status).toBe(200);
    expect(list.body.totalRecords).toBe(1);
    expect(list.body.webhooks).toEqual([enabled.body]);

    const deleted = await call("DELETE", webhooksPath(tenant.org, id), { auth: tenant.basic });
    expect(deleted.status).toBe(204);
    expect((await call("GET", webhooksPath(tenant.org, id), { auth: tenant.basic })).status).toBe(404);
  });
});

describe("Wink fields", () => {
  it("binds a webhook to an existing entity and catalog events", async () => {
    const tenant = await createTenant();
    await seedWinkCatalog(tenant, ["booking.created", "booking.cancelled"]);
    const created = await call("POST", webhooksPath(tenant.org), {
      auth: tenant.auth,
      body: {
        name: "Wink Stalker",
        postURL: "https://my.system.com/webhook/wink",
        enabled: true,
        source: "wink",
        entity: "Cool Account",
        events: ["booking.created", "booking.*"],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ source: "wink", entity: "Cool Account", events: ["booking.created", "booking.*"], enabled: true });
  });

  it("subscribes to as many catalog event types as a webhook may list (100)", async () => {
    const tenant = await createTenant();
    const events = Array.from({ length: 100 }, (_, i) => `batch.t${i}`);
    await seedWinkCatalog(tenant, events);
    const created = await call("POST", webhooksPath(tenant.org), {
      auth: tenant.auth,
      body: { name: "everything", postURL: "https://my.system.com/webhook/wink", source: "wink", events },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.events).toEqual(events);
  });
});

describe("listing webhooks", () => {
  async function threeWebhooks() {
    const tenant = await createTenant();
    await seedWinkCatalog(tenant);
    const alpha = await createWebhook(tenant, { name: "Alpha orders", postURL: "https://alpha.example/hooks", enabled: true, source: "wink" });
    const beta = await createWebhook(tenant, { name: "Beta", postURL: "https://beta.example/orders" });
    const gamma = await createWebhook(tenant, { name: "Gamma 100%_done", postURL: "https://gamma.example/x", enabled: true, source: "trippay" });
    return { tenant, alpha, beta, gamma };
  }
  const names = (response: { body: any }) => response.body.webhooks.map((w: any) => w.name);

  it("lists every webhook in creation order with totalRecords", async () => {
    const { tenant, alpha, beta, gamma } = await threeWebhooks();
    const response = await call("GET", webhooksPath(tenant.org), { auth: tenant.auth });
    expect(response.status).toBe(200);
    expect(response.body.totalRecords).toBe(3);
    expect(response.body.webhooks.map((w: any) => w.id).sort()).toEqual([alpha.id, beta.id, gamma.id].sort());
    expect(response.body.webhooks.find((w: any) => w.id === beta.id)).toEqual(beta);
  });

  it("ignores a query parameter it does not know, as an Apigee client may send its own", async () => {
    const { tenant } = await threeWebhooks();
    const response = await call("GET", `${webhooksPath(tenant.org)}?q=alpha&expand=true&sort=name`, { auth: tenant.auth });
    expect(response.status).toBe(200);
    expect(names(response)).toEqual(["Alpha orders"]);
  });

  it("searches name and URL with ?q=, ignoring case", async () => {
    const { tenant } = await threeWebhooks();
    const byName = await call("GET", `${webhooksPath(tenant.org)}?q=ALPHA`, { auth: tenant.auth });
    expect(byName.body).toMatchObject({ totalRecords: 1 });
    expect(names(byName)).toEqual(["Alpha orders"]);
    const nameOrUrl = await call("GET", `${webhooksPath(tenant.org)}?q=orders`, { auth: tenant.auth });
    expect(nameOrUrl.body.totalRecords).toBe(2);
    expect(names(nameOrUrl).sort()).toEqual(["Alpha orders", "Beta"]);
    const none = await call("GET", `${webhooksPath(tenant.org)}?q=nothing-like-this`, { auth: tenant.auth });
    expect(none.body).toEqual({ totalRecords: 0, webhooks: [] });
  });

  it("treats % and _ in ?q= as plain characters", async () => {
    const { tenant } = await threeWebhooks();
    const percent = await call("GET", `${webhooksPath(tenant.org)}?q=${encodeURIComponent("%")}`, { auth: tenant.auth });
    expect(names(percent)).toEqual(["Gamma 100%_done"]);
    const underscore = await call("GET", `${webhooksPath(tenant.org)}?q=_`, { auth: tenant.auth });
    expect(names(underscore)).toEqual(["Gamma 100%_done"]);
  });

  it("searches with a ?q= as long as it may be (200 characters)", async () => {
    const tenant = await createTenant();
    const name = "n".repeat(200);
    await createWebhook(tenant, { name, postURL: "https://example.com/hook" });
    const found = await call("GET", `${webhooksPath(tenant.org)}?q=${name}`, { auth: tenant.auth });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(names(found)).toEqual([name]);
  });

  it("searches with a ?q= of multi-byte characters", async () => {
    const tenant = await createTenant();
    const name = "東京駅のウェブフック予約確認通知送信先一覧";
    await createWebhook(tenant, { name, postURL: "https://example.com/hook" });
    const found = await call("GET", `${webhooksPath(tenant.org)}?q=${encodeURIComponent(name.slice(0, 17))}`, { auth: tenant.auth });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(names(found)).toEqual([name]);
  });

  it("treats a ?q= of many % as that many plain characters", async () => {
    const tenant = await createTenant();
    await createWebhook(tenant, { name: `${"%".repeat(25)} done`, postURL: "https://example.com/a" });
    await createWebhook(tenant, { name: `${"%".repeat(24)} almost`, postURL: "https://example.com/b" });
    const found = await call("GET", `${webhooksPath(tenant.org)}?q=${encodeURIComponent("%".repeat(25))}`, { auth: tenant.auth });
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    expect(names(found)).toEqual([`${"%".repeat(25)} done`]);
  });

  it("searches the page with a ?q= as long as the API's", async () => {
    const tenant = await createTenant();
    const name = "p".repeat(200);
    await createWebhook(tenant, { name, postURL: "https://example.com/hook" });
    const page = await call("GET", `/ui/webhooks?q=${name}`, { headers: { cookie: await pageSession(tenant) } });
    expect(page.status).toBe(200);
    expect(page.body).toContain(`>${name}</a>`);
  });

  it("filters by enabled and by source", async () => {
    const { tenant } = await threeWebhooks();
    const enabled = await call("GET", `${webhooksPath(tenant.org)}?enabled=true`, { auth: tenant.auth });
    expect(enabled.body.totalRecords).toBe(2);
    expect(names(enabled).sort()).toEqual(["Alpha orders", "Gamma 100%_done"]);
    const disabled = await call("GET", `${webhooksPath(tenant.org)}?enabled=false`, { auth: tenant.auth });
    expect(names(disabled)).toEqual(["Beta"]);
    const wink = await call("GET", `${webhooksPath(tenant.org)}?source=wink`, { auth: tenant.auth });
    expect(names(wink)).toEqual(["Alpha orders"]);
    const both = await call("GET", `${webhooksPath(tenant.org)}?enabled=true&source=trippay&q=gamma`, { auth: tenant.auth });
    expect(names(both)).toEqual(["Gamma 100%_done"]);
  });

  it("pages with limit and offset while totalRecords counts every match", async () => {
    const tenant = await createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createWebhook(tenant, { name: `hook ${i}`, postURL: `https://example.com/${i}` })).id);
    const pages = [];
    for (const offset of [0, 2, 4]) {
      const page = await call("GET", `${webhooksPath(tenant.org)}?limit=2&offset=${offset}`, { auth: tenant.auth });
      expect(page.body.totalRecords).toBe(5);
      pages.push(page.body.webhooks.map((w: any) => w.id));
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual([...ids].sort());
    const past = await call("GET", `${webhooksPath(tenant.org)}?offset=10`, { auth: tenant.auth });
    expect(past.body).toEqual({ totalRecords: 5, webhooks: [] });
  });

  async function fiveWebhooks() {
    const tenant = await createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createWebhook(tenant, { name: `hook ${i}`, postURL: `https://example.com/${i}` })).id);
    const all = (await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.webhooks.map((w: any) => w.id);
    return { tenant, ids, all };
  }
  const idsOf = (response: { body: any }) => response.body.webhooks.map((w: any) => w.id);

  it("pages with Apigee's page (from 1) and size while totalRecords counts every match", async () => {
    const { tenant, all } = await fiveWebhooks();
    const second = await call("GET", `${webhooksPath(tenant.org)}?page=2&size=2`, { auth: tenant.auth });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.totalRecords).toBe(5);
    expect(idsOf(second)).toEqual(all.slice(2, 4));
  });

  it("takes size alone as the first page of that size", async () => {
    const { tenant, all } = await fiveWebhooks();
    const first = await call("GET", `${webhooksPath(tenant.org)}?size=2`, { auth: tenant.auth });
    expect(idsOf(first)).toEqual(all.slice(0, 2));
  });

  it("returns every webhook with all=true, beyond the default page of 100", async () => {
    const tenant = await createTenant();
    await Promise.all(Array.from({ length: 101 }, (_, i) => createWebhook(tenant, { name: `hook ${i}`, postURL: `https://example.com/${i}` })));
    const everything = await call("GET", `${webhooksPath(tenant.org)}?all=true`, { auth: tenant.auth });
    expect(everything.status, JSON.stringify(everything.body)).toBe(200);
    expect(everything.body.totalRecords).toBe(101);
    expect(everything.body.webhooks).toHaveLength(101);
  });

  it("refuses paging parameters that contradict each other, saying why", async () => {
    const tenant = await createTenant();
    const cases: [string, string[]][] = [
      ["page=2&offset=10", ["query.page"]],
      ["size=2&limit=5", ["query.size"]],
      ["all=true&limit=5", ["query.all"]],
      ["all=true&page=2&size=5", ["query.all"]],
    ];
    for (const [query, fields] of cases) {
      const response = await call("GET", `${webhooksPath(tenant.org)}?${query}`, { auth: tenant.auth });
      expect(expectError(response, 400, "invalid_request"), query).toEqual(fields);
      expect(reasonFor(response, fields[0]!), query).toMatch(/not with|leave out/);
    }
  });

  it("refuses bad list parameters, naming each", async () => {
    const tenant = await createTenant();
    const cases: [string, string[]][] = [
      ["limit=0", ["query.limit"]],
      ["limit=1001", ["query.limit"]],
      ["limit=ten", ["query.limit"]],
      ["offset=-3", ["query.offset"]],
      ["enabled=yes", ["query.enabled"]],
      ["source=Not A Source", ["query.source"]],
      [`q=${"x".repeat(201)}`, ["query.q"]],
      ["page=0", ["query.page"]],
      ["size=1001", ["query.size"]],
      ["all=yes", ["query.all"]],
    ];
    for (const [query, fields] of cases) {
      const response = await call("GET", `${webhooksPath(tenant.org)}?${query}`, { auth: tenant.auth });
      expect(expectError(response, 400, "invalid_request"), query).toEqual(fields);
    }
  });
});

describe("getting a webhook", () => {
  it("answers 404 naming the path's id for an id that does not exist", async () => {
    const tenant = await createTenant();
    expect(expectError(await call("GET", webhooksPath(tenant.org, crypto.randomUUID()), { auth: tenant.auth }), 404, "not_found")).toEqual(["path.id"]);
  });

  it("takes the id in upper case as the same id", async () => {
    const tenant = await createTenant();
    const hook = await createWebhook(tenant, { name: "upper", postURL: "https://example.com/hook" });
    const response = await call("GET", webhooksPath(tenant.org, hook.id.toUpperCase()), { auth: tenant.auth });
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(hook.id);
  });

  it("answers 400 naming the path for an id that is not a UUID", async () => {
    const tenant = await createTenant();
    const response = await call("GET", webhooksPath(tenant.org, "webhook3"), { auth: tenant.auth });
    expect(expectError(response, 400, "invalid_request")).toEqual(["path.id"]);
  });

  it("never shows the signing secret", async () => {
    const tenant = await createTenant();
    const created = await createWebhook(tenant, { name: "w", postURL: "https://example.com/hook" });
    const got = await call("GET", webhooksPath(tenant.org, created.id), { auth: tenant.auth });
    expect(Object.keys(got.body).sort()).toEqual(
      ["created", "createdBy", "description", "disabledAt", "disabledReason", "enabled", "entity", "events", "id", "name", "orgId", "postUrl", "rateLimit", "source", "updated", "updatedBy"],
    );
    expect(JSON.stringify(got.body)).not.toContain("whsec_");
  });
});

describe("creating a webhook", () => {
  it("starts disabled, with no binding, when only name and postURL are given", async () => {
    const tenant = await createTenant();
    const created = await createWebhook(tenant, { name: "webhook3", postURL: "http://mycompany.com/callbackhandler3" });
    expect(created).toMatchObject({ enabled: false, description: null, source: null, entity: null, events: [] });
  });

  it("accepts enabled as a boolean or as the string \"true\"", async () => {
    const tenant = await createTenant();
    expect((await createWebhook(tenant, { name: "a", postURL: "https://example.com/a", enabled: true })).enabled).toBe(true);
    expect((await createWebhook(tenant, { name: "b", postURL: "https://example.com/b", enabled: "true" })).enabled).toBe(true);
    expect((await createWebhook(tenant, { name: "c", postURL: "https://example.com/c", enabled: "false" })).enabled).toBe(false);
  });

  it("accepts postUrl, the responses' spelling, and postURL and postUrl together when they agree", async () => {
    const tenant = await createTenant();
    expect((await createWebhook(tenant, { name: "a", postUrl: "https://example.com/a" })).postUrl).toBe("https://example.com/a");
    const both = await createWebhook(tenant, { name: "b", postURL: "https://example.com/b", postUrl: "https://example.com/b" });
    expect(both.postUrl).toBe("https://example.com/b");
  });

  it("keeps a description", async () => {
    const tenant = await createTenant();
    const created = await createWebhook(tenant, { name: "a", postURL: "https://example.com/a", description: "Sends bookings to analytics" });
    expect(created.description).toBe("Sends bookings to analytics");
  });

  it("accepts a wildcard that matches catalog events, and * for every event", async () => {
    const tenant = await createTenant();
    await seedWinkCatalog(tenant, ["booking.created"]);
    const created = await createWebhook(tenant, { name: "a", postURL: "https://example.com/a", source: "wink", events: ["booking.*"] });
    expect(created.events).toEqual(["booking.*"]);
    const all = await createWebhook(tenant, { name: "b", postURL: "https://example.com/b", source: "wink", events: ["*"] });
    expect(all.events).toEqual(["*"]);
  });

  /** Posts `body`, expects a 400 naming exactly `fields`, and checks nothing was written. */
  async function refused(body: unknown, fields: string[], setup?: (tenant: Awaited<ReturnType<typeof createTenant>>) => Promise<unknown>) {
    const tenant = await createTenant();
    await setup?.(tenant);
    const response = await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body });
    expect(expectError(response, 400, "invalid_request"), JSON.stringify(body)).toEqual(fields);
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
    return response;
  }
  const url = "https://example.com/hook";

  it("requires a name", async () => {
    await refused({ postURL: url }, ["name"]);
    await refused({ name: "  ", postURL: url }, ["name"]);
  });

  it("names both required fields when the body is empty", async () => {
    await refused({}, ["name", "postURL"]);
  });

  it("requires postURL", async () => {
    const response = await refused({ name: "w" }, ["postURL"]);
    expect(reasonFor(response, "postURL")).toBe("is required");
  });

  it("refuses a postURL that is not an absolute http(s) URL", async () => {
    for (const postURL of ["/callbackhandler3", "mycompany.com/hook", "ftp://mycompany.com/hook", "javascript:alert(1)", ""]) {
      const response = await refused({ name: "w", postURL }, ["postURL"]);
      expect(reasonFor(response, "postURL")).toMatch(/absolute http\(s\) URL/);
    }
  });

  it("refuses a postURL with no host after the scheme's //", async () => {
    const response = await refused({ name: "w", postURL: "http:///hook" }, ["postURL"]);
    expect(reasonFor(response, "postURL")).toBe("must name a host after the scheme's //");
  });

  it("refuses a postURL with credentials in it, even empty ones", async () => {
    for (const postURL of ["https://user:pass@example.com/hook", "http://@example.com/hook", "http://:@example.com/hook"]) {
      await refused({ name: "w", postURL }, ["postURL"]);
    }
  });

  it("refuses a postURL with a space, a character outside ASCII, or a port outside 1-65535, as its pattern does", async () => {
    for (const postURL of ["https://example.com/a b", "https://bücher.example/hook", "https://example.com:0/hook", "https://example.com:99999/hook"]) {
      const response = await refused({ name: "w", postURL }, ["postURL"]);
      expect(reasonFor(response, "postURL"), postURL).toMatch(/must have a port from 1 to 65535 and be printable ASCII|must be an absolute http\(s\) URL/);
    }
    const tenant = await createTenant();
    for (const postURL of ["https://xn--bcher-kva.example/hook", "https://example.com/a%20b?q=1#f", "http://[2001:db8::1]:8080/hook", "https://example.com:65535/"]) {
      expect((await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body: { name: "w", postURL } })).status, postURL).toBe(201);
    }
  });

  it("refuses an over-long postURL", async () => {
    await refused({ name: "w", postURL: `https://example.com/${"p".repeat(2048)}` }, ["postURL"]);
  });

  it("refuses postURL and postUrl that disagree, and takes them when they agree", async () => {
    const response = await refused({ name: "w", postURL: url, postUrl: "https://example.com/other" }, ["postURL"]);
    expect(reasonFor(response, "postURL")).toBe("differs from postUrl: give one of them, or both the same");
    const tenant = await createTenant();
    expect((await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body: { name: "w", postURL: url, postUrl: url } })).status).toBe(201);
  });

  it("refuses over-long names and descriptions", async () => {
    const response = await refused({ name: "n".repeat(201), postURL: url }, ["name"]);
    expect(reasonFor(response, "name")).toBe("must be at most 200 characters");
    await refused({ name: "w", postURL: url, description: "d".repeat(1001) }, ["description"]);
  });

  it("refuses wrong types, naming each field", async () => {
    await refused({ name: 3, postURL: url }, ["name"]);
    await refused({ name: "w", postURL: 3 }, ["postURL"]);
    await refused({ name: "w", postURL: url, enabled: "yes" }, ["enabled"]);
    await refused({ name: "w", postURL: url, enabled: 1 }, ["enabled"]);
    await refused({ name: "w", postURL: url, source: "wink", events: "booking.created" }, ["events"]);
    await refused({ name: "w", postURL: url, source: "wink", events: [7] }, ["events.0"]);
    await refused("[]", ["body"]);
  });

  it("refuses unknown fields by name", async () => {
    const response = await refused({ name: "w", postURL: url, secret: "whsec_mine", colour: "red" }, ["secret", "colour"]);
    expect(reasonFor(response, "colour")).toBe("is not a known field");
  });

  it("refuses an entity that does not exist on the source", async () => {
    const response = await refused({ name: "w", postURL: url, source: "wink", entity: "Cool Account" }, ["entity"]);
    expect(reasonFor(response, "entity")).toMatch(/no entity named "Cool Account" exists on wink/);
  });

  it("refuses an entity that exists only on another source", async () => {
    await refused({ name: "w", postURL: url, source: "trippay", entity: "Cool Account" }, ["entity"], (t) => seedWinkCatalog(t));
  });

  it("refuses an event that is not in the source's catalog, naming its position", async () => {
    const response = await refused(
      { name: "w", postURL: url, source: "wink", events: ["booking.created", "booking.deleted"] },
      ["events.1"],
      (t) => seedWinkCatalog(t),
    );
    expect(reasonFor(response, "events.1")).toBe("booking.deleted is not an event type of wink in the catalog");
  });

  it("refuses a wildcard that matches nothing in the catalog", async () => {
    const response = await refused({ name: "w", postURL: url, source: "wink", events: ["payment.*"] }, ["events.0"], (t) => seedWinkCatalog(t));
    expect(reasonFor(response, "events.0")).toMatch(/matches no event type/);
  });

  it("refuses malformed event patterns and duplicates", async () => {
    await refused({ name: "w", postURL: url, source: "wink", events: ["booking*"] }, ["events.0"], (t) => seedWinkCatalog(t));
    await refused({ name: "w", postURL: url, source: "wink", events: ["booking.created", "booking.created"] }, ["events"], (t) => seedWinkCatalog(t));
  });

  it("refuses an entity or events without a source", async () => {
    await refused({ name: "w", postURL: url, entity: "Cool Account" }, ["entity"], (t) => seedWinkCatalog(t));
    await refused({ name: "w", postURL: url, events: ["booking.created"] }, ["events"], (t) => seedWinkCatalog(t));
  });

  it("refuses a source that is not a source name", async () => {
    await refused({ name: "w", postURL: url, source: "Wink Travel" }, ["source"]);
  });
});

describe("updating a webhook", () => {
  async function bound() {
    const tenant = await createTenant();
    await seedWinkCatalog(tenant, ["booking.created", "booking.cancelled"]);
    const webhook = await createWebhook(tenant, {
      name: "Wink Stalker",
      postURL: "https://my.system.com/webhook/wink",
      source: "wink",
      entity: "Cool Account",
      events: ["booking.created"],
      description: "first",
    });
    return { tenant, webhook };
  }

  it("PUT changes only the fields given and records who changed it", async () => {
    const { tenant, webhook } = await bound();
    const ann = await createKey(tenant.org, { email: "ann@example.com", role: "admin" });
    const response = await call("PUT", webhooksPath(tenant.org, webhook.id), {
      auth: { basic: ["ann@example.com", ann] },
      body: { events: ["booking.created", "booking.cancelled"] },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...webhook,
      events: ["booking.created", "booking.cancelled"],
      updated: expect.any(Number),
      updatedBy: "ann@example.com",
    });
    expect(response.body.updated).toBeGreaterThanOrEqual(webhook.updated);
    expect((await call("GET", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth })).body).toEqual(response.body);
  });

  it("PUT renames, re-points and clears the description", async () => {
    const { tenant, webhook } = await bound();
    const response = await call("PUT", webhooksPath(tenant.org, webhook.id), {
      auth: tenant.auth,
      body: { name: "Renamed", postUrl: "https://other.example/hook", description: null },
    });
    expect(response.body).toMatchObject({ name: "Renamed", postUrl: "https://other.example/hook", description: null, entity: "Cool Account" });
  });

  it("POST toggles with the strings \"true\" and \"false\" and with booleans", async () => {
    const { tenant, webhook } = await bound();
    const path = webhooksPath(tenant.org, webhook.id);
    for (const [enabled, expected] of [["true", true], ["false", false], [true, true], [false, false]] as const) {
      const response = await call("POST", path, { auth: tenant.basic, body: { enabled } });
      expect(response.status, String(enabled)).toBe(200);
      expect(response.body.enabled).toBe(expected);
      expect((await call("GET", path, { auth: tenant.auth })).body.enabled).toBe(expected);
    }
  });

  it("POST updates other fields like PUT", async () => {
    const { tenant, webhook } = await bound();
    const response = await call("POST", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth, body: { postURL: "https://new.example/hook" } });
    expect(response.body).toMatchObject({ postUrl: "https://new.example/hook", name: "Wink Stalker", enabled: false });
  });

  it("PUT can unbind the entity and the source together", async () => {
    const { tenant, webhook } = await bound();
    const response = await call("PUT", webhooksPath(tenant.org, webhook.id), {
      auth: tenant.auth,
      body: { source: null, entity: null, events: [] },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ source: null, entity: null, events: [] });
  });

  /** Sends an update that must fail with `status`, and checks the webhook is exactly as before. */
  async function unchangedAfter(method: "PUT" | "POST", body: unknown, status: number, code: string, fields?: string[]) {
    const { tenant, webhook } = await bound();
    const path = webhooksPath(tenant.org, webhook.id);
    const response = await call(method, path, { auth: tenant.auth, body });
    const named = expectError(response, status, code);
    if (fields) expect(named, JSON.stringify(body)).toEqual(fields);
    expect((await call("GET", path, { auth: tenant.auth })).body).toEqual(webhook);
    return response;
  }

  it("PUT takes back the webhook as GET answered it, with a field changed, ignoring its read-only fields", async () => {
    const { tenant, webhook } = await bound();
    const read = (await call("GET", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth })).body;
    const response = await call("PUT", webhooksPath(tenant.org, webhook.id), {
      auth: tenant.auth,
      body: { ...read, postUrl: "https://my.system.com/webhook/wink-v2" },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toEqual({ ...read, postUrl: "https://my.system.com/webhook/wink-v2", updated: expect.any(Number) });
  });

  it("POST takes back the webhook as GET answered it, to toggle it", async () => {
    const { tenant, webhook } = await bound();
    const read = (await call("GET", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth })).body;
    const response = await call("POST", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth, body: { ...read, enabled: "false" } });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.enabled).toBe(false);
  });

  it("refuses a round trip that changes the id, naming it, and changes nothing", async () => {
    const { tenant, webhook } = await bound();
    const response = await call("PUT", webhooksPath(tenant.org, webhook.id), {
      auth: tenant.auth,
      body: { ...webhook, id: crypto.randomUUID(), name: "renamed" },
    });
    expect(expectError(response, 400, "invalid_request")).toEqual(["id"]);
    expect((await call("GET", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth })).body).toEqual(webhook);
  });

  it("refuses a round trip that changes the orgId, naming it, and changes nothing", async () => {
    const { tenant, webhook } = await bound();
    const response = await call("PUT", webhooksPath(tenant.org, webhook.id), {
      auth: tenant.auth,
      body: { ...webhook, orgId: "another-org", name: "renamed" },
    });
    expect(expectError(response, 400, "invalid_request")).toEqual(["orgId"]);
    expect((await call("GET", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth })).body).toEqual(webhook);
  });

  it("refuses an update of read-only fields alone, as it changes nothing", async () => {
    const { tenant, webhook } = await bound();
    const { id, orgId, created, createdBy, updated, updatedBy } = webhook;
    const response = await call("PUT", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth, body: { id, orgId, created, createdBy, updated, updatedBy } });
    expect(expectError(response, 400, "invalid_request")).toEqual(["body"]);
  });

  it("refuses an empty update", async () => {
    await unchangedAfter("PUT", {}, 400, "invalid_request", ["body"]);
  });

  it("refuses an event outside the catalog and changes nothing else it was given", async () => {
    await unchangedAfter("PUT", { name: "Renamed", events: ["booking.created", "booking.deleted"] }, 400, "invalid_request", ["events.1"]);
  });

  it("refuses an entity that does not exist and changes nothing", async () => {
    await unchangedAfter("POST", { enabled: "true", entity: "Warm Account" }, 400, "invalid_request", ["entity"]);
  });

  it("refuses removing the source while an entity and events are bound", async () => {
    await unchangedAfter("PUT", { source: null }, 400, "invalid_request", ["entity", "events"]);
  });

  it("refuses moving to a source whose catalog lacks the bound events", async () => {
    await unchangedAfter("PUT", { source: "trippay" }, 400, "invalid_request", ["entity", "events.0"]);
  });

  it("refuses bad fields on update, naming each", async () => {
    await unchangedAfter("PUT", { postURL: "not a url" }, 400, "invalid_request", ["postURL"]);
    await unchangedAfter("POST", { enabled: "TRUE" }, 400, "invalid_request", ["enabled"]);
    await unchangedAfter("PUT", { name: "" }, 400, "invalid_request", ["name"]);
  });

  it("refuses malformed JSON and a body that is not JSON, changing nothing", async () => {
    await unchangedAfter("PUT", '{"enabled": tru}', 400, "malformed_json", ["body"]);
    const { tenant, webhook } = await bound();
    const path = webhooksPath(tenant.org, webhook.id);
    const response = await call("POST", path, { auth: tenant.auth, body: "enabled=true", headers: { "content-type": "text/plain" } });
    expectError(response, 415, "unsupported_media_type");
    expect((await call("GET", path, { auth: tenant.auth })).body).toEqual(webhook);
  });

  it("answers 404 for a webhook that does not exist", async () => {
    const tenant = await createTenant();
    for (const method of ["PUT", "POST"]) {
      expectError(await call(method, webhooksPath(tenant.org, crypto.randomUUID()), { auth: tenant.auth, body: { enabled: true } }), 404, "not_found");
    }
  });
});

describe("deleting a webhook", () => {
  it("deletes by default (forceDelete defaults to true)", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant, { name: "w", postURL: "https://example.com/hook" });
    expect((await call("DELETE", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth })).status).toBe(204);
    expectError(await call("GET", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth }), 404, "not_found");
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });

  it("deletes with forceDelete=true and with forceDelete=false when nothing is in progress", async () => {
    const tenant = await createTenant();
    for (const force of ["true", "false"]) {
      const webhook = await createWebhook(tenant, { name: `w ${force}`, postURL: "https://example.com/hook" });
      const response = await call("DELETE", `${webhooksPath(tenant.org, webhook.id)}?forceDelete=${force}`, { auth: tenant.auth });
      expect(response.status, force).toBe(204);
      expect(response.body).toBeNull();
    }
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });

  it("refuses a forceDelete that is not true or false, and keeps the webhook", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant, { name: "w", postURL: "https://example.com/hook" });
    const response = await call("DELETE", `${webhooksPath(tenant.org, webhook.id)}?forceDelete=yes`, { auth: tenant.auth });
    expect(expectError(response, 400, "invalid_request")).toEqual(["query.forceDelete"]);
    expect((await call("GET", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth })).status).toBe(200);
  });

  it("answers 404 for a webhook that does not exist or was already deleted", async () => {
    const tenant = await createTenant();
    const webhook = await createWebhook(tenant, { name: "w", postURL: "https://example.com/hook" });
    await call("DELETE", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth });
    expectError(await call("DELETE", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth }), 404, "not_found");
    expectError(await call("DELETE", webhooksPath(tenant.org, crypto.randomUUID()), { auth: tenant.auth }), 404, "not_found");
  });
});

describe("a form's address opened again on the page", () => {
  it("leads to the webhook, or to the catalog, instead of a missing page", async () => {
    const tenant = await createTenant();
    const hook = await createWebhook(tenant, { name: "w", postURL: "https://example.com/hook" });
    const secret = async () => (await call("GET", `${webhooksPath(tenant.org, hook.id)}/secret`, { auth: tenant.auth })).body.secret;
    const before = await secret();
    const page = await signedIn(tenant);
    for (const action of ["secret", "secret/rotate", "test", "recover", "enabled", `deliveries/${crypto.randomUUID()}/redeliver`]) {
      expect(await page.get(`/ui/webhooks/${hook.id}/${action}`), action).toMatchObject({ status: 303, location: `/ui/webhooks/${hook.id}` });
    }
    expect(await page.get("/ui/event-types")).toMatchObject({ status: 303, location: "/ui/entities#event-types" });
    // Nothing was done: not even a rotation.
    expect(await secret()).toBe(before);
  });
});

describe("disabling or removing a webhook on the page", () => {
  /** A webhook with one delivery waiting: appended to its sequencer by a caller that holds the lease and sends nothing. */
  async function withWaitingDelivery() {
    const tenant = await createTenant();
    const hook = await createWebhook(tenant, { name: "busy", postURL: "https://example.com/hook", enabled: true });
    await sequencer(env, hook.id).append(hook.id, tenant.org, [{ eventId: crypto.randomUUID(), eventType: "booking.created", seq: 1 }], 1, true);
    return { tenant, hook, page: await signedIn(tenant) };
  }

  it("asks before the switch cancels waiting deliveries, and disables once OK is given", async () => {
    const { tenant, hook, page } = await withWaitingDelivery();
    const asked = await page.submit("/ui/webhooks", `/ui/webhooks/${hook.id}/enabled`, { enabled: "false", q: "" });
    expect(asked.status).toBe(200);
    expect(asked.html).toContain("1 delivery is waiting to be sent to “busy”. Disabling it cancels it");
    expect((await call("GET", webhooksPath(tenant.org, hook.id), { auth: tenant.auth })).body.enabled).toBe(true);
    const confirmed = await page.submit("/ui/webhooks", `/ui/webhooks/${hook.id}/enabled`, { enabled: "false", confirmed: "1", q: "" });
    expect(confirmed).toMatchObject({ status: 303, location: "/ui/webhooks" });
    expect((await call("GET", webhooksPath(tenant.org, hook.id), { auth: tenant.auth })).body.enabled).toBe(false);
  });

  it("disables at once when nothing is waiting", async () => {
    const tenant = await createTenant();
    const hook = await createWebhook(tenant, { name: "idle", postURL: "https://example.com/hook", enabled: true });
    const page = await signedIn(tenant);
    expect(await page.submit("/ui/webhooks", `/ui/webhooks/${hook.id}/enabled`, { enabled: "false", q: "" })).toMatchObject({ status: 303 });
    expect((await call("GET", webhooksPath(tenant.org, hook.id), { auth: tenant.auth })).body.enabled).toBe(false);
  });

  it("says on the remove page what is cancelled and which conditions lose it", async () => {
    const { tenant, hook, page } = await withWaitingDelivery();
    const body = { notificationCondition: [{ attribute: "RATEPLAN", value: "p" }, { attribute: "UsageTarget", value: "%= 80" }], actions: [{ actionAttribute: "WEBHOOK", value: hook.id }] };
    expect((await call("POST", `/v1/mint/organizations/${tenant.org}/notification-conditions`, { auth: tenant.auth, body })).status).toBe(201);
    const confirm = (await page.get(`/ui/webhooks/${hook.id}/remove`)).html;
    expect(confirm).toContain("Its 1 delivery still waiting is cancelled.");
    expect(confirm).toContain("1 notification condition names it in its actions: it is removed from them");
  });
});

describe("signing in to the page", () => {
  it("takes the key pasted as curl's e-mail:key, as the dev banner prints it", async () => {
    const tenant = await createTenant();
    const page = new PageSession();
    const answer = await page.submit("/ui/sign-in", "/ui/sign-in", { email: tenant.email, key: `${tenant.email}:${tenant.key}`, next: "/ui/webhooks" });
    expect(answer).toMatchObject({ status: 303, location: "/ui/webhooks" });
    expect((await page.get("/ui/webhooks")).status).toBe(200);
  });
});

describe("the page's icon", () => {
  it("is named by every page and served, so a browser asks for no missing /favicon.ico", async () => {
    const page = new PageSession();
    expect((await page.get("/ui/sign-in")).html).toContain('<link rel="icon" href="/ui/icon.svg" type="image/svg+xml"/>');
    const icon = await page.get("/ui/icon.svg");
    expect(icon.status).toBe(200);
    expect(icon.html).toMatch(/^<svg /);
  });
});

describe("rotating the secret on the page", () => {
  it("rotates once for a form sent twice (a reload, a double click), keeping the original secret signing", async () => {
    const tenant = await createTenant();
    const hook = await createWebhook(tenant, { name: "w", postURL: "https://example.com/hook" });
    const secret = async () => (await call("GET", `${webhooksPath(tenant.org, hook.id)}/secret`, { auth: tenant.auth })).body;
    const original = (await secret()).key;
    const page = await signedIn(tenant);
    const detail = `/ui/webhooks/${hook.id}`;
    const rotatedOnce = await page.submit(detail, `${detail}/secret/rotate`, { rotated: "0" });
    expect(rotatedOnce.html).toContain("was rotated. The previous secret keeps signing too");
    const after = await secret();
    expect(after).toMatchObject({ previousKey: original });
    const sentAgain = await page.submit(detail, `${detail}/secret/rotate`, { rotated: "0" });
    expect(sentAgain.html).toContain("was rotated already; this is the current one.");
    expect(await secret()).toEqual(after);
  });
});

describe("removing an account on the page", () => {
  it("says which webhooks are bound to it instead of asking for OK, and asks once none is", async () => {
    const tenant = await createTenant();
    const entity = await seedWinkCatalog(tenant);
    const hook = await createWebhook(tenant, { name: "bound", postURL: "https://example.com/hook", source: "wink", entity: "Cool Account" });
    const page = await signedIn(tenant);
    const refused = (await page.get(`/ui/entities/${entity.id}/remove`)).html;
    expect(refused).toContain("1 webhook is bound to the wink account “Cool Account”");
    expect(refused).toContain(`<a href="/ui/webhooks/${hook.id}">bound</a>`);
    expect(refused).not.toContain(">OK</button>");
    expect((await call("DELETE", webhooksPath(tenant.org, hook.id), { auth: tenant.auth })).status).toBe(204);
    expect((await page.get(`/ui/entities/${entity.id}/remove`)).html).toContain(">OK</button>");
  });
});
