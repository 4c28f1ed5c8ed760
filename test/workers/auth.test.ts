import { describe, expect, it } from "vitest";
import {
  admin,
  call,
  createKey,
  createTenant,
  createWebhook,
  entitiesPath,
  eventTypesPath,
  expectError,
  reasonFor,
  seedWinkCatalog,
  webhooksPath,
  type Auth,
  type Tenant,
} from "./helpers";

const basicHeader = (text: string): Auth => ({ header: `Basic ${btoa(text)}` });

describe("tenant credentials", () => {
  it("accepts HTTP Basic email:key", async () => {
    const tenant = await createTenant();
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.basic })).status).toBe(200);
  });

  it("accepts Authorization: Bearer key", async () => {
    const tenant = await createTenant();
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).status).toBe(200);
  });

  it("compares the Basic e-mail without regard to case", async () => {
    const tenant = await createTenant();
    const response = await call("GET", webhooksPath(tenant.org), { auth: { basic: ["Joe@Example.COM", tenant.key] } });
    expect(response.status).toBe(200);
  });

  it("refuses a request without Authorization with 401 and a challenge", async () => {
    const tenant = await createTenant();
    const response = await call("GET", webhooksPath(tenant.org));
    expect(expectError(response, 401, "unauthorized")).toEqual(["authorization"]);
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
  });

  it("refuses Basic credentials that are not base64", async () => {
    const tenant = await createTenant();
    const response = await call("GET", webhooksPath(tenant.org), { auth: { header: "Basic %%%not-base64%%%" } });
    expectError(response, 401, "unauthorized");
    expect(reasonFor(response, "authorization")).toMatch(/base64/);
  });

  it("refuses Basic credentials without a colon", async () => {
    const tenant = await createTenant();
    const response = await call("GET", webhooksPath(tenant.org), { auth: basicHeader(tenant.key) });
    expectError(response, 401, "unauthorized");
    expect(reasonFor(response, "authorization")).toMatch(/email:key/);
  });

  it("refuses an authorization scheme it does not know", async () => {
    const tenant = await createTenant();
    const response = await call("GET", webhooksPath(tenant.org), { auth: { header: `Token ${tenant.key}` } });
    expectError(response, 401, "unauthorized");
  });

  it("refuses a key with another person's e-mail", async () => {
    const tenant = await createTenant();
    const response = await call("GET", webhooksPath(tenant.org), { auth: { basic: ["ann@example.com", tenant.key] } });
    expectError(response, 401, "unauthorized");
    expect(reasonFor(response, "authorization")).toMatch(/e-mail/);
  });

  it("refuses a well-formed key that was never issued", async () => {
    const tenant = await createTenant();
    const forged = tenant.key.replace(/_[^_]+$/, `_${"A".repeat(43)}`);
    expect(forged).not.toBe(tenant.key);
    for (const auth of [{ bearer: forged }, { bearer: `ewk_${"0".repeat(24)}_${"A".repeat(43)}` }, { bearer: "not-a-key" }]) {
      const response = await call("GET", webhooksPath(tenant.org), { auth });
      expectError(response, 401, "unauthorized");
    }
  });

  it("refuses a revoked key", async () => {
    const tenant = await createTenant();
    const keyId = tenant.key.split("_")[1];
    const revoked = await call("DELETE", `/v1/admin/organizations/${tenant.org}/keys/${keyId}`, { auth: admin });
    expect(revoked.status).toBe(204);
    expectError(await call("GET", webhooksPath(tenant.org), { auth: tenant.auth }), 401, "unauthorized");
    expectError(await call("GET", webhooksPath(tenant.org), { auth: tenant.basic }), 401, "unauthorized");
  });

  it("refuses the admin token on a tenant route", async () => {
    const tenant = await createTenant();
    expectError(await call("GET", webhooksPath(tenant.org), { auth: admin }), 401, "unauthorized");
  });
});

describe("the admin token", () => {
  it("is required on operator routes", async () => {
    const response = await call("GET", "/v1/admin/organizations");
    expect(expectError(response, 401, "unauthorized")).toEqual(["authorization"]);
  });

  it("must match ADMIN_TOKEN", async () => {
    const response = await call("GET", "/v1/admin/organizations", { auth: { bearer: "test-admin-token-not" } });
    expectError(response, 401, "unauthorized");
    expect(reasonFor(response, "authorization")).toMatch(/admin token is not valid/);
  });

  it("cannot be replaced by a tenant's key", async () => {
    const tenant = await createTenant();
    expectError(await call("GET", "/v1/admin/organizations", { auth: tenant.auth }), 401, "unauthorized");
    expectError(await call("GET", "/v1/admin/organizations", { auth: tenant.basic }), 401, "unauthorized");
  });

  it("writes nothing when the admin token is wrong", async () => {
    const response = await call("POST", "/v1/admin/organizations", { auth: { bearer: "wrong" }, body: { id: "sneaky", name: "x" } });
    expectError(response, 401, "unauthorized");
    expectError(await call("GET", "/v1/admin/organizations/sneaky", { auth: admin }), 404, "not_found");
  });
});

/** Every tenant route of `org`, with a body where it takes one, against data that exists. */
function tenantRoutes(org: string, ids: { webhook: string; entity: string; eventType: string }) {
  const webhookBody = { name: "taken over", postURL: "https://evil.example/hook" };
  return [
    ["GET", webhooksPath(org)],
    ["POST", webhooksPath(org), webhookBody],
    ["GET", webhooksPath(org, ids.webhook)],
    ["PUT", webhooksPath(org, ids.webhook), { postURL: "https://evil.example/hook" }],
    ["POST", webhooksPath(org, ids.webhook), { enabled: "true" }],
    ["DELETE", webhooksPath(org, ids.webhook)],
    ["GET", entitiesPath(org)],
    ["POST", entitiesPath(org), { source: "wink", name: "Evil Account" }],
    ["GET", entitiesPath(org, ids.entity)],
    ["DELETE", entitiesPath(org, ids.entity)],
    ["GET", eventTypesPath(org)],
    ["POST", eventTypesPath(org), { source: "wink", name: "evil.happened" }],
    ["GET", eventTypesPath(org, ids.eventType)],
    ["DELETE", eventTypesPath(org, ids.eventType)],
  ] as const;
}

/** An organization with one entity, one event type and one webhook using neither (so all can be deleted). */
async function populatedTenant(): Promise<{ tenant: Tenant; ids: { webhook: string; entity: string; eventType: string } }> {
  const tenant = await createTenant();
  const entity = await seedWinkCatalog(tenant);
  const eventTypes = await call("GET", eventTypesPath(tenant.org), { auth: tenant.auth });
  const webhook = await createWebhook(tenant, { name: "mine", postURL: "https://mine.example/hook" });
  return { tenant, ids: { webhook: webhook.id, entity: entity.id, eventType: eventTypes.body.eventTypes[0].id } };
}

async function snapshot(tenant: Tenant) {
  const [hooks, entities, eventTypes] = await Promise.all([
    call("GET", webhooksPath(tenant.org), { auth: tenant.auth }),
    call("GET", entitiesPath(tenant.org), { auth: tenant.auth }),
    call("GET", eventTypesPath(tenant.org), { auth: tenant.auth }),
  ]);
  return { webhooks: hooks.body, entities: entities.body, eventTypes: eventTypes.body };
}

describe("tenant isolation", () => {
  it("answers 404 to another organization's admin key on every route, and changes nothing", async () => {
    const { tenant, ids } = await populatedTenant();
    const other = await createTenant("other");
    const before = await snapshot(tenant);
    for (const [method, path, body] of tenantRoutes(tenant.org, ids)) {
      for (const auth of [other.auth, other.basic]) {
        const response = await call(method, path, { auth, body });
        expect(expectError(response, 404, "not_found"), `${method} ${path}`).toEqual([]);
      }
    }
    expect(await snapshot(tenant)).toEqual(before);
  });

  it("answers 404 to another organization's producer key on every route, not 403", async () => {
    const { tenant, ids } = await populatedTenant();
    const other = await createTenant("other");
    const producer = await createKey(other.org, { email: "bot@example.com", role: "producer", source: "wink" });
    for (const [method, path, body] of tenantRoutes(tenant.org, ids)) {
      const response = await call(method, path, { auth: { bearer: producer }, body });
      expectError(response, 404, "not_found");
    }
  });

  it("answers 404 to an organization asking for another organization's resources by id on its own paths", async () => {
    const { ids } = await populatedTenant();
    const other = await createTenant("other");
    await seedWinkCatalog(other);
    for (const [method, path, body] of tenantRoutes(other.org, ids).filter(([, path]) => /[0-9a-f-]{36}$/.test(path))) {
      const response = await call(method, path, { auth: other.auth, body });
      expectError(response, 404, "not_found");
    }
  });

  it("never lists another organization's data", async () => {
    const { tenant } = await populatedTenant();
    const other = await createTenant("other");
    const seen = await snapshot(other);
    expect(seen.webhooks).toEqual({ totalRecords: 0, webhooks: [] });
    expect(seen.entities).toEqual({ totalRecords: 0, entities: [] });
    expect(seen.eventTypes).toEqual({ totalRecords: 0, eventTypes: [] });
    expect((await snapshot(tenant)).webhooks.totalRecords).toBe(1);
  });
});

describe("a producer key", () => {
  it("gets 403 on every management route of its own organization, and changes nothing", async () => {
    const { tenant, ids } = await populatedTenant();
    const producer = await createKey(tenant.org, { email: "bot@example.com", role: "producer", source: "wink" });
    const before = await snapshot(tenant);
    for (const [method, path, body] of tenantRoutes(tenant.org, ids)) {
      for (const auth of [{ bearer: producer }, { basic: ["bot@example.com", producer] as [string, string] }]) {
        const response = await call(method, path, { auth, body });
        expect(expectError(response, 403, "forbidden"), `${method} ${path}`).toEqual(["authorization"]);
      }
    }
    expect(await snapshot(tenant)).toEqual(before);
  });
});
