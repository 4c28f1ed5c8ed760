// SSRF refusals, the ingest rate limit, where keys and secrets may (not) appear, the page's signed
// session cookie and its forms' origin check.
import { describe, expect, it } from "vitest";
import { env, exports } from "cloudflare:workers";
import { refusedUrlReason } from "../../src/delivery/url-policy";
import { createWebhook } from "../../src/webhooks/lifecycle";
import { hashesMatch, hashSecret, parseApiKey } from "../../src/db/api-keys";
import { timingSafeEqualText } from "../../src/http/auth";
import { call, createKey, createTenant, pageSession, webhooksPath, type Call } from "./helpers";
import { signedIn } from "./page-helpers";
import { enabledWebhook, finalDeliveries, postEvent, producerTenant, receiverUrl, storedEvents, type Producer } from "./delivery-helpers";
import { captureLogs, failing, SECRET_SHAPES } from "./log-capture";

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
    // Each range's ends; the neighbours outside them are among the allowed below.
    "http://0.255.255.255/hook",
    "http://10.255.255.255/hook",
    "http://100.64.0.0/hook",
    "http://100.127.255.255/hook",
    "http://169.254.0.0/hook",
    "http://169.254.255.255/hook",
    "http://192.0.0.0/hook",
    "http://192.0.0.255/hook",
    "http://192.168.255.255/hook",
    "http://198.18.0.0/hook",
    "http://198.19.255.255/hook",
    "http://224.0.0.1/hook",
    "http://239.255.255.250/hook",
    "http://240.0.0.1/hook",
    "http://255.255.255.255/hook",
    "http://[::2]/hook",
    "http://[::127.0.0.1]/hook",
    "http://[64:ff9b::10.0.0.1]/hook",
    "http://[::ffff:100.64.0.1]/hook",
    "http://[fc00::1]/hook",
    "http://[fdff:ffff::1]/hook",
    "http://[febf::1]/hook",
    "http://[ff02::1]/hook",
  ];
  for (const url of refused) {
    it(`refuses ${url}`, () => {
      expect(refusedUrlReason(url, false)).toMatch(/points at/);
    });
  }

  const allowed = [
    "https://my.system.com/webhook/wink",
    "http://8.8.8.8/hook",
    "http://172.32.0.1/hook",
    "http://[2606:4700::1111]/hook",
    "http://11.0.0.1/",
    "http://1.0.0.0/",
    "http://9.255.255.255/",
    "http://100.63.255.255/",
    "http://100.128.0.0/",
    "http://126.255.255.255/",
    "http://128.0.0.0/",
    "http://169.253.255.255/",
    "http://169.255.0.0/",
    "http://172.15.255.255/",
    "http://191.255.255.255/",
    "http://192.0.1.0/",
    "http://192.167.255.255/",
    "http://192.169.0.0/",
    "http://198.17.255.255/",
    "http://198.20.0.0/",
    "http://223.255.255.255/",
    "http://[::ffff:8.8.8.8]/",
    "http://[::8.8.8.8]/",
    "http://[64:ff9b::8.8.8.8]/",
    "http://[fe00::1]/",
    "http://[fec0::1]/",
    "http://[fb00::1]/",
  ];
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

/** Posts events with one key, 11 at a time, until one is refused with 429 (the test limit is 60 per 10 s). */
async function postUntilLimited(tenant: Producer) {
  const answers: Call[] = [];
  while (!answers.some((a) => a.status === 429) && answers.length < 200) {
    answers.push(...(await Promise.all(Array.from({ length: 11 }, (_, n) => postEvent(tenant, { type: "booking.created", data: { n } })))));
  }
  return answers;
}

describe("the ingest rate limit", () => {
  it("answers 429 with Retry-After once a producer key is over its rate", async () => {
    const tenant = await producerTenant();
    // The test limit is 60 per 10 s window. 121 posts made within 10 s span at most two windows, so
    // one of them is over its 60 however the posts fall, and every post is either accepted or limited.
    const answers = [];
    for (let i = 0; i < 121; i += 11) {
      answers.push(...(await Promise.all(Array.from({ length: 11 }, (_, j) => postEvent(tenant, { type: "booking.created", data: { i: i + j } })))));
    }
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 202).length).toBeGreaterThanOrEqual(60);
    expect(answers.every((a) => a.status === 202 || a.status === 429)).toBe(true);
    // The seconds left in the key's 10 s window.
    expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited[0]!.headers.get("retry-after"))).toBeLessThanOrEqual(10);
    expect(limited[0]!.body.error.code).toBe("rate_limited");
  });

  it("does not let requests with a wrong secret spend a key's budget", async () => {
    const tenant = await producerTenant();
    const forged = { ...tenant, producerKey: tenant.producerKey.replace(/.$/, (last) => (last === "0" ? "1" : "0")) };
    for (let i = 0; i < 121; i += 11) {
      const answers = await Promise.all(Array.from({ length: 11 }, () => postEvent(forged, { type: "booking.created", data: {} })));
      expect(answers.every((a) => a.status === 401)).toBe(true);
    }
    expect((await postEvent(tenant, { type: "booking.created", data: {} })).status).toBe(202);
  });

  it("stores nothing for a request it refuses", async () => {
    const tenant = await producerTenant();
    const answers = await postUntilLimited(tenant);
    const accepted = answers.filter((a) => a.status === 202).map((a) => a.body.id).sort();
    expect(answers.some((a) => a.status === 429)).toBe(true);
    expect((await storedEvents(tenant.org)).map((e) => e.id).sort()).toEqual(accepted);
  });
});

describe("secrets and keys", () => {
  const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  const sha256 = async (text: string) => hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  it("never writes a key, a signing secret or a key hash to the log, even when queries holding them fail", async () => {
    const tenant = await producerTenant();
    const known: string[] = [tenant.key, tenant.producerKey];
    const answers: unknown[] = [];
    const log = (await captureLogs(async () => {
      const hook = await enabledWebhook(tenant, receiverUrl(crypto.randomUUID()));
      const secret = (await call("GET", `${webhooksPath(tenant.org, hook.id)}/secret`, { auth: tenant.auth })).body.key;
      known.push(secret);
      await call("POST", `${webhooksPath(tenant.org, hook.id)}/secret/rotate`, { auth: tenant.auth });
      known.push((await call("GET", `${webhooksPath(tenant.org, hook.id)}/secret`, { auth: tenant.auth })).body.key);
      known.push(await createKey(tenant.org, { email: "ann@example.com", role: "admin" }));
      // Each of these fails inside D1 with a secret or a key hash among the statement's values.
      answers.push(await failing("webhooks", "UPDATE", tenant.org, () => call("POST", `${webhooksPath(tenant.org, hook.id)}/secret/rotate`, { auth: tenant.auth })));
      answers.push(await failing("api_keys", "INSERT", tenant.org, () => call("POST", `/v1/admin/organizations/${tenant.org}/keys`, { auth: { bearer: "test-admin-token" }, body: { email: "bob@example.com", role: "admin" } })));
      answers.push(await failing("webhooks", "INSERT", tenant.org, () => call("POST", webhooksPath(tenant.org), { auth: tenant.auth, body: { name: "x", postURL: "https://x.example/hook" } })));
      await call("GET", webhooksPath(tenant.org), { auth: { bearer: `${tenant.key.slice(0, -1)}X` } });
      await postEvent(tenant, { type: "booking.created", data: { n: 1 } });
      await finalDeliveries(tenant, hook.id, 1);
    })).join("\n");
    expect(answers.map((a: any) => a.status)).toEqual([500, 500, 500]);
    expect(log).toMatch(/query failed/);
    const hashes = await Promise.all(known.flatMap((k) => parseApiKey(k) ?? []).map(({ secret }) => sha256(secret)));
    for (const secret of [...known, ...hashes, "test-admin-token"]) expect(log.includes(secret), `log holds ${secret}`).toBe(false);
    for (const shape of SECRET_SHAPES) expect(log).not.toMatch(shape);
    for (const answer of answers) for (const shape of SECRET_SHAPES) expect(JSON.stringify((answer as any).body)).not.toMatch(shape);
  });

  it("keeps keys and secrets out of lists, and never echoes a presented key in an error", async () => {
    const tenant = await producerTenant();
    const hook = await enabledWebhook(tenant, "https://lists.example/hook");
    const secret = (await call("GET", `${webhooksPath(tenant.org, hook.id)}/secret`, { auth: tenant.auth })).body.key;
    const lists = [
      await call("GET", `/v1/admin/organizations/${tenant.org}/keys`, { auth: { bearer: "test-admin-token" } }),
      await call("GET", webhooksPath(tenant.org), { auth: tenant.auth }),
      await call("GET", webhooksPath(tenant.org, hook.id), { auth: tenant.auth }),
    ];
    const forged = `${tenant.key.slice(0, -4)}AAAA`;
    const refused = await call("GET", webhooksPath(tenant.org), { auth: { bearer: forged } });
    expect(refused.status).toBe(401);
    for (const answer of [...lists, refused]) {
      const text = `${JSON.stringify(answer.body)} ${[...answer.headers].join(" ")}`;
      for (const value of [tenant.key, tenant.producerKey, secret, forged, await sha256(parseApiKey(tenant.key)!.secret)]) expect(text.includes(value)).toBe(false);
      for (const shape of SECRET_SHAPES) expect(text).not.toMatch(shape);
    }
  });

  it("stores only the SHA-256 of a key's secret part", async () => {
    const tenant = await producerTenant();
    const { keyId, secret } = parseApiKey(tenant.key)!;
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(keyId).first<Record<string, unknown>>();
    expect(row!.secret_hash).toBe(await sha256(secret!));
    for (const value of Object.values(row!)) {
      expect(String(value)).not.toContain(secret);
      expect(String(value)).not.toContain(tenant.key);
    }
  });

  it("compares keys and the admin token by digest, whatever their lengths", async () => {
    const { secret } = parseApiKey((await producerTenant()).key)!;
    expect(hashesMatch(await hashSecret(secret!), await sha256(secret!))).toBe(true);
    expect(hashesMatch(await hashSecret(`${secret}x`), await sha256(secret!))).toBe(false);
    expect(hashesMatch(await hashSecret(secret!), "short")).toBe(false);
    expect(await timingSafeEqualText("test-admin-token", "test-admin-token")).toBe(true);
    expect(await timingSafeEqualText("test-admin-token", "test-admin-token-longer")).toBe(false);
    expect(await timingSafeEqualText("", "x")).toBe(false);
  });
});

describe("the page's forms", () => {
  it("are refused from another origin, even with the session's token", async () => {
    const page = await signedIn(await createTenant());
    const answer = await page.submit("/ui/webhooks", "/ui/sign-out", {}, { origin: "https://evil.example" });
    expect(answer.status).toBe(403);
    expect(answer.html).toContain("the form was sent from https://evil.example, not from this site");
  });

  it("are refused from a cross-site page that sends no Origin", async () => {
    const page = await signedIn(await createTenant());
    const answer = await page.submit("/ui/webhooks", "/ui/sign-out", {}, { "sec-fetch-site": "cross-site" });
    expect(answer.status).toBe(403);
    expect(answer.html).toContain("the form was sent from a cross-site page");
  });

  it("are taken on the token alone from a client that sends neither Origin nor Sec-Fetch-Site", async () => {
    const page = await signedIn(await createTenant());
    const answer = await page.submit("/ui/webhooks", "/ui/sign-out", {}, {});
    expect(answer.status).toBe(303);
  });
});

describe("the page's session cookie", () => {
  it("signs nobody in once its value is changed", async () => {
    const session = async () => /__Host-ewk_session=([^;]+)/.exec(await pageSession(await createTenant()))![1]!;
    const [one, two] = [await session(), await session()];
    const show = (value: string) =>
      exports.default.fetch(new Request("https://webhooks.test/ui/webhooks", { headers: { cookie: `__Host-ewk_session=${value}` }, redirect: "manual" }));
    expect((await show(one)).status).toBe(200);
    // One session's value under another's signature.
    const forged = one.slice(0, one.lastIndexOf(".")) + two.slice(two.lastIndexOf("."));
    const answer = await show(forged);
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/ui/sign-in");
  });
});
