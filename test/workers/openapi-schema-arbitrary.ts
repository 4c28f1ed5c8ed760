// fast-check arbitraries for the values a JSON Schema (2020-12, as /openapi.json has them) allows,
// and a validator for the same schemas. The arbitraries aim close; `valueOf` keeps only values the
// validator accepts, so the constraints they do not aim at (contains, oneOf's exclusivity, not…)
// still hold for every value drawn. Hints, by property name, are values drawn often for that
// property (names of data that exists), so that values also get past checks of references.
import fc from "fast-check";
import { Validator } from "@cfworker/json-schema";

export type Schema = Record<string, any>;

/** `schema` with every `$ref` into `doc`'s components replaced by what it points at. */
export function resolveRefs(schema: unknown, doc: Schema): any {
  if (Array.isArray(schema)) return schema.map((item) => resolveRefs(item, doc));
  if (schema === null || typeof schema !== "object") return schema;
  const ref = (schema as Schema).$ref;
  if (typeof ref === "string") return resolveRefs(ref.slice(2).split("/").reduce((at: any, key) => at[key], doc), doc);
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, resolveRefs(value, doc)]));
}

/** Whether `value` is valid by `schema` (refs resolved), and the validator's errors when it is not. */
export function check(schema: Schema, value: unknown): { valid: boolean; errors: string[] } {
  const result = new Validator(schema, "2020-12", false).validate(value);
  return { valid: result.valid, errors: result.errors.map((e) => `${e.instanceLocation}: ${e.error}`) };
}

export type Hints = Record<string, fc.Arbitrary<unknown>>;

/** A value `schema` allows. */
export function valueOf(schema: Schema, hints: Hints = {}): fc.Arbitrary<unknown> {
  const validator = new Validator(schema, "2020-12");
  return near(schema, hints).filter((value) => validator.validate(value).valid);
}

/** The hint for `name` most of the time, when there is one. */
export function hinted(name: string, arbitrary: fc.Arbitrary<unknown>, hints: Hints): fc.Arbitrary<unknown> {
  const hint = hints[name];
  return hint ? fc.oneof({ weight: 5, arbitrary: hint }, { weight: 1, arbitrary }) : arbitrary;
}

const MAX_ITEMS = 4;
const MAX_STRING = 40;

/** Merges the keywords of a subschema into its parent, properties by name. */
function merge(parent: Schema, sub: Schema): Schema {
  const merged: Schema = { ...parent, ...sub };
  if (parent.properties || sub.properties) {
    merged.properties = { ...parent.properties };
    for (const [name, schema] of Object.entries<Schema>(sub.properties ?? {})) merged.properties[name] = merge(parent.properties?.[name] ?? {}, schema);
  }
  if (parent.required || sub.required) merged.required = [...new Set([...(parent.required ?? []), ...(sub.required ?? [])])];
  return merged;
}

function near(schema: Schema, hints: Hints): fc.Arbitrary<unknown> {
  const { anyOf, oneOf, allOf, ...rest } = schema;
  const branches: Schema[] | undefined = anyOf ?? oneOf;
  if (branches) return fc.oneof(...branches.map((branch) => near(merge(rest, branch), hints)));
  if (allOf) return near((allOf as Schema[]).reduce((acc, sub) => merge(acc, { ...sub, contains: undefined }), rest), hints);
  if ("const" in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type: string) => near({ ...schema, type }, hints)));
  switch (schema.type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return integer(schema.minimum, schema.maximum);
    case "number":
      return fc.double({ min: schema.minimum, max: schema.maximum, noNaN: true, noDefaultInfinity: true });
    case "string":
      return string(schema);
    case "array":
      return array(schema, hints);
    case "object":
      return object(schema, hints);
    default:
      return fc.jsonValue();
  }
}

/** Integers in range, often near its ends (where off-by-one refusals live). */
function integer(minimum = Number.MIN_SAFE_INTEGER, maximum = Number.MAX_SAFE_INTEGER): fc.Arbitrary<number> {
  return fc.oneof(
    fc.bigInt({ min: BigInt(minimum), max: BigInt(maximum) }).map(Number),
    fc.constantFrom(minimum, maximum),
    fc.integer({ min: minimum, max: Math.min(maximum, minimum + 100) }),
  );
}

function string(schema: Schema): fc.Arbitrary<string> {
  const maxLength = Math.min(schema.maxLength ?? MAX_STRING, 2_048);
  const minLength = schema.minLength ?? 0;
  const fits = (text: string) => text.length >= minLength && text.length <= maxLength;
  if (schema.format === "uri") return fc.webUrl({ validSchemes: ["http", "https"] }).filter(fits);
  if (schema.format === "date-time") {
    return fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString());
  }
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern, "u")).filter(fits);
  if (schema.format === "email") return fc.emailAddress().filter(fits);
  if (schema.format === "uuid") return fc.uuid();
  return fc.string({ unit: "grapheme", minLength, maxLength: Math.min(maxLength, MAX_STRING) });
}

function array(schema: Schema, hints: Hints): fc.Arbitrary<unknown[]> {
  const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? MAX_ITEMS, MAX_ITEMS)) };
  const items = near(schema.items ?? {}, hints);
  return schema.uniqueItems ? fc.uniqueArray(items, { ...constraints, selector: (item) => JSON.stringify(item) }) : fc.array(items, constraints);
}

function object(schema: Schema, hints: Hints): fc.Arbitrary<Record<string, unknown>> {
  const properties: Record<string, Schema> = schema.properties ?? {};
  const record = fc.record(
    Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, hinted(name, near(property, hints), hints)])),
    { requiredKeys: (schema.required ?? []).filter((name: string) => name in properties) },
  );
  if (schema.additionalProperties === undefined || schema.additionalProperties === false) return record;
  const extra = fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), near(schema.additionalProperties === true ? {} : schema.additionalProperties, hints), { maxKeys: 3 });
  return fc.tuple(extra, record).map(([more, known]) => ({ ...more, ...known }));
}
