// The UsageTarget attribute of a notification condition (Apigee adjustable rate plans): the
// percentages of a developer's transaction target at which to notify.
//
//   %= 80                  one percentage
//   %= 80 to 120 by 10     80, 90, 100, 110, 120
//   %= 80 to 120           a range without "by" steps by 10
//
// Percentages may have up to two decimals (`%= 12.5 to 20 by 2.5`). They are held as integers in
// hundredths of a percent ("units") so stepping never drifts (0.1 + 0.2 is not 0.3 in floating
// point) and crossings compare exactly. A range's last threshold is the last step not beyond its
// end (`%= 80 to 125 by 10` stops at 120). Keywords are case-insensitive; whitespace is free.

/** Hundredths of a percent per percent: the scale of every threshold held by the platform. */
export const UNITS_PER_PERCENT = 100;
const DECIMALS = 2;
/** Step of a range written without "by", as in Apigee's UI. */
export const DEFAULT_STEP_PERCENT = 10;
/** One condition notifies at most this many percentages (each one is a delivery per webhook). */
export const MAX_THRESHOLDS = 100;
/** Highest percentage accepted: 100 times the target. Also keeps the SQL crossing test in 64 bits. */
export const MAX_PERCENT = 10_000;

// A percentage as the parser takes it: MAX_PERCENT itself, 1 to 9999, or 0.01 to 0.99, with up to
// two decimals. Leading zeros are bounded because toUnits refuses more than 15 digits before the point.
const PERCENT = `\\+?(0{0,10}(${MAX_PERCENT}(\\.00?)?|[1-9]\\d{0,3}(\\.\\d\\d?)?)|0{1,15}\\.(0[1-9]|[1-9]\\d?))`;
/**
 * The syntax parseUsageTarget accepts, as a regular expression for the OpenAPI document. What it
 * cannot say (a range ending below its start, more than MAX_THRESHOLDS thresholds) the parser
 * refuses with its reason.
 */
export const USAGE_TARGET_PATTERN = `^\\s*%=\\s*${PERCENT}(\\s*[Tt][Oo]\\s*${PERCENT}(\\s*[Bb][Yy]\\s*${PERCENT})?)?\\s*$`;

export type UsageTargetParse = { ok: true; thresholds: number[] } | { ok: false; reason: string };

type Token = { kind: "number" | "word" | "other"; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let rest = text.trimStart();
  while (rest !== "") {
    const number = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)/.exec(rest);
    const word = number ? null : /^[A-Za-z]+/.exec(rest);
    const other = number || word ? null : /^[^\sA-Za-z0-9]+/.exec(rest);
    const piece = (number ?? word ?? other)![0];
    tokens.push({ kind: number ? "number" : word ? "word" : "other", text: piece });
    rest = rest.slice(piece.length).trimStart();
  }
  return tokens;
}

class Invalid extends Error {}

/** A percentage token as units; `what` names it in the reason ("the start", "the step"…). */
function toUnits(token: Token | undefined, what: string, after: string): number {
  if (!token) throw new Invalid(`expected ${what} after ${after}, found nothing`);
  if (token.kind !== "number") throw new Invalid(`expected ${what} after ${after}, found "${token.text}"`);
  const match = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(token.text);
  if (!match) throw new Invalid(`"${token.text}" is not a number like 80 or 12.5`);
  const [, sign, whole, fraction = ""] = match;
  if (fraction.length > DECIMALS) throw new Invalid(`${token.text} has more than ${DECIMALS} decimals`);
  // Longer digit strings would lose precision as a Number; they are far above the maximum anyway.
  if (whole!.length > 15) throw new Invalid(`${what} ${token.text} is above ${MAX_PERCENT}`);
  const units = Number(whole) * UNITS_PER_PERCENT + Number(fraction.padEnd(DECIMALS, "0"));
  if (sign === "-" && units > 0) throw new Invalid(`${what} must be greater than 0, got ${token.text}`);
  if (units === 0) throw new Invalid(`${what} must be greater than 0, got ${token.text}`);
  if (units > MAX_PERCENT * UNITS_PER_PERCENT) throw new Invalid(`${what} ${token.text} is above ${MAX_PERCENT}`);
  return units;
}

const isWord = (token: Token | undefined, word: string) => token?.kind === "word" && token.text.toLowerCase() === word;

/** Parses a UsageTarget expression into its ascending thresholds, in hundredths of a percent. */
export function parseUsageTarget(expression: string): UsageTargetParse {
  try {
    return { ok: true, thresholds: thresholdsOf(expression) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.message };
    throw e;
  }
}

function thresholdsOf(expression: string): number[] {
  const text = expression.trim();
  if (text === "") throw new Invalid('is empty; write "%= 80" or "%= 80 to 120 by 10"');
  if (!text.startsWith("%=")) throw new Invalid('must start with "%=", as in "%= 80" or "%= 80 to 120 by 10"');
  const tokens = tokenize(text.slice(2));
  let at = 0;
  const start = toUnits(tokens[at++], "the percentage", '"%="');
  let end = start;
  let step = DEFAULT_STEP_PERCENT * UNITS_PER_PERCENT;
  // What may still follow, for the reason given when something else does.
  let expected = '"to" or nothing';
  if (isWord(tokens[at], "by")) throw new Invalid('"by" needs a range: write "%= 80 to 120 by 10"');
  if (isWord(tokens[at], "to")) {
    at++;
    end = toUnits(tokens[at++], "the end of the range", '"to"');
    if (end < start) throw new Invalid(`the range end ${percentText(end)} is below its start ${percentText(start)}`);
    expected = '"by" or nothing';
    if (isWord(tokens[at], "by")) {
      at++;
      step = toUnits(tokens[at++], "the step", '"by"');
      expected = "nothing";
    }
  }
  if (at < tokens.length) {
    throw new Invalid(`unexpected "${tokens[at]!.text}" after "${tokens[at - 1]!.text}"; expected ${expected}`);
  }
  const count = Math.floor((end - start) / step) + 1;
  if (count > MAX_THRESHOLDS) {
    throw new Invalid(`gives ${count} thresholds; at most ${MAX_THRESHOLDS} are allowed (use a larger step)`);
  }
  return Array.from({ length: count }, (_, i) => start + i * step);
}

/** The thresholds of a stored condition, in hundredths of a percent (stored expressions always parse). */
export function conditionThresholds(condition: { id: string; usageTarget: string }): number[] {
  const parsed = parseUsageTarget(condition.usageTarget);
  if (!parsed.ok) throw new Error(`notification condition ${condition.id} holds an invalid UsageTarget: ${parsed.reason}`);
  return parsed.thresholds;
}

/** A threshold in units as the percentage it stands for (12.5 for 1250). */
export function percentOf(units: number): number {
  return units / UNITS_PER_PERCENT;
}

/** A threshold in units as text without trailing zeros ("12.5", "80"). */
export function percentText(units: number): string {
  return String(percentOf(units));
}
