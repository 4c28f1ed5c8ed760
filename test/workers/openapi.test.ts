import { describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { call } from "./helpers";
import { PUBLIC_PATHS } from "./route-table";

const METHODS = ["get", "post", "put", "patch", "delete"];

/** Every operation the API serves, as "METHOD /path/{param}". */
const OPERATIONS = [
  "GET /healthz",
  "GET /readyz",
  "POST /v1/admin/organizations",
  "GET /v1/admin/organizations",
  "GET /v1/admin/organizations/{org}",
  "PATCH /v1/admin/organizations/{org}",
  "POST /v1/admin/organizations/{org}/keys",
  "GET /v1/admin/organizations/{org}/keys",
  "DELETE /v1/admin/organizations/{org}/keys/{keyId}",
  "GET /v1/admin/event-logs",
  "GET /v1/admin/organizations/{org}/event-log",
  "GET /v1/admin/organizations/{org}/webhook-storage",
  "POST /v1/admin/organizations/{org}/event-log/redrive",
  "POST /v1/organizations/{org}/entities",
  "GET /v1/organizations/{org}/entities",
  "GET /v1/organizations/{org}/entities/{id}",
  "DELETE /v1/organizations/{org}/entities/{id}",
  "POST /v1/organizations/{org}/event-types",
  "GET /v1/organizations/{org}/event-types",
  "GET /v1/organizations/{org}/event-types/{id}",
  "DELETE /v1/organizations/{org}/event-types/{id}",
  "GET /v1/mint/organizations/{org}/webhooks",
  "POST /v1/mint/organizations/{org}/webhooks",
  "GET /v1/mint/organizations/{org}/webhooks/{id}",
  "PUT /v1/mint/organizations/{org}/webhooks/{id}",
  "POST /v1/mint/organizations/{org}/webhooks/{id}",
  "DELETE /v1/mint/organizations/{org}/webhooks/{id}",
  "GET /v1/mint/organizations/{org}/webhooks/{id}/deliveries",
  "GET /v1/mint/organizations/{org}/webhooks/{id}/deliveries/{deliveryId}",
  "POST /v1/mint/organizations/{org}/webhooks/{id}/deliveries/{deliveryId}/retry",
  "POST /v1/mint/organizations/{org}/webhooks/{id}/recover",
  "POST /v1/mint/organizations/{org}/webhooks/{id}/test",
  "GET /v1/mint/organizations/{org}/webhooks/{id}/secret",
  "POST /v1/mint/organizations/{org}/webhooks/{id}/secret/rotate",
  "GET /v1/mint/organizations/{org}/webhooks/{id}/stats",
  "POST /v1/organizations/{org}/events",
  "GET /v1/organizations/{org}/events",
  "GET /v1/organizations/{org}/events/{id}",
  "GET /v1/organizations/{org}/events/{id}/deliveries",
  "POST /v1/organizations/{org}/usage",
  "POST /v1/organizations/{org}/portal-links",
  "POST /v1/mint/organizations/{org}/notification-conditions",
  "GET /v1/mint/organizations/{org}/notification-conditions",
  "GET /v1/mint/organizations/{org}/notification-conditions/{id}",
  "PUT /v1/mint/organizations/{org}/notification-conditions/{id}",
  "DELETE /v1/mint/organizations/{org}/notification-conditions/{id}",
];

async function document() {
  const response = await call("GET", "/openapi.json");
  expect(response.status).toBe(200);
  const operations = Object.entries(response.body.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ name: `${m.toUpperCase()} ${path}`, path, op: item[m] })),
  );
  return { doc: response.body, operations };
}

describe("/openapi.json", () => {
  it("is an OpenAPI 3.1 document listing every operation", async () => {
    const { doc, operations } = await document();
    expect(doc.openapi).toBe("3.1.0");
    expect(operations.map((o) => o.name).sort()).toEqual([...OPERATIONS].sort());
  });

  it("documents every route the app serves", async () => {
    const { operations } = await document();
    const documented = new Set(operations.map((o) => o.name));
    const served = app.routes
      // The web page (/ui, and / that opens it) is HTML for people, not part of the API.
      .filter((r) => r.method !== "ALL" && r.path !== "/openapi.json" && r.path !== "/docs" && r.path !== "/" && !r.path.startsWith("/ui"))
      .map((r) => `${r.method} ${r.path.replace(/\/$/, "").replace(/:([^/]+)/g, "{$1}")}`);
    expect(served.length).toBeGreaterThan(0);
    for (const route of served) expect(documented, route).toContain(route);
  });

  it("documents the error answers of every operation in the error shape", async () => {
    const { doc, operations } = await document();
    expect(doc.components.schemas.Error.properties.error.required).toEqual(["code", "message", "details"]);
    for (const { name, path, op } of operations) {
      const statuses = Object.keys(op.responses);
      const expected = PUBLIC_PATHS.includes(path) ? ["405"] : path.startsWith("/v1/admin") ? ["400", "401", "404", "405"] : ["400", "401", "403", "404", "405"];
      // Every body sent is read and checked, whether the route takes one or not.
      if (!name.startsWith("GET ")) expected.push("413", "415");
      for (const status of expected) expect(statuses, `${name} ${status}`).toContain(status);
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        expect(op.responses[status].content["application/json"].schema, `${name} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
      }
    }
  });

  it("names every operation once (operationId), for client generators", async () => {
    const { operations } = await document();
    const ids = operations.map(({ op }) => op.operationId);
    for (const [i, id] of ids.entries()) expect(id, operations[i]!.name).toMatch(/^[a-z][A-Za-z]+$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("says how each tenant and operator route authenticates", async () => {
    const { doc, operations } = await document();
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["adminToken", "basicAuth", "bearerAuth"]);
    for (const { name, path, op } of operations.filter((o) => !PUBLIC_PATHS.includes(o.path))) {
      const schemes = op.security.map((s: object) => Object.keys(s)[0]);
      // Portal links are minted by the organization's backend (admin key) or by the operator.
      const expected = path.startsWith("/v1/admin") ? ["adminToken"] : path.endsWith("/portal-links") ? ["basicAuth", "bearerAuth", "adminToken"] : ["basicAuth", "bearerAuth"];
      expect(schemes, name).toEqual(expected);
    }
  });

  it("describes the webhook with the seed's field names", async () => {
    const { doc } = await document();
    expect(Object.keys(doc.components.schemas.Webhook.properties)).toEqual(
      expect.arrayContaining(["created", "createdBy", "enabled", "id", "name", "orgId", "postUrl", "updated", "updatedBy"]),
    );
    expect(Object.keys(doc.components.schemas.CreateWebhook.properties)).toEqual(expect.arrayContaining(["name", "postURL"]));
  });
});

describe("/docs", () => {
  it("renders the API reference from the document", async () => {
    const response = await call("GET", "/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html: string = response.body;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<title>Edge Webhooks API reference</title>");
    for (const operation of OPERATIONS) {
      const [method, path] = operation.split(" ");
      expect(html, operation).toContain(`id="${method!.toLowerCase()}-${path}"`);
    }
    expect(html).toContain('id="schema-Webhook"');
    expect(html).toContain('href="/openapi.json"');
  });
});
