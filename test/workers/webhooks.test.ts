import { describe, expect, it } from "vitest";
import { call, createTenant, seedWinkCatalog, webhooksPath } from "./helpers";

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
});
