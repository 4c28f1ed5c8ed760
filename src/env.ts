/** Bindings and settings of the Worker (wrangler.toml); every setting arrives as a string. */
export interface Env {
  DB: D1Database;
  ADMIN_TOKEN: string;
  MAX_BODY_BYTES: string;
  ALLOW_PRIVATE_URLS: string;
}

/** A numeric setting, falling back to its documented default when unset or not a number. */
export function numberSetting(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(n) ? n : fallback;
}
