import { describe, expect, it } from "vitest";
import { call, createKey, createTenant, createWebhook, entitiesPath, expectError, reasonFor, webhooksPath } from "./helpers";

describe("entities", () => {
  it("creates an entity on a source, made by the caller", async () => {
    const tenant = await createTenant();
    const before = Date.now();
    const response = await call("POST", entitiesPath(tenant.org), { auth: tenant.basic, body: { source: "wink", name: "Cool Account" } });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      orgId: tenant.org,
      source: "wink",
      name: "Cool Account",
      created: expect.any(Number),
      createdBy: "joe@example.com",
    });
    expect(response.body.created).toBeGreaterThanOrEqual(before);
  });

  it("trims the name", async () => {
    const tenant = await createTenant();
    const response = await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "wink", name: "  Cool Account " } });
    expect(response.body.name).toBe("Cool Account");
  });

  it("refuses a second entity with the same name on the same source with 409", async () => {
    const tenant = await createTenant();
    await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "wink", name: "Cool Account" } });
    const again = await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "wink", name: "Cool Account" } });
    expect(expectError(again, 409, "conflict")).toEqual(["name"]);
    expect((await call("GET", entitiesPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(1);
  });

  it("allows the same name on another source", async () => {
    const tenant = await createTenant();
    await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "wink", name: "Cool Account" } });
    const other = await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "trippay", name: "Cool Account" } });
    expect(other.status).toBe(201);
  });

  it("names each invalid field", async () => {
    const tenant = await createTenant();
    const cases: [unknown, string[]][] = [
      [{ name: "Cool Account" }, ["source"]],
      [{ source: "Wink!", name: "Cool Account" }, ["source"]],
      [{ source: "wink" }, ["name"]],
      [{ source: "wink", name: "   " }, ["name"]],
      [{ source: "wink", name: "n".repeat(201) }, ["name"]],
      [{ source: "wink", name: 42 }, ["name"]],
      [{ source: "wink", name: "Cool Account", owner: "me" }, ["owner"]],
      [["wink", "Cool Account"], ["body"]],
    ];
    for (const [body, fields] of cases) {
      const response = await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body });
      expect(expectError(response, 400, "invalid_request"), JSON.stringify(body)).toEqual(fields);
    }
    expect(reasonFor(await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "wink", name: "n".repeat(201) } }), "name")).toBe(
      "must be at most 200 characters",
    );
    expect((await call("GET", entitiesPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });

  it("lists entities by source and name, filtered by source and paged, with the total", async () => {
    const tenant = await createTenant();
    for (const [source, name] of [["wink", "B"], ["wink", "A"], ["trippay", "C"], ["wink", "C"]]) {
      await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source, name } });
    }
    const all = await call("GET", entitiesPath(tenant.org), { auth: tenant.auth });
    expect(all.status).toBe(200);
    expect(all.body.totalRecords).toBe(4);
    expect(all.body.entities.map((e: any) => `${e.source}/${e.name}`)).toEqual(["trippay/C", "wink/A", "wink/B", "wink/C"]);
    const page = await call("GET", `${entitiesPath(tenant.org)}?source=wink&limit=2&offset=1`, { auth: tenant.auth });
    expect(page.body.totalRecords).toBe(3);
    expect(page.body.entities.map((e: any) => e.name)).toEqual(["B", "C"]);
  });

  it("refuses bad paging and source filters", async () => {
    const tenant = await createTenant();
    for (const [query, field] of [["limit=0", "query.limit"], ["limit=1001", "query.limit"], ["offset=-1", "query.offset"], ["limit=many", "query.limit"], ["source=WINK", "query.source"]]) {
      const response = await call("GET", `${entitiesPath(tenant.org)}?${query}`, { auth: tenant.auth });
      expect(expectError(response, 400, "invalid_request"), query).toEqual([field]);
    }
  });

  it("gets one entity", async () => {
    const tenant = await createTenant();
    const created = await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "wink", name: "Cool Account" } });
    const response = await call("GET", entitiesPath(tenant.org, created.body.id), { auth: tenant.auth });
    expect(response.status).toBe(200);
    expect(response.body).toEqual(created.body);
  });

  it("answers 404 for an unknown entity id and 400 for one that is not a UUID", async () => {
    const tenant = await createTenant();
    expect(expectError(await call("GET", entitiesPath(tenant.org, crypto.randomUUID()), { auth: tenant.auth }), 404, "not_found")).toEqual(["path.id"]);
    expect(expectError(await call("GET", entitiesPath(tenant.org, "42"), { auth: tenant.auth }), 400, "invalid_request")).toEqual(["path.id"]);
  });

  it("deletes an entity no webhook is bound to", async () => {
    const tenant = await createTenant();
    const created = await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "wink", name: "Cool Account" } });
    expect((await call("DELETE", entitiesPath(tenant.org, created.body.id), { auth: tenant.auth })).status).toBe(204);
    expectError(await call("GET", entitiesPath(tenant.org, created.body.id), { auth: tenant.auth }), 404, "not_found");
    expectError(await call("DELETE", entitiesPath(tenant.org, created.body.id), { auth: tenant.auth }), 404, "not_found");
  });

  it("refuses to delete an entity a webhook is bound to, naming the webhook", async () => {
    const tenant = await createTenant();
    const entity = await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "wink", name: "Cool Account" } });
    const webhook = await createWebhook(tenant, { name: "Wink Stalker", postURL: "https://my.system.com/webhook/wink", source: "wink", entity: "Cool Account" });
    const response = await call("DELETE", entitiesPath(tenant.org, entity.body.id), { auth: tenant.auth });
    expect(expectError(response, 409, "conflict")).toEqual([`webhooks.${webhook.id}`]);
    expect((await call("GET", entitiesPath(tenant.org, entity.body.id), { auth: tenant.auth })).status).toBe(200);
  });

  it("lets an entity be deleted once its webhook is rebound elsewhere", async () => {
    const tenant = await createTenant();
    const entity = await call("POST", entitiesPath(tenant.org), { auth: tenant.auth, body: { source: "wink", name: "Cool Account" } });
    const webhook = await createWebhook(tenant, { name: "Wink Stalker", postURL: "https://my.system.com/webhook/wink", source: "wink", entity: "Cool Account" });
    const rebound = await call("PUT", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth, body: { entity: null } });
    expect(rebound.body.entity).toBeNull();
    expect((await call("DELETE", entitiesPath(tenant.org, entity.body.id), { auth: tenant.auth })).status).toBe(204);
  });

  it("records who created an entity by the key's e-mail", async () => {
    const tenant = await createTenant();
    const ann = await createKey(tenant.org, { email: "ann@example.com", role: "admin" });
    const response = await call("POST", entitiesPath(tenant.org), { auth: { bearer: ann }, body: { source: "wink", name: "Ann's" } });
    expect(response.body.createdBy).toBe("ann@example.com");
  });
});
