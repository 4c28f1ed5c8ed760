// Faults the chaos suite (test/chaos/) injects into a running platform. Inert unless the
// CHAOS_FAULTS var names them with a probability each, e.g. "crash-mid-delivery:0.02,
// duplicate-job:0.05,evict-sequencer:0.05". It is never set in wrangler.toml: only the chaos suite
// passes it to its own `wrangler dev`.

export type Fault =
  /** The delivery worker dies after an attempt went out and before its outcome is recorded. */
  | "crash-mid-delivery"
  /** The queue hands a job over twice. */
  | "duplicate-job"
  /** The webhook's sequencer is reset while one of its deliveries is on the wire. */
  | "evict-sequencer";

/** Whether to inject `fault` now: never when CHAOS_FAULTS is unset. Logged, so the suite can count them. */
export function injectFault(spec: string | undefined, fault: Fault): boolean {
  if (!spec) return false;
  const entry = spec.split(",").find((part) => part.trim().startsWith(`${fault}:`));
  const inject = entry !== undefined && Math.random() < Number(entry.split(":")[1]);
  if (inject) console.log(`chaos fault injected: ${fault}`);
  return inject;
}
