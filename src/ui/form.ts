// Reads a posted HTML form once, within the same size limit as JSON bodies.
import type { Context } from "hono";
import { unsupportedMediaType } from "../errors";
import { limitBody } from "../http/json-body";
import type { UiEnv } from "./env";

export async function readForm(c: Context<UiEnv>): Promise<URLSearchParams> {
  const type = c.req.header("content-type") ?? "";
  // Every form on the page is urlencoded (none uploads files), so nothing else is accepted.
  if (!/^application\/x-www-form-urlencoded(\s*;|$)/i.test(type)) {
    throw unsupportedMediaType("Forms must be sent as application/x-www-form-urlencoded");
  }
  await limitBody(c);
  return new URLSearchParams(await c.req.text());
}

/** A single text field, trimmed; "" when absent. */
export function text(form: URLSearchParams, name: string): string {
  return (form.get(name) ?? "").trim();
}
