// What the Worker logs while a test runs, and a store that refuses writes, for the tests that pin
// what may reach a log line.
import { env } from "cloudflare:workers";
import { vi } from "vitest";

/** What no log line, list or error may hold: our keys, secrets and hashes, or anything shaped like one. */
export const SECRET_SHAPES = [/ewk_[0-9a-f]{24}_/, /whsec_/, /\b[0-9a-f]{64}\b/];

/** Runs `work` with every console method recorded (the Worker, its queue consumer and sequencers log here); one entry per call. */
export async function captureLogs(work: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const spies = methods.map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) =>
      void lines.push(args.map((a) => (a instanceof Error ? `${a.message} ${String(a.cause)}` : typeof a === "string" ? a : JSON.stringify(a))).join(" ")),
    ),
  );
  try {
    await work();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines;
}

/** Makes D1 refuse `statement` on this organization's rows, so the query fails with its bound values in hand. */
export async function failing<T>(table: string, statement: "INSERT" | "UPDATE", org: string, work: () => Promise<T>): Promise<T> {
  const trigger = `fail_${crypto.randomUUID().replaceAll("-", "")}`;
  await env.DB.exec(`CREATE TRIGGER ${trigger} BEFORE ${statement} ON ${table} WHEN NEW.org_id = '${org}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
  try {
    return await work();
  } finally {
    await env.DB.exec(`DROP TRIGGER ${trigger}`);
  }
}
