// The API is what /openapi.json says it is (fast-check, fixed seed): requests made from the document
// itself, each valid by it, at every operation. None is refused for a reason the document could
// have stated, none answers 5xx, and every answer is one the operation documents, in its shape.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, call, createKey, type Auth } from "./helpers";
import { documentedOperations, pathFor, populatedTenant, type Operation, type Populated } from "./route-table";
import { check, hinted, resolveRefs, valueOf, type Hints, type Schema } from "./openapi-schema-arbitrary";

const RUNS = 20;
const SEED = 16;

/**
 * The refusals of a valid request that JSON Schema cannot state (each is in the document's
 * descriptions): data a field names must exist, and two fields must agree.
 */
const REFUSALS_THE_DOCUMENT_CANNOT_STATE: { field: RegExp; reason: RegExp }[] = [
  // the entity must exist on the webhook's source (the source may come from the stored webhook), or on the events' source
  { field: /^(events\.\d+\.)?entity$/, reason: /^no entity named .* exists|^needs a source/ },
  // an event's type must be in its source's catalog
  { field: /^(events\.\d+\.)?type$/, reason: /is not an event type of .* in the catalog$/ },
  // event types must be in the source's catalog
  { field: /^events(\.\d+)?$/, reason: /in the catalog$|^needs a source/ },
  // postURL and postUrl, given both, must be equal
  { field: /^postURL$/, reason: /^differs from postUrl/ },
  // actions name webhooks of the organization
  { field: /^actions\.\d+\.value$/, reason: /^no webhook .* exists in this organization/ },
  // a UsageTarget range must not end below its start, nor give more than 100 thresholds
  { field: /^notificationCondition\.\d+\.value$/, reason: /is below its start|thresholds; at most/ },
  // a rate plan's dates are ordered
  { field: /^ratePlan\.(endDate|nextBillingCycleStartDate)$/, reason: /startDate$/ },
  // a portal link's scope names a source and accounts that must exist
  { field: /^(source|entities\.\d+)$/, reason: /^no (account or event type of|entity named) .* exists/ },
];

/** Ways to page a list that exclude each other; the parameters' descriptions say so, but OpenAPI cannot tie parameters together. */
const PAGING_STYLES = [["limit", "offset"], ["page", "size"], ["all"]];

interface DocumentedOperation extends Operation {
  parameters: { name: string; in: string; required?: boolean; schema: Schema }[];
  body?: Schema;
  responses: Record<string, { content?: { "application/json": { schema: Schema } } }>;
}

interface Sent {
  path: string;
  body?: unknown;
}

const doc = (await call("GET", "/openapi.json")).body;
const operations: DocumentedOperation[] = (await documentedOperations())
  .map((operation) => {
    const raw = resolveRefs(doc.paths[operation.template][operation.method.toLowerCase()], doc);
    return { ...operation, parameters: raw.parameters ?? [], body: raw.requestBody?.content["application/json"].schema, responses: raw.responses };
  })
  // Deleting goes last, so the other operations find the organization's data.
  .sort((a, b) => Number(a.method === "DELETE") - Number(b.method === "DELETE"));

let data: Populated;
let hints: Hints;

let producerKey: string;

beforeAll(async () => {
  data = await populatedTenant("contract");
  producerKey = await createKey(data.tenant.org, { email: "producer@example.com", role: "producer", source: "wink" });
  // The organization's own names, so that requests also pass the reference checks and do what they ask.
  hints = {
    source: fc.constant("wink"),
    entity: fc.constant("Cool Account"),
    type: fc.constant("booking.created"),
    events: fc.subarray(["booking.created", "booking.*", "*"]),
    actions: fc.constant([{ actionAttribute: "WEBHOOK", value: data.ids.webhooks }]),
  };
});

function authFor(operation: Operation): Auth {
  if (operation.caller === "producer") return { bearer: producerKey };
  return operation.caller === "operator" ? admin : data.tenant.auth;
}

/** A request the document says the operation takes: mostly on this organization's data, sometimes on any. */
function requests(operation: DocumentedOperation): fc.Arbitrary<Sent> {
  const ours = pathFor(operation, data).split("/");
  const ourValues = Object.fromEntries(
    operation.template.split("/").flatMap((segment, i) => (/^\{\w+\}$/.test(segment) ? [[segment.slice(1, -1), ours[i]!]] : [])),
  );
  const pathParams = fc.record(
    Object.fromEntries(
      operation.parameters
        .filter((p) => p.in === "path")
        .map((p) => [p.name, fc.oneof({ weight: 3, arbitrary: fc.constant(ourValues[p.name]!) }, { weight: 1, arbitrary: valueOf(p.schema).map(String) })]),
    ),
  );
  const queryParams = operation.parameters.filter((p) => p.in === "query");
  const query = fc.constantFrom(...PAGING_STYLES).chain((style) => {
    const excluded = PAGING_STYLES.flat().filter((name) => !style.includes(name));
    return fc.record(
      Object.fromEntries(
        queryParams
          .filter((p) => !excluded.includes(p.name))
          .map((p) => {
            const value = hinted(p.name, valueOf(p.schema), hints).filter((v) => check(p.schema, v).valid);
            return [p.name, p.required ? value : fc.option(value, { nil: undefined })];
          }),
      ),
    );
  });
  const body = operation.body ? valueOf(operation.body, hints) : fc.constant(undefined);
  return fc.tuple(pathParams, query, body).map(([params, values, payload]) => {
    const path = operation.template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] as string));
    const search = new URLSearchParams(Object.entries(values).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)]])));
    return { path: search.size ? `${path}?${search}` : path, body: sameIdentity(payload, params as Record<string, string>) };
  });
}

/** A body carrying back a resource's id and orgId names the path's (the document says another is refused). */
function sameIdentity(body: unknown, params: Record<string, string>): unknown {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return body;
  const copy: Record<string, unknown> = { ...body };
  if ("id" in copy && params.id) copy.id = params.id;
  if ("orgId" in copy && params.org) copy.orgId = params.org;
  return copy;
}

describe("requests made from /openapi.json", () => {
  for (const operation of operations) {
    it(`${operation.name}: answered as documented, never refused for what the document could say`, async () => {
      await fc.assert(
        fc.asyncProperty(requests(operation), async (sent) => {
          const response = await call(operation.method, sent.path, { auth: authFor(operation), body: sent.body });
          const label = `${operation.method} ${sent.path} ${JSON.stringify(sent.body) ?? ""}\n→ ${response.status} ${JSON.stringify(response.body)}`;
          expect(response.status, label).toBeLessThan(500);
          // Authorized, well-formed, small and sent as JSON: none of these refusals applies.
          expect([401, 403, 405, 413, 415], label).not.toContain(response.status);
          const documented = operation.responses[String(response.status)];
          expect(documented, `undocumented status: ${label}`).toBeDefined();
          const schema = documented!.content?.["application/json"].schema;
          if (schema) expect(check(schema, response.body).errors, label).toEqual([]);
          else expect(response.body, label).toBeNull();
          if (response.status === 400) {
            for (const detail of response.body.error.details as { field: string; reason: string }[]) {
              const unstatable = REFUSALS_THE_DOCUMENT_CANNOT_STATE.some((r) => r.field.test(detail.field) && r.reason.test(detail.reason));
              expect(unstatable, `refused for a reason the document could state: ${label}`).toBe(true);
            }
          }
        }),
        { numRuns: RUNS, seed: SEED },
      );
    });
  }
});
