import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createKey, createTenant, expectError, reasonFor, seedWinkCatalog, webhooksPath } from "./helpers";

describe("the HTTP surface", () => {
  it("answers /healthz", async () => {
    const response = await call("GET", "/healthz");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true });
  });

  it("answers an unknown path with 404 in the error shape", async () => {
    const response = await call("GET", "/v1/nothing-here");
    expect(expectError(response, 404, "not_found")).toEqual(["path"]);
  });
});

describe("a wrong method on a known path", () => {
  it("is 405 with Allow listing the webhook item's methods", async () => {
    const tenant = await createTenant();
    const response = await call("PATCH", webhooksPath(tenant.org, crypto.randomUUID()), { auth: tenant.auth, body: { name: "x" } });
    expectError(response, 405, "method_not_allowed");
    expect(response.headers.get("allow")?.split(", ").sort()).toEqual(["DELETE", "GET", "HEAD", "POST", "PUT"]);
  });

  it("is 405 with Allow on the webhooks collection", async () => {
    const tenant = await createTenant();
    const response = await call("DELETE", webhooksPath(tenant.org), { auth: tenant.auth });
    expectError(response, 405, "method_not_allowed");
    expect(response.headers.get("allow")?.split(", ").sort()).toEqual(["GET", "HEAD", "POST"]);
  });

  it("is 405 with Allow on /healthz", async () => {
    const response = await call("POST", "/healthz", { body: {} });
    expectError(response, 405, "method_not_allowed");
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers HEAD where Allow lists it", async () => {
    expect((await call("HEAD", "/healthz")).status).toBe(200);
  });
});

describe("request bodies", () => {
  it("refuses malformed JSON with 400 saying where it broke, and writes nothing", async () => {
    const tenant = await createTenant();
    const response = await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body: '{"name": "w", "postURL": }' });
    expect(expectError(response, 400, "malformed_json")).toEqual(["body"]);
    expect(reasonFor(response, "body")).toMatch(/^line 1, column 26: /);
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });

  it("refuses an object naming a field twice with 400 naming the field, and writes nothing", async () => {
    const tenant = await createTenant();
    const response = await call("POST", webhooksPath(tenant.org), {
      auth: tenant.auth,
      body: '{"name": "one", "postURL": "https://a.example/hook", "name": "two"}',
    });
    expect(expectError(response, 400, "invalid_request")).toEqual(["name"]);
    expect(reasonFor(response, "name")).toMatch(/^line 1, column 54: given more than once/);
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });

  it("refuses a body over MAX_BODY_BYTES with 413, and writes nothing", async () => {
    const tenant = await createTenant();
    const limit = Number(env.MAX_BODY_BYTES);
    expect(limit).toBeGreaterThan(0);
    const body = JSON.stringify({ name: "big", postURL: "https://example.com/hook", description: "x".repeat(limit) });
    const response = await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body });
    expect(expectError(response, 413, "payload_too_large")).toEqual(["body"]);
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });

  it("refuses an oversized chunked body that declares no length with 413", async () => {
    const tenant = await createTenant();
    const chunk = new TextEncoder().encode("x".repeat(Math.ceil(Number(env.MAX_BODY_BYTES) / 4)));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"name":"big","description":"'));
        if (sent >= 5) return controller.close();
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const response = await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body: stream });
    expect(expectError(response, 413, "payload_too_large")).toEqual(["body"]);
  });

  it("refuses a page form over MAX_BODY_BYTES with a 413 page", async () => {
    const response = await call("POST", "/ui/sign-in", {
      body: `email=${"x".repeat(Number(env.MAX_BODY_BYTES))}`,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://webhooks.test" },
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.body).toContain("The request body is larger than");
  });

  it("refuses a body that is not JSON with 415", async () => {
    const tenant = await createTenant();
    const response = await call("POST", webhooksPath(tenant.org), {
      auth: tenant.auth,
      body: JSON.stringify({ name: "w", postURL: "https://example.com/hook" }),
      headers: { "content-type": "text/plain" },
    });
    expect(expectError(response, 415, "unsupported_media_type")).toEqual(["content-type"]);
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });

  it("refuses a form post to the JSON API with 415", async () => {
    const tenant = await createTenant();
    const response = await call("POST", webhooksPath(tenant.org), {
      auth: tenant.auth,
      body: "name=w&postURL=https%3A%2F%2Fexample.com%2Fhook",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(expectError(response, 415, "unsupported_media_type")).toEqual(["content-type"]);
  });

  it("refuses an empty body sent as JSON with 400 naming the body", async () => {
    const tenant = await createTenant();
    const response = await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body: "", headers: { "content-type": "application/json" } });
    expect(expectError(response, 400, "malformed_json")).toEqual(["body"]);
  });

  it("refuses an empty event post sent as JSON with 400 naming the body", async () => {
    const tenant = await createTenant();
    const producer = await createKey(tenant.org, { email: "producer@example.com", role: "producer", source: "wink" });
    const response = await call("POST", `/v1/organizations/${tenant.org}/events`, { auth: { bearer: producer }, body: "", headers: { "content-type": "application/json" } });
    expect(expectError(response, 400, "malformed_json")).toEqual(["body"]);
  });

  it("reads a structured-syntax JSON type (application/vnd.api+json) as JSON", async () => {
    const tenant = await createTenant();
    const response = await call("POST", webhooksPath(tenant.org), {
      auth: tenant.auth,
      body: JSON.stringify({ name: "w", postURL: "https://example.com/hook" }),
      headers: { "content-type": "application/vnd.api+json" },
    });
    expect(response.status).toBe(201);
  });

  it("reads as JSON every JSON type RFC 9110 allows: spaces around ';', an empty parameter, digits and '+' in the name", async () => {
    const tenant = await createTenant();
    const types = ["application/a+b+json", "application/vnd.acme.v2+json", "application/json ;charset=utf-8", "application/json;", 'Application/JSON ; charset="utf-8"'];
    for (const [i, type] of types.entries()) {
      const response = await call("POST", webhooksPath(tenant.org), {
        auth: tenant.auth,
        body: JSON.stringify({ name: `w${i}`, postURL: "https://example.com/hook" }),
        headers: { "content-type": type },
      });
      expect(response.status, type).toBe(201);
      expect(response.body.name, type).toBe(`w${i}`);
    }
  });

  it("takes an event from a producer whose client puts a space before ';'", async () => {
    const tenant = await createTenant();
    await seedWinkCatalog(tenant);
    const producer = await createKey(tenant.org, { email: "producer@example.com", role: "producer", source: "wink" });
    const response = await call("POST", `/v1/organizations/${tenant.org}/events`, {
      auth: { bearer: producer },
      body: JSON.stringify({ type: "booking.created", data: { bookingId: "B-1" } }),
      headers: { "content-type": "application/json ; charset=UTF-8" },
    });
    expect(response.status).toBe(202);
    expect(response.body.type).toBe("booking.created");
  });

  it("refuses with 415, naming the field, a type that is not JSON's", async () => {
    const tenant = await createTenant();
    for (const type of ["application/jsonx", "text/json", "application/json, text/plain", "application/+json", "json"]) {
      const response = await call("POST", webhooksPath(tenant.org), {
        auth: tenant.auth,
        body: JSON.stringify({ name: "w", postURL: "https://example.com/hook" }),
        headers: { "content-type": type },
      });
      expect(expectError(response, 415, "unsupported_media_type"), type).toEqual(["content-type"]);
    }
    expect((await call("GET", webhooksPath(tenant.org), { auth: tenant.auth })).body.totalRecords).toBe(0);
  });

  it("answers an empty body sent with a JSON type the validators read differently as the empty body it is", async () => {
    const tenant = await createTenant();
    const response = await call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body: "", headers: { "content-type": "application/json ; charset=utf-8" } });
    expect(expectError(response, 400, "malformed_json")).toEqual(["body"]);
  });

  it("names the required fields when a create sends no body at all", async () => {
    const tenant = await createTenant();
    const response = await call("POST", webhooksPath(tenant.org), { auth: tenant.auth });
    expect(expectError(response, 400, "invalid_request")).toEqual(["name", "postURL"]);
  });

  it("accepts JSON with a charset parameter", async () => {
    const tenant = await createTenant();
    const response = await call("POST", webhooksPath(tenant.org), {
      auth: tenant.auth,
      body: JSON.stringify({ name: "w", postURL: "https://example.com/hook" }),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(response.status).toBe(201);
  });
});

describe("paths that differ from a route", () => {
  it("answers 404, not 405, for a known path with a trailing slash", async () => {
    const tenant = await createTenant();
    const response = await call("GET", `${webhooksPath(tenant.org)}/`, { auth: tenant.auth });
    expectError(response, 404, "not_found");
    expect(response.headers.get("allow")).toBeNull();
  });

  it("answers 404 for a path that only resembles a route", async () => {
    expectError(await call("GET", "/openapiXjson"), 404, "not_found");
  });
});

describe("the page's security headers", () => {
  it("are exactly the page's own: its CSP, no framing, nosniff, same-origin referrer, no caching", async () => {
    const response = await call("GET", "/ui/sign-in");
    expect(response.status).toBe(200);
    const sent = Object.fromEntries([...response.headers].filter(([name]) => !["content-type", "content-length", "set-cookie"].includes(name)));
    expect(sent).toEqual({
      "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
      "cache-control": "no-store",
    });
  });
});
