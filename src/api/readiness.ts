// GET /readyz: whether the storage every request path needs answers — D1 (the control plane) and
// Durable Objects (a sequencer with a fixed name, asked a one-row question). Unlike /healthz it
// touches storage, so it suits a deploy check or an uptime probe, not a per-second poll.
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../http/context";
import { ApiError } from "../errors";
import type { Env } from "../env";
import { sequencer } from "../delivery/sequencer-client";
import { log } from "../log";
import { errorResponse, json, tenantErrors } from "./common";

/** A check that has not answered by then counts as down (an unreachable store may hang, not fail). */
const CHECK_TIMEOUT_MS = 2_000;
/** No webhook has this id (they are UUIDs), so the probe never touches a real webhook's queue. */
const PROBE_SEQUENCER = "readiness-probe";

const checks: Record<"d1" | "durableObjects", (env: Env) => Promise<unknown>> = {
  d1: (env) => env.DB.prepare("SELECT 1").first(),
  durableObjects: (env) => sequencer(env, PROBE_SEQUENCER).openCount(),
};

async function probe(env: Env, name: keyof typeof checks): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([checks[name](env), timedOut]);
    return null;
  } catch (error) {
    // The cause goes to the log only: this route is public.
    log.error("readiness check failed", { check: name, error });
    return error instanceof Error && error.message.startsWith("no answer") ? error.message : "failed; see the Worker's logs";
  } finally {
    clearTimeout(timer);
  }
}

const Ready = z
  .object({ ok: z.literal(true), checks: z.object({ d1: z.literal("ok"), durableObjects: z.literal("ok") }) })
  .openapi("Ready");

export const readinessRouter = createRouter();

readinessRouter.openapi(
  createRoute({
    method: "get",
    path: "/",
    tags: ["Platform"],
    security: [],
    operationId: "getReadiness",
    summary: "Readiness: D1 and Durable Objects answer (503 names each one that does not)",
    responses: {
      200: json(Ready, "Every store answers"),
      405: tenantErrors[405],
      503: errorResponse("A store is down; details name each one (field d1 or durableObjects) and why"),
    },
  }),
  async (c) => {
    const names = Object.keys(checks) as (keyof typeof checks)[];
    const results = await Promise.all(names.map((name) => probe(c.env, name)));
    const down = names.flatMap((field, i) => (results[i] === null ? [] : [{ field, reason: results[i]! }]));
    if (down.length > 0) throw new ApiError(503, "not_ready", `Not ready: ${down.map((d) => d.field).join(" and ")} down`, down);
    return c.json({ ok: true as const, checks: { d1: "ok" as const, durableObjects: "ok" as const } }, 200);
  },
);
