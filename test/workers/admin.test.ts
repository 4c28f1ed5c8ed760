import { describe, expect, it } from "vitest";
import { admin, call, createKey, createTenant, expectError, reasonFor, uniqueOrg, webhooksPath } from "./helpers";

const orgs = "/v1/admin/organizations";
const keysPath = (org: string, keyId?: string) => `${orgs}/${org}/keys${keyId ? `/${keyId}` : ""}`;
const keyIdOf = (key: string) => key.split("_")[1]!;

describe("operator: organizations", () => {
  it("creates an organization", async () => {
    const id = uniqueOrg();
    const before = Date.now();
    const response = await call("POST", orgs, { auth: admin, body: { id, name: "My Org" } });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ id, name: "My Org", created: expect.any(Number), displayName: null, accentColor: null, frameAncestors: [] });
    expect(response.body.created).toBeGreaterThanOrEqual(before);
  });

  it("refuses an organization id that is taken with 409", async () => {
    const id = uniqueOrg();
    await call("POST", orgs, { auth: admin, body: { id, name: "First" } });
    const response = await call("POST", orgs, { auth: admin, body: { id, name: "Second" } });
    expect(expectError(response, 409, "conflict")).toEqual(["id"]);
    expect((await call("GET", `${orgs}/${id}`, { auth: admin })).body.name).toBe("First");
  });

  it("refuses an organization id that is not a slug", async () => {
    for (const id of ["My Org", "-leading", "", "a".repeat(64), "UPPER"]) {
      const response = await call("POST", orgs, { auth: admin, body: { id, name: "x" } });
      expect(expectError(response, 400, "invalid_request"), id).toEqual(["id"]);
    }
  });

  it("refuses an empty or over-long organization name", async () => {
    for (const name of ["   ", "n".repeat(201)]) {
      const response = await call("POST", orgs, { auth: admin, body: { id: uniqueOrg(), name } });
      expect(expectError(response, 400, "invalid_request")).toEqual(["name"]);
    }
  });

  it("names every missing, mistyped and unknown field", async () => {
    const response = await call("POST", orgs, { auth: admin, body: { name: 7, colour: "blue" } });
    expect(expectError(response, 400, "invalid_request").sort()).toEqual(["colour", "id", "name"]);
    expect(reasonFor(response, "colour")).toBe("is not a known field");
  });

  it("lists organizations", async () => {
    const tenant = await createTenant();
    const response = await call("GET", orgs, { auth: admin });
    expect(response.status).toBe(200);
    expect(response.body.organizations).toContainEqual({ id: tenant.org, name: `Org ${tenant.org}`, created: expect.any(Number), displayName: null, accentColor: null, frameAncestors: [] });
  });

  it("gets one organization", async () => {
    const tenant = await createTenant();
    const response = await call("GET", `${orgs}/${tenant.org}`, { auth: admin });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: tenant.org, name: `Org ${tenant.org}` });
  });

  it("answers 404 for an organization that does not exist", async () => {
    expect(expectError(await call("GET", `${orgs}/no-such-org`, { auth: admin }), 404, "not_found")).toEqual(["path.org"]);
  });
});

describe("operator: API keys", () => {
  it("creates an admin key, shown once, that works on the organization's routes", async () => {
    const tenant = await createTenant();
    const response = await call("POST", keysPath(tenant.org), { auth: admin, body: { email: "ann@example.com", role: "admin" } });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      orgId: tenant.org,
      email: "ann@example.com",
      role: "admin",
      source: null,
      created: expect.any(Number),
      revoked: null,
      key: expect.stringMatching(/^ewk_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/),
    });
    expect(keyIdOf(response.body.key)).toBe(response.body.id);
    const used = await call("GET", webhooksPath(tenant.org), { auth: { basic: ["ann@example.com", response.body.key] } });
    expect(used.status).toBe(200);
  });

  it("creates a producer key for one source", async () => {
    const tenant = await createTenant();
    const response = await call("POST", keysPath(tenant.org), {
      auth: admin,
      body: { email: "bot@example.com", role: "producer", source: "wink" },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ role: "producer", source: "wink" });
  });

  it("requires a source for a producer key and refuses one for an admin key", async () => {
    const tenant = await createTenant();
    const producer = await call("POST", keysPath(tenant.org), { auth: admin, body: { email: "bot@example.com", role: "producer" } });
    expect(expectError(producer, 400, "invalid_request")).toEqual(["source"]);
    const adminKey = await call("POST", keysPath(tenant.org), {
      auth: admin,
      body: { email: "ann@example.com", role: "admin", source: "wink" },
    });
    expect(expectError(adminKey, 400, "invalid_request")).toEqual(["source"]);
  });

  it("refuses a key with a bad e-mail, role or source", async () => {
    const tenant = await createTenant();
    const cases: [Record<string, unknown>, string][] = [
      [{ email: "not-an-email", role: "admin" }, "email"],
      [{ email: "ann@example.com", role: "owner" }, "role"],
      [{ email: "bot@example.com", role: "producer", source: "Wink Inc" }, "source"],
      [{ email: "ann@example.com", role: "admin", scopes: ["all"] }, "scopes"],
    ];
    for (const [body, field] of cases) {
      const response = await call("POST", keysPath(tenant.org), { auth: admin, body });
      expect(expectError(response, 400, "invalid_request"), field).toEqual([field]);
    }
    expect((await call("GET", keysPath(tenant.org), { auth: admin })).body.keys).toHaveLength(1);
  });

  it("answers 404 when creating a key for an organization that does not exist", async () => {
    const response = await call("POST", keysPath("no-such-org"), { auth: admin, body: { email: "ann@example.com", role: "admin" } });
    expectError(response, 404, "not_found");
  });

  it("lists an organization's keys without the keys or their hashes", async () => {
    const tenant = await createTenant();
    await createKey(tenant.org, { email: "bot@example.com", role: "producer", source: "wink" });
    const response = await call("GET", keysPath(tenant.org), { auth: admin });
    expect(response.status).toBe(200);
    expect(response.body.keys.map((k: any) => [k.email, k.role, k.source]).sort()).toEqual([
      ["bot@example.com", "producer", "wink"],
      ["joe@example.com", "admin", null],
    ]);
    for (const key of response.body.keys) {
      expect(Object.keys(key).sort()).toEqual(["created", "email", "id", "orgId", "revoked", "role", "source"]);
    }
    expect(JSON.stringify(response.body)).not.toContain(tenant.key);
  });

  it("answers 404 when listing the keys of an organization that does not exist", async () => {
    expectError(await call("GET", keysPath("no-such-org"), { auth: admin }), 404, "not_found");
  });

  it("revokes a key, once, keeping when it was first revoked", async () => {
    const tenant = await createTenant();
    const keyId = keyIdOf(tenant.key);
    expect((await call("DELETE", keysPath(tenant.org, keyId), { auth: admin })).status).toBe(204);
    const first = (await call("GET", keysPath(tenant.org), { auth: admin })).body.keys[0];
    expect(first.revoked).toEqual(expect.any(Number));
    expect((await call("DELETE", keysPath(tenant.org, keyId), { auth: admin })).status).toBe(204);
    const second = (await call("GET", keysPath(tenant.org), { auth: admin })).body.keys[0];
    expect(second.revoked).toBe(first.revoked);
  });

  it("answers 404 when revoking a key of another organization through this one", async () => {
    const tenant = await createTenant();
    const other = await createTenant("other");
    const response = await call("DELETE", keysPath(other.org, keyIdOf(tenant.key)), { auth: admin });
    expectError(response, 404, "not_found");
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).status).toBe(200);
  });

  it("answers 404 for a key id that was never issued and 400 for one that is not a key id", async () => {
    const tenant = await createTenant();
    expect(expectError(await call("DELETE", keysPath(tenant.org, "0".repeat(24)), { auth: admin }), 404, "not_found")).toEqual(["path.keyId"]);
    const malformed = await call("DELETE", keysPath(tenant.org, "nope"), { auth: admin });
    expect(expectError(malformed, 400, "invalid_request")).toEqual(["path.keyId"]);
  });
});
