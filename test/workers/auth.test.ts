import { describe, expect, it } from "vitest";
import { admin, call, createKey, createTenant, expectError, reasonFor, webhooksPath, type Auth, type Call } from "./helpers";
import { bodyFor, documentedOperations, pathFor, populatedTenant, snapshot, type Operation } from "./route-table";

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

  it("tells an admin key that posting events needs a producer key", async () => {
    const tenant = await createTenant();
    const response = await call("POST", `/v1/organizations/${tenant.org}/events`, { auth: tenant.auth, body: { type: "booking.created", data: {} } });
    expect(response.status).toBe(403);
    expect(response.body.error).toMatchObject({ message: "This route needs a producer key", details: [{ field: "authorization", reason: "an admin key cannot post events" }] });
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

type Credential = "no key" | "wrong key" | "revoked key" | "other org's admin key" | "other org's producer key" | "producer key" | "admin key";

/** What `credential` gets on `operation`: a status, or "allowed" when it is the right caller. */
function expectedAnswer(operation: Operation, credential: Credential): { status: number; code: string } | "allowed" {
  const unauthorized = { status: 401, code: "unauthorized" };
  if (credential === "no key" || credential === "wrong key" || credential === "revoked key") return unauthorized;
  // Tenant keys are never the operator's token.
  if (operation.caller === "operator") return unauthorized;
  // Another organization's key learns nothing, not even that the organization exists.
  if (credential.startsWith("other org's")) return { status: 404, code: "not_found" };
  const role = credential === "producer key" ? "producer" : "admin";
  return operation.caller === "any" || operation.caller === role ? "allowed" : { status: 403, code: "forbidden" };
}

/** Every header value and the body, as one text to search for leaks. */
const answerText = (response: Call) => `${JSON.stringify(response.body)}\n${[...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}`;

describe("the isolation matrix: every documented route × every wrong caller", () => {
  it("answers 401, 403 or 404 as the caller deserves, leaks nothing of the organization, and changes nothing", async () => {
    const target = await populatedTenant("target");
    const other = await populatedTenant("other");
    const revoked = await createKey(target.tenant.org, { email: "gone@example.com", role: "admin" });
    expect((await call("DELETE", `/v1/admin/organizations/${target.tenant.org}/keys/${revoked.split("_")[1]}`, { auth: admin })).status).toBe(204);
    const credentials: Record<Credential, Auth> = {
      "no key": null,
      "wrong key": { bearer: `ewk_${"0".repeat(24)}_${"A".repeat(43)}` },
      "revoked key": { bearer: revoked },
      "other org's admin key": other.tenant.auth,
      "other org's producer key": { bearer: other.producerKey },
      "producer key": { bearer: target.producerKey },
      "admin key": target.tenant.auth,
    };
    const operations = await documentedOperations();
    const before = await snapshot(target);
    let checked = 0;
    for (const operation of operations) {
      for (const [credential, auth] of Object.entries(credentials) as [Credential, Auth][]) {
        const expected = expectedAnswer(operation, credential);
        if (expected === "allowed") continue;
        const response = await call(operation.method, pathFor(operation, target), { auth, body: bodyFor(operation, target) });
        const label = `${operation.name} with ${credential}`;
        expect({ label, status: response.status, code: response.body?.error?.code }).toEqual({ label, ...expected });
        expectError(response, expected.status, expected.code);
        const text = answerText(response);
        for (const secret of target.private) expect(text.includes(secret), `${label} leaks ${secret}`).toBe(false);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(operations.length * 5);
    expect(await snapshot(target)).toEqual(before);
  });

  it("answers 404 to an organization naming another organization's ids on its own paths", async () => {
    const target = await populatedTenant("target");
    const other = await populatedTenant("other");
    const before = await snapshot(target);
    const withIds = (await documentedOperations()).filter((o) => o.caller !== "operator" && /\{(id|deliveryId)\}/.test(o.template));
    expect(withIds.length).toBeGreaterThan(0);
    for (const operation of withIds) {
      const path = pathFor(operation, { ...target, tenant: other.tenant });
      const auth = operation.caller === "producer" ? { bearer: other.producerKey } : other.tenant.auth;
      const response = await call(operation.method, path, { auth, body: bodyFor(operation, other) });
      expectError(response, 404, "not_found");
      const text = answerText(response);
      for (const secret of target.private.filter((s) => !path.includes(s))) expect(text.includes(secret), `${operation.name} leaks ${secret}`).toBe(false);
    }
    expect(await snapshot(target)).toEqual(before);
  });

  it("never lists another organization's data", async () => {
    const target = await populatedTenant("target");
    const other = await createTenant("other");
    for (const operation of (await documentedOperations()).filter((o) => o.method === "GET" && o.caller === "admin" && !o.template.includes("{id}"))) {
      const response = await call("GET", operation.template.replace("{org}", other.org), { auth: other.auth });
      expect(response.status, operation.name).toBe(200);
      expect(response.body.totalRecords, operation.name).toBe(0);
      for (const secret of target.private) expect(JSON.stringify(response.body).includes(secret)).toBe(false);
    }
  });
});
