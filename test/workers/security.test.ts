// SSRF refusals and the ingest rate limit.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { refusedUrlReason } from "../../src/delivery/url-policy";
import { createWebhook } from "../../src/db/webhooks";
import { call, webhooksPath } from "./helpers";
import { postEvent, producerTenant } from "./delivery-helpers";

describe("the SSRF guard", () => {
  const refused = [
    "http://localhost/hook",
    "http://api.localhost/hook",
    "http://127.0.0.1/hook",
    "http://127.9.9.9:8080/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://172.31.255.255/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://0x7f.1/hook",
    "http://127.1/hook",
    "http://metadata.google.internal/computeMetadata/v1",
    "http://printer.local/hook",
  ];
  for (const url of refused) {
    it(`refuses ${url}`, () => {
      expect(refusedUrlReason(url, false)).toMatch(/points at/);
    });
  }

  const allowed = ["https://my.system.com/webhook/wink", "http://8.8.8.8/hook", "http://172.32.0.1/hook", "http://[2606:4700::1111]/hook", "http://11.0.0.1/"];
  for (const url of allowed) {
    it(`allows ${url}`, () => {
      expect(refusedUrlReason(url, false)).toBeNull();
    });
  }

  it("allows loopback when local development says so", () => {
    expect(refusedUrlReason("http://127.0.0.1:8787/hook", true)).toBeNull();
  });

  it("refuses to create a webhook pointing inside, naming postURL", async () => {
    const tenant = await producerTenant();
    const principal = { keyId: "k", orgId: tenant.org, email: "joe@example.com", role: "admin" as const, source: null };
    const attempt = createWebhook({ ...env, ALLOW_PRIVATE_URLS: "false" }, principal, { name: "inside", postUrl: "http://169.254.169.254/" }, false);
    await expect(attempt).rejects.toMatchObject({ status: 400, details: [{ field: "postURL", reason: expect.stringContaining("169.254.169.254") }] });
    const list = await call("GET", webhooksPath(tenant.org), { auth: tenant.auth });
    expect(list.body.totalRecords).toBe(0);
  });
});

describe("the ingest rate limit", () => {
  it("answers 429 with Retry-After once a producer key is over its rate", async () => {
    const tenant = await producerTenant();
    const answers = [];
    for (let i = 0; i < 70; i++) answers.push(await postEvent(tenant, { type: "booking.created", data: { i } }));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.slice(0, 60).every((a) => a.status === 202)).toBe(true);
    expect(limited[0]!.headers.get("retry-after")).toBe("10");
    expect(limited[0]!.body.error.code).toBe("rate_limited");
  });
});
