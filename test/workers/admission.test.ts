// Producer keys on the per-event path come from isolate memory: how often D1 is asked, and how
// soon a revocation made elsewhere takes effect.
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { cachedActiveKey, KEY_CACHE_MS, TooManyUnknownKeys, UNKNOWN_LOOKUPS_PER_SECOND } from "../../src/ingest/admission";
import { admin, call, createKey, createTenant } from "./helpers";
import { postEvent, producerTenant } from "./delivery-helpers";

/** The test D1, counting the statements that reach it. */
function countingD1() {
  const counted = { statements: 0 };
  const d1 = new Proxy(env.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop === "prepare") return (query: string) => (counted.statements++, target.prepare(query));
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { d1, counted };
}

const keyIdOf = (key: string) => key.split("_")[1]!;

describe("admission from isolate memory", () => {
  it("asks D1 about a key once per period, however many requests present it", async () => {
    const tenant = await createTenant();
    const keyId = keyIdOf(await createKey(tenant.org, { email: "p@example.com", role: "producer", source: "wink" }));
    const { d1, counted } = countingD1();
    const now = Date.now() + 10 * KEY_CACHE_MS;
    for (let i = 0; i < 50; i++) expect((await cachedActiveKey(d1, keyId, now + i))?.id).toBe(keyId);
    expect(counted.statements).toBe(1);
    await cachedActiveKey(d1, keyId, now + KEY_CACHE_MS);
    expect(counted.statements).toBe(2);
  });

  it("asks D1 about a key id that does not exist once per period, then answers from memory", async () => {
    const { d1, counted } = countingD1();
    const forged = "f".repeat(24);
    const now = Date.now() + 20 * KEY_CACHE_MS;
    for (let i = 0; i < 50; i++) expect(await cachedActiveKey(d1, forged, now + i)).toBeUndefined();
    expect(counted.statements).toBe(1);
  });

  it("stops a key revoked behind this isolate's back within KEY_CACHE_MS", async () => {
    const tenant = await createTenant();
    const keyId = keyIdOf(await createKey(tenant.org, { email: "p@example.com", role: "producer", source: "wink" }));
    const now = Date.now() + 30 * KEY_CACHE_MS;
    expect(await cachedActiveKey(env.DB, keyId, now)).toBeDefined();
    // Revoked through another isolate: this one is never told.
    await env.DB.prepare("UPDATE api_keys SET revoked = ? WHERE id = ?").bind(Date.now(), keyId).run();
    expect(await cachedActiveKey(env.DB, keyId, now + KEY_CACHE_MS - 1)).toBeDefined();
    expect(await cachedActiveKey(env.DB, keyId, now + KEY_CACHE_MS)).toBeUndefined();
  });

  it("refuses to look up more never-seen key ids per second than its budget of ids that exist nowhere, so forged keys cannot load D1", async () => {
    const { d1, counted } = countingD1();
    const second = (Math.floor(Date.now() / 1000) + 1_000_000) * 1000;
    const ids = Array.from({ length: UNKNOWN_LOOKUPS_PER_SECOND + 5 }, (_, i) => i.toString(16).padStart(24, "a"));
    const answers = await Promise.allSettled(ids.map((id) => cachedActiveKey(d1, id, second)));
    expect(answers.filter((a) => a.status === "fulfilled")).toHaveLength(UNKNOWN_LOOKUPS_PER_SECOND);
    expect(answers.filter((a) => a.status === "rejected").every((a) => (a as PromiseRejectedResult).reason instanceof TooManyUnknownKeys)).toBe(true);
    expect(counted.statements).toBe(UNKNOWN_LOOKUPS_PER_SECOND);
  });

  it("does not spend that budget on keys that exist", async () => {
    const tenant = await createTenant();
    const second = (Math.floor(Date.now() / 1000) + 2_000_000) * 1000;
    const keys = await Promise.all(
      Array.from({ length: UNKNOWN_LOOKUPS_PER_SECOND + 5 }, (_, i) => createKey(tenant.org, { email: `p${i}@example.com`, role: "producer", source: "wink" })),
    );
    for (const key of keys) expect((await cachedActiveKey(env.DB, keyIdOf(key), second))?.id).toBe(keyIdOf(key));
  });

  it("refuses an ingest request with a key revoked through this isolate at once", async () => {
    const tenant = await producerTenant();
    const body = { type: "booking.created", data: {} };
    expect((await postEvent(tenant, body)).status).toBe(202);
    const revoked = await call("DELETE", `/v1/admin/organizations/${tenant.org}/keys/${keyIdOf(tenant.producerKey)}`, { auth: admin });
    expect(revoked.status).toBe(204);
    expect((await postEvent(tenant, body)).status).toBe(401);
  });
});
