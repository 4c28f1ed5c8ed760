// Faults the chaos suite (test/chaos/) injects into a running platform through the harness entry
// (worker.ts). Inert unless the CHAOS_FAULTS var names them with a probability each, e.g.
// "crash-mid-delivery:0.02,duplicate-job:0.05,evict-sequencer:0.05". It is never set in
// wrangler.toml: only the chaos suite passes it to its own `wrangler dev`. Outages of a binding
// ("d1-unavailable", "queue-refuses") are named with a window instead: milliseconds after the
// isolate started.
import type { Env } from "../../src/env";
import type { NextRequest } from "../../src/sequencer/records";
import { aroundObjectCalls } from "./object-calls";

export type Fault =
  /** The delivery worker dies after an attempt went out and before its outcome is recorded. */
  | "crash-mid-delivery"
  /** The queue hands a job over twice. */
  | "duplicate-job"
  /** The webhook's sequencer is reset while one of its deliveries is on the wire. */
  | "evict-sequencer"
  /** The organization's event log is reset right after it stored a producer's events, before it answers. */
  | "evict-event-log";

/** Whether to inject `fault` now: never when CHAOS_FAULTS is unset. Logged, so the suite can count them. */
export function injectFault(spec: string | undefined, fault: Fault): boolean {
  if (!spec) return false;
  const entry = spec.split(",").find((part) => part.trim().startsWith(`${fault}:`));
  const inject = entry !== undefined && Math.random() < Number(entry.split(":")[1]);
  if (inject) console.log(`chaos fault injected: ${fault}`);
  return inject;
}

/** When this isolate served its first call: outage windows count from here (the clock stands still while modules load). */
let isolateStarted: number | undefined;

/** The window of `outage` in CHAOS_FAULTS ("d1-unavailable:30000-90000": ms after the isolate started), if named. */
function outageWindow(spec: string, outage: "d1-unavailable" | "queue-refuses"): { from: number; to: number } | undefined {
  const entry = spec.split(",").find((part) => part.trim().startsWith(`${outage}:`));
  const match = entry && /:(\d+)-(\d+)$/.exec(entry.trim());
  isolateStarted ??= Date.now();
  return match ? { from: isolateStarted + Number(match[1]), to: isolateStarted + Number(match[2]) } : undefined;
}

/**
 * The bindings with the outages `spec` names: during "d1-unavailable" every D1 call fails as D1
 * does when it cannot be reached; during "queue-refuses" every send to the jobs queue is refused.
 * The same env when `spec` is unset.
 */
export function withOutages<E extends Pick<Env, "DB" | "JOBS">>(env: E, spec: string | undefined): E {
  if (!spec) return env;
  const d1 = outageWindow(spec, "d1-unavailable");
  const queue = outageWindow(spec, "queue-refuses");
  const during = (window: { from: number; to: number }) => Date.now() >= window.from && Date.now() < window.to;
  const failing = <T extends object>(target: T, window: { from: number; to: number } | undefined, methods: string[], error: () => Error): T =>
    !window
      ? target
      : new Proxy(target, {
          get(t, prop) {
            const value = Reflect.get(t, prop);
            if (typeof value !== "function") return value;
            if (!methods.includes(String(prop)) || !during(window)) return value.bind(t);
            // D1's prepare() answers at once, so its failure is thrown; the rest fail as promises.
            return prop === "prepare" ? () => { throw error(); } : () => Promise.reject(error());
          },
        });
  return {
    ...env,
    DB: failing(env.DB, d1, ["prepare", "batch", "exec"], () => new Error("D1_ERROR: chaos: D1 is unavailable")),
    JOBS: failing(env.JOBS, queue, ["send", "sendBatch"], () => new Error("chaos: the queue refuses sends")),
  };
}

/**
 * The sequencers as a delivery worker that crashes mid-delivery sees them. A drain records an
 * attempt's outcome with its next call to the webhook's sequencer, which carries it as `report`:
 * when "crash-mid-delivery" strikes, that call fails before it leaves, and so does the drain's one
 * retry of it, so the drain ends with the attempt sent and not recorded, as a crash leaves it.
 */
export function crashingMidDelivery<E extends Pick<Env, "SEQUENCER">>(env: E, spec: string | undefined): E {
  if (!spec?.includes("crash-mid-delivery:")) return env;
  const decided = new WeakSet<object>();
  const crashed = new WeakSet<object>();
  const crashes = (report: object) => {
    if (!decided.has(report)) {
      decided.add(report);
      if (injectFault(spec, "crash-mid-delivery")) crashed.add(report);
    }
    return crashed.has(report);
  };
  const SEQUENCER = aroundObjectCalls(env.SEQUENCER, (method, args, call) => {
    const report = method === "next" ? (args[1] as NextRequest | undefined)?.report : undefined;
    if (report && crashes(report)) return Promise.reject(new Error("chaos: the delivery worker crashed before recording its attempt"));
    return call();
  });
  return { ...env, SEQUENCER };
}
