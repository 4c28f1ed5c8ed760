import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstUnstorable, jsonErrorOffset, whereJsonBreaks } from "../../src/http/json-body";

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

describe("finding what could not be kept as sent", () => {
  it("finds a member named twice at its second appearance, in nested objects too, comparing names as decoded", () => {
    expect(firstUnstorable('{"a": 1, "b": 2, "a": 3}')).toEqual({ field: "a", reason: "line 1, column 18: given more than once in the same object; send it once" });
    expect(firstUnstorable('{"x": [{"k": 1}, {"k": 1, "k": 2}]}')?.field).toBe("x.1.k");
    expect(firstUnstorable(String.raw`{"\u0061": 1, "a": 2}`)?.field).toBe("a");
  });

  it("lets the same name appear in different objects", () => {
    expect(firstUnstorable('{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}')).toBeNull();
    expect(firstUnstorable("[".repeat(100_000) + "]".repeat(100_000))).toBeNull();
  });

  it("finds a number beyond a double's range, which would be stored as null", () => {
    expect(firstUnstorable('{"events": [{"data": {"n": 1}}, {"data": {"ok": 1e308, "big": -1e400}}]}')).toEqual({
      field: "events.1.data.big",
      reason: expect.stringMatching(/^line 1, column 63: is a number beyond what can be stored/),
    });
    expect(firstUnstorable("1" + "0".repeat(400))?.field).toBe("body");
    expect(firstUnstorable(`{"a": 1${"0".repeat(250)}e99}`)?.field).toBe("a");
    expect(firstUnstorable(`{"a": 1${"0".repeat(250)}e57, "b": 1.7e308, "c": 1E+308}`)).toBeNull();
    expect(firstUnstorable('{"n": 123456789012345678901234567890, "x": 1.5e-400}')).toBeNull();
  });

  it("finds a string or a member name with an unpaired surrogate, which stored text would change", () => {
    expect(firstUnstorable(String.raw`{"id": "sur\ud800"}`)?.field).toBe("id");
    // As JSON, so that a failure's report holds no unpaired surrogate either.
    expect(JSON.stringify(firstUnstorable(String.raw`{"data": {"x\udc00": 1}}`)?.field)).toBe(String.raw`"data.x\udc00"`);
    expect(firstUnstorable(String.raw`{"data": ["ok", "\ud83d\ude00", "\uDBFF"]}`)?.field).toBe("data.2");
    expect(firstUnstorable(String.raw`{"pair": "\ud83d\ude00", "raw": "😀"}`)).toBeNull();
  });

  it("finds nothing in what JSON.stringify writes", () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(firstUnstorable(text)).toBeNull();
      }),
      { numRuns: 500 },
    );
  });
});
