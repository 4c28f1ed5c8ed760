// Bad input at every documented operation (fast-check): random and mutated JSON bodies, wrong
// content types, huge and deeply nested bodies, odd unicode, path and query junk, duplicate keys.
// Every answer is a 4xx in the error shape, never a 5xx, and the organization's data is unchanged.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, call, createKey, expectError, type Auth } from "./helpers";
import { bodyFor, documentedOperations, pathFor, populatedTenant, snapshot, type Operation, type Populated } from "./route-table";

const RUNS = 40;
const MAX_BODY_BYTES = 102_400;

interface BadRequest {
  /** Which kind of bad input, for the failure message. */
  kind: string;
  path: string;
  body?: string;
  contentType?: string;
}

const operations = await documentedOperations();
let data: Populated;
/** Producer keys made before the first snapshot, taken in turn so none reaches the ingest rate limit. */
let ingestKeys: string[];

beforeAll(async () => {
  data = await populatedTenant("fuzz");
  ingestKeys = await Promise.all(
    Array.from({ length: 3 }, () => createKey(data.tenant.org, { email: "fuzz@example.com", role: "producer", source: "wink" })),
  );
});

/** Every byte percent-encoded, so any string (lone surrogates included) can go into a URL. */
const percentEncoded = (text: string) => Array.from(new TextEncoder().encode(text), (b) => `%${b.toString(16).padStart(2, "0")}`).join("");

const oddText = fc.oneof(
  fc.string({ unit: "binary", minLength: 1 }),
  fc.string({ unit: "grapheme", minLength: 1 }),
  fc.constantFrom("\u0000", "\ud800", "\udfff", "\u202eevil", "\ufeff", "\u200b", "𝕏𝕐", "é", "..", "%00", "' OR 1=1 --", "<script>", "../../etc/passwd", "a".repeat(5000)),
);

/** Extra query parameters nobody asked for. */
const junkQuery = fc.array(fc.tuple(oddText, oddText), { maxLength: 3 }).map((pairs) => pairs.map(([k, v]) => `${percentEncoded(k)}=${percentEncoded(v)}`));

/** A value of another kind than `valid`: never an array or object where one is expected, always one where a scalar is. */
const wrongType = (valid: unknown) =>
  Array.isArray(valid)
    ? fc.oneof(fc.constant(null), fc.integer(), fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1, maxKeys: 3 }))
    : valid !== null && typeof valid === "object"
      ? fc.oneof(fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.integer())
      : fc.oneof(fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1, maxKeys: 3 }));

const deeplyNested = fc.integer({ min: 1_000, max: 20_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`);

const wrongContentType = fc.oneof(
  fc.constantFrom("text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/jsonx", "json"),
  fc.string({ unit: "grapheme-ascii", maxLength: 30 }).map((s) => `text/${s.replace(/[^\x21-\x7e]/g, "")}`),
);

function withQuery(path: string, extra: string[]) {
  return extra.length ? `${path}?${extra.join("&")}` : path;
}

/** Bodies the operation must refuse (it takes a JSON body; `valid` is one it would accept). */
function badBodies(valid: Record<string, unknown>): fc.Arbitrary<Omit<BadRequest, "path">>[] {
  const json = JSON.stringify(valid);
  const fields = Object.keys(valid);
  const refusals: fc.Arbitrary<Omit<BadRequest, "path">>[] = [
    fc.tuple(oddText, fc.jsonValue()).map(([key, value]) => ({ kind: "unknown field", body: JSON.stringify({ ...valid, [`x-${key}`]: value }) })),
    fc.jsonValue().filter((v) => v === null || typeof v !== "object" || Array.isArray(v)).map((v) => ({ kind: "not an object", body: JSON.stringify(v) })),
    deeplyNested.map((nested) => ({ kind: "deeply nested", body: `{"x-deep":${nested}${json === "{}" ? "" : `,${json.slice(1, -1)}`}}` })),
    deeplyNested.map((nested) => ({ kind: "deeply nested body", body: nested })),
    fc.integer({ min: 1, max: Math.max(1, json.length - 1) }).map((cut) => ({ kind: "cut short", body: json.slice(0, cut) })),
    fc.integer({ min: MAX_BODY_BYTES + 1, max: MAX_BODY_BYTES * 3 }).map((size) => ({ kind: "huge", body: JSON.stringify({ ...valid, "x-padding": "a".repeat(size) }) })),
    wrongContentType.map((contentType) => ({ kind: "wrong content type", body: json, contentType })),
  ];
  if (fields.length > 0) {
    refusals.push(
      fc
        .constantFrom(...fields)
        .chain((field) => wrongType(valid[field]).map((value) => ({ kind: `wrong type for ${field}`, body: JSON.stringify({ ...valid, [field]: value }) }))),
      fc.tuple(fc.constantFrom(...fields), fc.jsonValue()).map(([field, value]) => ({
        kind: `duplicate key ${field}`,
        body: `{${JSON.stringify(field)}:${JSON.stringify(value)},${json.slice(1)}`,
      })),
    );
  }
  return refusals;
}

/** For operations without a body: anything sent must still be refused if it is not JSON, too big or broken. */
const badStrayBodies: fc.Arbitrary<Omit<BadRequest, "path">>[] = [
  wrongContentType.map((contentType) => ({ kind: "wrong content type", body: '{"a":1}', contentType })),
  fc.integer({ min: MAX_BODY_BYTES + 1, max: MAX_BODY_BYTES * 2 }).map((size) => ({ kind: "huge", body: JSON.stringify({ a: "a".repeat(size) }) })),
  fc.string({ unit: "grapheme", minLength: 1 }).filter((text) => { try { JSON.parse(text); return false; } catch { return text.trim() !== ""; } }).map((body) => ({ kind: "not JSON", body })),
];

/** Query values the parameter's schema refuses, or none when any value would do. */
function badQueryValues(schema: Record<string, any>): fc.Arbitrary<string> | null {
  if (schema.type === "integer" || schema.type === "number") {
    const outOfBounds = [schema.minimum - 1, schema.maximum + 1].filter(Number.isFinite).map(String);
    return fc.constantFrom("abc", "1.5", "NaN", "0x", "null", ...outOfBounds);
  }
  if (Array.isArray(schema.enum)) return oddText.filter((v) => !schema.enum.includes(v));
  if (schema.type === "string" && schema.maxLength !== undefined) return fc.constant("q".repeat(schema.maxLength + 1));
  if (schema.type === "string" && schema.pattern !== undefined) return fc.constant("NOT A NAME!");
  return null;
}

/** One request the operation must refuse. */
function badRequests(operation: Operation): fc.Arbitrary<BadRequest> {
  const path = pathFor(operation, data);
  const params = [...operation.template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const body = bodyFor(operation, data);
  const validBody = body === undefined ? undefined : JSON.stringify(body);
  const choices: fc.Arbitrary<BadRequest>[] = [];
  // A path parameter replaced by junk (or a well-formed id that does not exist), or a junk segment added.
  choices.push(
    fc
      .tuple(fc.constantFrom(...(params.length ? params : ["(none)"])), fc.oneof(oddText, fc.uuid().map(String), fc.constant("a".repeat(300))), junkQuery)
      .map(([param, junk, extra]) => {
        const template = params.length ? operation.template.replace(`{${param}}`, percentEncoded(junk)) : `${operation.template}/${percentEncoded(junk)}`;
        return { kind: `junk in {${param}}`, path: withQuery(pathFor({ ...operation, template }, data), extra), body: validBody };
      }),
  );
  if (operation.method === "GET") {
    for (const { name, schema } of operation.query) {
      const values = badQueryValues(schema);
      if (values) choices.push(fc.tuple(values, junkQuery).map(([value, extra]) => ({ kind: `bad ?${name}`, path: withQuery(path, [`${name}=${percentEncoded(value)}`, ...extra]) })));
    }
  } else {
    const bodies = body === undefined ? badStrayBodies : badBodies(body as Record<string, unknown>);
    for (const bad of bodies) choices.push(fc.tuple(bad, junkQuery).map(([b, extra]) => ({ ...b, path: withQuery(path, extra) })));
  }
  return fc.oneof(...choices);
}

/** The key each operation is called with. */
let ingestCalls = 0;
function authFor(operation: Operation): Auth {
  if (operation.caller === "operator") return admin;
  if (operation.caller !== "producer") return data.tenant.auth;
  return { bearer: ingestKeys[Math.floor(ingestCalls++ / 50) % ingestKeys.length]! };
}

describe("bad input at every documented operation", () => {
  for (const operation of operations) {
    it(`${operation.name}: 4xx in the error shape, data unchanged`, async () => {
      const before = await snapshot(data);
      await fc.assert(
        fc.asyncProperty(badRequests(operation), async (request) => {
          const response = await call(operation.method, request.path, {
            auth: authFor(operation),
            body: request.body,
            headers: request.contentType === undefined ? undefined : { "content-type": request.contentType },
          });
          const label = `${request.kind}: ${operation.method} ${request.path.slice(0, 200)} ${request.body?.slice(0, 200) ?? ""}`;
          expect(response.status, label).toBeGreaterThanOrEqual(400);
          expect(response.status, `${label}\n${JSON.stringify(response.body)}`).toBeLessThan(500);
          expectError(response, response.status, response.body.error.code);
        }),
        { numRuns: RUNS },
      );
      expect(await snapshot(data)).toEqual(before);
    });
  }
});

describe("a body sent to an operation that takes none", () => {
  const bodiless = operations.filter((operation) => operation.method !== "GET" && !operation.takesBody);

  it("is refused naming its fields, after the path is checked, and changes nothing", async () => {
    expect(bodiless.length).toBeGreaterThan(0);
    const before = await snapshot(data);
    for (const operation of bodiless) {
      const path = pathFor(operation, data);
      const refused = await call(operation.method, path, { auth: authFor(operation), body: { unexpected: true } });
      expect(expectError(refused, 400, "invalid_request"), operation.name).toEqual(["unexpected"]);
      if (!operation.template.endsWith("{id}")) continue;
      const badPath = await call(operation.method, path.replace(/[^/]+$/, "not-an-id"), { auth: authFor(operation), body: { unexpected: true } });
      expect(expectError(badPath, 400, "invalid_request"), operation.name).toEqual(["path.id"]);
    }
    expect(await snapshot(data)).toEqual(before);
  });

  it("passes when empty with a JSON content type, as many clients send one", async () => {
    for (const operation of bodiless) {
      // The last path parameter names nothing, so the call reaches its path check and changes nothing.
      const template = operation.template.replace(/\{(\w+)\}(?!.*\{)/, (_, param: string) => (param === "org" ? "no-such-org" : crypto.randomUUID()));
      const response = await call(operation.method, pathFor({ ...operation, template }, data), {
        auth: authFor(operation),
        body: "",
        headers: { "content-type": "application/json" },
      });
      // Refused for what the path names (no such thing, or a state it is in), never for the body.
      const fields = expectError(response, response.status, response.body.error.code);
      expect(response.body.error.code, operation.name).not.toBe("malformed_json");
      expect(fields, operation.name).not.toContain("body");
      expect(fields.length, operation.name).toBeGreaterThan(0);
    }
  });
});
