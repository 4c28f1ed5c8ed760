// The webhook's rateLimit and the auto-disable fields at the API: stored, shown, changed, cleared,
// refused by the field when out of range, and the fields the server sets taken back and ignored.
import { describe, expect, it } from "vitest";
import { call, createTenant, createWebhook, expectError, reasonFor, webhooksPath } from "./helpers";

const url = "https://example.com/hook";

describe("a webhook's rate limit", () => {
  it("has none unless given, and is kept when given", async () => {
    const tenant = await createTenant();
    expect(await createWebhook(tenant, { name: "a", postURL: url })).toMatchObject({ rateLimit: null, disabledReason: null, disabledAt: null });
    const limited = await createWebhook(tenant, { name: "b", postURL: url, rateLimit: 20 });
    expect((await call("GET", webhooksPath(tenant.org, limited.id), { auth: tenant.auth })).body.rateLimit).toBe(20);
  });

  it("is changed by an update, and removed with null", async () => {
    const tenant = await createTenant();
    const created = await createWebhook(tenant, { name: "a", postURL: url, rateLimit: 5 });
    const changed = await call("PUT", webhooksPath(tenant.org, created.id), { auth: tenant.auth, body: { rateLimit: 1000 } });
    expect(changed.body.rateLimit).toBe(1000);
    const cleared = await call("PUT", webhooksPath(tenant.org, created.id), { auth: tenant.auth, body: { rateLimit: null } });
    expect(cleared.body.rateLimit).toBeNull();
  });

  it("is refused, naming rateLimit, unless a whole number from 1 to 1000", async () => {
    const tenant = await createTenant();
    for (const rateLimit of [0, 1001, 2.5, "20", -1, 1e300]) {
      const refused = await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body: { name: "a", postURL: url, rateLimit } });
      expect(expectError(refused, 400, "invalid_request"), JSON.stringify(rateLimit)).toEqual(["rateLimit"]);
      expect(reasonFor(refused, "rateLimit")).toBe("must be a whole number of deliveries per second, from 1 to 1000");
    }
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });
});

describe("the auto-disable fields", () => {
  it("are taken back as GET answered them and ignored: a client cannot set why the platform disabled a webhook", async () => {
    const tenant = await createTenant();
    const created = await createWebhook(tenant, { name: "a", postURL: url });
    const sentBack = await call("PUT", webhooksPath(tenant.org, created.id), {
      auth: tenant.auth,
      body: { ...created, name: "b", disabledReason: "made up", disabledAt: 1 },
    });
    expect(sentBack.status).toBe(200);
    expect(sentBack.body).toMatchObject({ name: "b", disabledReason: null, disabledAt: null });
  });
});
