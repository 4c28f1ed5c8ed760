import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstDuplicateKey, jsonErrorOffset, whereJsonBreaks } from "../../src/http/json-body";

describe("finding where a body stops being JSON", () => {
  it("points at the first character that breaks the grammar", () => {
    expect(jsonErrorOffset('{"name": "w", "postURL": }')).toBe(25);
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset("[1, 2")).toBe(5);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset("{'a': 1}")).toBe(1);
    expect(jsonErrorOffset('{"a": tru}')).toBe(6);
    expect(jsonErrorOffset("[1] x")).toBe(4);
    expect(jsonErrorOffset('"\\x"')).toBe(0);
  });

  it("counts lines and columns from 1", () => {
    expect(whereJsonBreaks('{\n  "a": 1,\n  "b": ]\n}')).toBe("line 3, column 8: ");
  });

  it("finds nothing wrong with valid JSON, however deeply nested", () => {
    expect(jsonErrorOffset(" {\"a\": [1, -2.5e3, true, false, null, \"\\u00e9\\n\", {}], \"b\": {\"c\": []}} ")).toBe(-1);
    expect(jsonErrorOffset("[".repeat(100_000) + "]".repeat(100_000))).toBe(-1);
  });

  it("agrees with JSON.parse on whether random text is JSON", () => {
    const jsonish = fc.string({ unit: fc.constantFrom(..."{}[]:,\"\\ 0123456789.-+eEtruefalsn\n".split("")), maxLength: 30 });
    fc.assert(
      fc.property(fc.oneof(fc.json(), jsonish), (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        expect(jsonErrorOffset(text) === -1).toBe(parses);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("finding a member named twice", () => {
  it("finds the second appearance, in nested objects too, comparing names as decoded", () => {
    expect(firstDuplicateKey('{"a": 1, "b": 2, "a": 3}')).toEqual({ key: "a", offset: 17 });
    expect(firstDuplicateKey('{"x": [{"k": 1, "k": 2}]}')).toEqual({ key: "k", offset: 16 });
    expect(firstDuplicateKey(String.raw`{"\u0061": 1, "a": 2}`)).toEqual({ key: "a", offset: 14 });
  });

  it("lets the same name appear in different objects", () => {
    expect(firstDuplicateKey('{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}')).toBeNull();
    expect(firstDuplicateKey("[".repeat(100_000) + "]".repeat(100_000))).toBeNull();
  });

  it("finds none in what JSON.stringify writes", () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(firstDuplicateKey(text)).toBeNull();
      }),
      { numRuns: 500 },
    );
  });
});
