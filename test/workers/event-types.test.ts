import { describe, expect, it } from "vitest";
import { call, createTenant, createWebhook, eventTypesPath, expectError, webhooksPath } from "./helpers";

const bookingCreated = { source: "wink", name: "booking.created", description: "A booking happened on Wink" };

describe("the event-type catalog", () => {
  it("adds an event type to a source's catalog", async () => {
    const tenant = await createTenant();
    const response = await call("POST", eventTypesPath(tenant.org), { auth: tenant.basic, body: bookingCreated });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      orgId: tenant.org,
      ...bookingCreated,
      created: expect.any(Number),
      createdBy: "joe@example.com",
    });
  });

  it("leaves the description null when none is given", async () => {
    const tenant = await createTenant();
    const response = await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body: { source: "wink", name: "booking.cancelled" } });
    expect(response.body.description).toBeNull();
  });

  it("refuses the same event type twice on a source with 409, but allows it on another source", async () => {
    const tenant = await createTenant();
    await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body: bookingCreated });
    const again = await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body: bookingCreated });
    expect(expectError(again, 409, "conflict")).toEqual(["name"]);
    const trippay = await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body: { ...bookingCreated, source: "trippay" } });
    expect(trippay.status).toBe(201);
  });

  it("names each invalid field", async () => {
    const tenant = await createTenant();
    const cases: [unknown, string[]][] = [
      [{ name: "booking.created" }, ["source"]],
      [{ source: "wink" }, ["name"]],
      [{ source: "wink", name: "Booking Created" }, ["name"]],
      [{ source: "wink", name: "booking.*" }, ["name"]],
      [{ source: "wink", name: "booking..created" }, ["name"]],
      [{ source: "wink", name: `a.${"b".repeat(99)}` }, ["name"]],
      [{ source: "wink", name: "booking.created", description: "d".repeat(1001) }, ["description"]],
      [{ source: "wink", name: "booking.created", description: 5 }, ["description"]],
      [{ source: "wink", name: "booking.created", schema: {} }, ["schema"]],
    ];
    for (const [body, fields] of cases) {
      const response = await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body });
      expect(expectError(response, 400, "invalid_request"), JSON.stringify(body)).toEqual(fields);
    }
    expect((await call("GET", eventTypesPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });

  it("lists the catalog by source and name, filtered by source and paged, with the total", async () => {
    const tenant = await createTenant();
    for (const [source, name] of [["wink", "booking.created"], ["trippay", "payment.made"], ["wink", "booking.cancelled"], ["wink", "account.closed"]]) {
      await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body: { source, name } });
    }
    const all = await call("GET", eventTypesPath(tenant.org), { auth: tenant.auth });
    expect(all.status).toBe(200);
    expect(all.body.totalRecords).toBe(4);
    expect(all.body.eventTypes.map((e: any) => `${e.source}/${e.name}`)).toEqual([
      "trippay/payment.made",
      "wink/account.closed",
      "wink/booking.cancelled",
      "wink/booking.created",
    ]);
    const page = await call("GET", `${eventTypesPath(tenant.org)}?source=wink&limit=1&offset=2`, { auth: tenant.auth });
    expect(page.body).toMatchObject({ totalRecords: 3, eventTypes: [{ name: "booking.created" }] });
  });

  it("refuses bad paging", async () => {
    const tenant = await createTenant();
    const response = await call("GET", `${eventTypesPath(tenant.org)}?limit=2.5&offset=x`, { auth: tenant.auth });
    expect(expectError(response, 400, "invalid_request").sort()).toEqual(["query.limit", "query.offset"]);
  });

  it("gets one event type, and 404 for an unknown id", async () => {
    const tenant = await createTenant();
    const created = await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body: bookingCreated });
    const got = await call("GET", eventTypesPath(tenant.org, created.body.id), { auth: tenant.auth });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.body);
    expectError(await call("GET", eventTypesPath(tenant.org, crypto.randomUUID()), { auth: tenant.auth }), 404, "not_found");
  });

  it("removes an event type no webhook subscribes to", async () => {
    const tenant = await createTenant();
    const created = await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body: bookingCreated });
    expect((await call("DELETE", eventTypesPath(tenant.org, created.body.id), { auth: tenant.auth })).status).toBe(204);
    expectError(await call("GET", eventTypesPath(tenant.org, created.body.id), { auth: tenant.auth }), 404, "not_found");
    expectError(await call("DELETE", eventTypesPath(tenant.org, created.body.id), { auth: tenant.auth }), 404, "not_found");
  });

  it("refuses to remove an event type a webhook subscribes to by name, naming the webhook", async () => {
    const tenant = await createTenant();
    const created = await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body: bookingCreated });
    const webhook = await createWebhook(tenant, { name: "w", postURL: "https://example.com/hook", source: "wink", events: ["booking.created"] });
    const response = await call("DELETE", eventTypesPath(tenant.org, created.body.id), { auth: tenant.auth });
    expect(expectError(response, 409, "conflict")).toEqual([`webhooks.${webhook.id}`]);
    expect((await call("GET", eventTypesPath(tenant.org, created.body.id), { auth: tenant.auth })).status).toBe(200);
    await call("PUT", webhooksPath(tenant.org, webhook.id), { auth: tenant.auth, body: { events: [] } });
    expect((await call("DELETE", eventTypesPath(tenant.org, created.body.id), { auth: tenant.auth })).status).toBe(204);
  });

  it("removes an event type that only another source's webhook names", async () => {
    const tenant = await createTenant();
    const wink = await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body: bookingCreated });
    await call("POST", eventTypesPath(tenant.org), { auth: tenant.auth, body: { ...bookingCreated, source: "trippay" } });
    await createWebhook(tenant, { name: "w", postURL: "https://example.com/hook", source: "trippay", events: ["booking.created"] });
    expect((await call("DELETE", eventTypesPath(tenant.org, wink.body.id), { auth: tenant.auth })).status).toBe(204);
  });
});
