// The one-time message shown on the page an action lands on ("Webhook X was removed."). Kept in a
// short-lived signed cookie rather than the URL, so a crafted link cannot put words in our mouth.
import type { Context } from "hono";
import { clearCookie, FLASH_COOKIE, readCookie, readSignedCookie, writeSignedCookie } from "./cookies";
import type { UiEnv } from "./env";

export interface Flash {
  kind: "success" | "error";
  text: string;
}

export async function setFlash(c: Context<UiEnv>, flash: Flash): Promise<void> {
  await writeSignedCookie(c, FLASH_COOKIE, flash, 60);
}

/** The pending message, removed as it is read so a reload does not repeat it. */
export async function takeFlash(c: Context<UiEnv>): Promise<Flash | undefined> {
  if (readCookie(c, FLASH_COOKIE) === undefined) return undefined;
  clearCookie(c, FLASH_COOKIE);
  const value = (await readSignedCookie(c, FLASH_COOKIE)) as Flash | undefined;
  if (!value || (value.kind !== "success" && value.kind !== "error") || typeof value.text !== "string") return undefined;
  return value;
}

/** Lands back on `location` (303, so the browser GETs it) with a message saying what happened. */
export async function redirectWithFlash(c: Context<UiEnv>, location: string, flash: Flash): Promise<Response> {
  await setFlash(c, flash);
  return c.redirect(location, 303);
}
