import { describe, expect, it } from "vitest";
import { MAX_THRESHOLDS, parseUsageTarget, percentOf } from "../../src/notifications/usage-target";

const percents = (expression: string) => {
  const parsed = parseUsageTarget(expression);
  if (!parsed.ok) throw new Error(`${expression}: ${parsed.reason}`);
  return parsed.thresholds.map(percentOf);
};

describe("UsageTarget: valid expressions", () => {
  it.each<[string, number[]]>([
    ["%= 80", [80]],
    ["%=80", [80]],
    ["%= 150", [150]],
    ["%= 80 to 120 by 10", [80, 90, 100, 110, 120]],
    ["%= 80 to 120", [80, 90, 100, 110, 120]],
    ["%=80to120by10", [80, 90, 100, 110, 120]],
    ["  %=   80   to   120   by   10  ", [80, 90, 100, 110, 120]],
    ["%=\t80\nto\t100", [80, 90, 100]],
    ["%= 80 TO 120 By 20", [80, 100, 120]],
    ["%= 12.5 to 20 by 2.5", [12.5, 15, 17.5, 20]],
    // 0.1 + 0.2 !== 0.3 in floating point; integer steps keep every threshold exact.
    ["%= 0.1 to 0.5 by 0.1", [0.1, 0.2, 0.3, 0.4, 0.5]],
    ["%= 99.99 to 100.01 by 0.01", [99.99, 100, 100.01]],
    ["%= 80 to 125 by 10", [80, 90, 100, 110, 120]],
    ["%= 100 to 100", [100]],
    ["%= 80 to 90 by 50", [80]],
    ["%= 12.50", [12.5]],
    ["%= 10000", [10000]],
    ["%= 10 to 1000 by 10", Array.from({ length: 100 }, (_, i) => 10 * (i + 1))],
  ])("%j gives %j", (expression, expected) => {
    expect(percents(expression)).toEqual(expected);
  });

  it(`caps a condition at ${MAX_THRESHOLDS} thresholds`, () => {
    expect(percents("%= 1 to 100 by 1")).toHaveLength(MAX_THRESHOLDS);
  });
});

describe("UsageTarget: malformed expressions are refused with the reason", () => {
  it.each<[string, RegExp]>([
    ["", /is empty/],
    ["   ", /is empty/],
    ["80", /must start with "%="/],
    ["80 to 120 by 10", /must start with "%="/],
    ["= 80", /must start with "%="/],
    ["% 80", /must start with "%="/],
    ["%=", /expected the percentage after "%=", found nothing/],
    ["%= to 5", /expected the percentage after "%=", found "to"/],
    ["%= eighty", /expected the percentage after "%=", found "eighty"/],
    ["%= 120 to 80", /the range end 80 is below its start 120/],
    ["%= 80 to 120 by 0", /the step must be greater than 0, got 0/],
    ["%= 80 to 120 by -10", /the step must be greater than 0, got -10/],
    ["%= 80 to 120 by 0.00", /the step must be greater than 0/],
    ["%= -5", /the percentage must be greater than 0, got -5/],
    ["%= 0", /the percentage must be greater than 0, got 0/],
    ["%= 80 to", /expected the end of the range after "to", found nothing/],
    ["%= 80 to by 10", /expected the end of the range after "to", found "by"/],
    ["%= 80 to 120 by", /expected the step after "by", found nothing/],
    ["%= 80 by 10", /"by" needs a range/],
    ["%= 80 foo", /unexpected "foo" after "80"; expected "to" or nothing/],
    ["%= 80%", /unexpected "%" after "80"/],
    ["%= 80,90", /unexpected "," after "80"/],
    ["%= 80 to 120 junk", /unexpected "junk" after "120"; expected "by" or nothing/],
    ["%= 80 to 120 by 10 to 130", /unexpected "to" after "10"; expected nothing/],
    ["%= 80 to 120 by 10 by 5", /unexpected "by" after "10"; expected nothing/],
    ["%= 1e3", /unexpected "e" after "1"/],
    ["%= .5", /".5" is not a number like 80 or 12.5/],
    ["%= 5.", /"5." is not a number like 80 or 12.5/],
    ["%= 12.345", /12.345 has more than 2 decimals/],
    ["%= 10001", /the percentage 10001 is above 10000/],
    ["%= 80 to 99999999999999999999", /the end of the range 99999999999999999999 is above 10000/],
    ["%= 10 to 1010 by 10", /gives 101 thresholds; at most 100 are allowed/],
    ["%= 0.01 to 10000 by 0.01", /gives 1000000 thresholds; at most 100 are allowed/],
  ])("%j: %s", (expression, reason) => {
    const parsed = parseUsageTarget(expression);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});
