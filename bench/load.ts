// Driving load: a closed loop at fixed concurrency (autocannon) and an open loop at a steady rate.
import autocannon from "autocannon";

export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface ClosedLoopResult {
  /** Accepted (2xx) requests per second. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  accepted: number;
  refused: number;
}

/** `connections` clients, each sending its next request when the last is answered, for `seconds`. */
export async function closedLoop(requests: HttpRequest[], connections: number, seconds: number): Promise<ClosedLoopResult> {
  const base = new URL(requests[0]!.url);
  const result = await autocannon({
    url: base.origin,
    connections,
    duration: seconds,
    requests: requests.map((r) => ({ method: "POST", path: new URL(r.url).pathname, headers: r.headers, body: r.body })),
  });
  return {
    throughput: result["2xx"] / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    accepted: result["2xx"],
    refused: result.non2xx + result.errors + result.timeouts,
  };
}

/** When each request of a steady stream was sent, and when its answer was read. */
export interface Sent {
  sentAt: Map<number, number>;
  acceptedAt: Map<number, number>;
}

/** Sends `count` requests at `perSecond`, not waiting for answers. */
export async function steadyRate(count: number, perSecond: number, send: (n: number) => Promise<void>): Promise<Sent> {
  const sentAt = new Map<number, number>();
  const acceptedAt = new Map<number, number>();
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let n = 0; n < count; n++) {
    const due = started + (n * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sentAt.set(n, Date.now());
    pending.push(send(n).then(() => void acceptedAt.set(n, Date.now())));
  }
  await Promise.all(pending);
  return { sentAt, acceptedAt };
}

/** The p-th percentile (0–100) of the values, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Resolves when `probe` is true, or false after `timeoutMs`. */
export async function until(probe: () => boolean, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Runs `work` over the items, `concurrency` at a time. */
export async function inParallel<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}
