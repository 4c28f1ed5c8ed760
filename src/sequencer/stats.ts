// A webhook's delivery statistics, kept by its sequencer in its own SQLite: one row per 5-minute
// bucket holding the bucket's counts and a fixed latency histogram. Attempts are counted in memory
// and written together (one upsert per bucket) when the sequencer's alarm rings (within a minute of
// any activity), when a new bucket starts and before the statistics are read: so a delivery's own
// rows stay all it writes, and a busy webhook writes about one statistics row a minute. Each write
// notes how far it counted (`stats_written`); an object that starts again (evicted while idle, a
// deploy, a crash) counts once more, from the delivery log, the attempts recorded after that and
// before it started, which its memory lost. A 7-day window reads at most 2,016 rows. Percentiles
// come from the histogram: each is the upper bound of the bin it falls in ("p95 ≤ 250 ms").
import type { DeliveryKey } from "./delivery-id";
import type { AttemptRecord } from "./records";

export const BUCKET_MS = 5 * 60_000;
/** Buckets are kept a day beyond the longest window, then pruned when a new bucket starts. */
const KEEP_MS = 8 * 24 * 3_600_000;
/**
 * Upper bounds (ms) of the latency bins. An attempt lasts at most the connect and read timeouts
 * (6 s); only an interrupted one (its worker died) lasts longer, and it counts in the last bin.
 */
export const LATENCY_BOUNDS_MS = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 60_000] as const;
const BINS = LATENCY_BOUNDS_MS.map((_, i) => `l${i}`);

/** Each window's length and the step its series is cut into. */
export const STATS_WINDOWS = {
  "1h": { lengthMs: 3_600_000, stepMs: BUCKET_MS },
  "24h": { lengthMs: 24 * 3_600_000, stepMs: 3_600_000 },
  "7d": { lengthMs: 7 * 24 * 3_600_000, stepMs: 6 * 3_600_000 },
} as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;

const STATS_SCHEMA = `
CREATE TABLE IF NOT EXISTS attempt_stats (
  bucket INTEGER PRIMARY KEY,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  ${BINS.map((bin) => `${bin} INTEGER NOT NULL DEFAULT 0`).join(",\n  ")}
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stats_written (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  through INTEGER NOT NULL,
  from_seq INTEGER NOT NULL,
  from_position INTEGER NOT NULL
);
`;

/** What the statistics read of the delivery log (deliveries-table.ts) to count again what a restart lost. */
export interface DeliveryLog {
  changesFrom(): DeliveryKey | null;
  attemptsEndedAfter(from: DeliveryKey, after: number): { attempt: AttemptRecord; at: number }[];
}

interface Counts {
  succeeded: number;
  failed: number;
  attempts: number;
  /** Attempts per latency bin, LATENCY_BOUNDS_MS order. */
  histogram: number[];
}

export interface Latency {
  p50: number | null;
  p95: number | null;
}

export interface StatsPoint {
  start: number;
  succeeded: number;
  failed: number;
  attempts: number;
  latencyMs: Latency;
}

export interface WebhookStats {
  window: StatsWindow;
  from: number;
  to: number;
  stepMs: number;
  totals: { succeeded: number; failed: number; attempts: number; successRate: number | null; latencyMs: Latency };
  backlog: { pending: number; oldestAgeMs: number | null };
  series: StatsPoint[];
}

const emptyCounts = (): Counts => ({ succeeded: 0, failed: 0, attempts: 0, histogram: BINS.map(() => 0) });

/** The statistics of one sequencer: attempts counted in memory, written by `flush`, read with `read`. */
export class AttemptStats {
  /** Counts not written yet, per bucket start. */
  private readonly unwritten = new Map<number, Counts>();
  /** The table is made at the first write or read, so a sequencer nobody asks about has none. */
  private tableMade = false;

  /** Made as the object starts, before any attempt is reported to it: what the log holds and the rows do not is counted again. */
  constructor(
    private readonly sql: SqlStorage,
    private readonly deliveries: DeliveryLog,
  ) {
    this.countUnwritten();
  }

  /** Counts one attempt in its bucket, and the delivery it ended (succeeded or failed) too. */
  record(attempt: AttemptRecord, now: number): void {
    const hadCounts = this.unwritten.size > 0;
    // A new bucket starts: the ones before it are complete. Written with this attempt, so the note
    // of how far the write counted covers it.
    if (this.count(attempt, now) && hadCounts) this.flush(now);
  }

  /** Counts the attempt; true if its bucket had no count yet. */
  private count(attempt: AttemptRecord, at: number): boolean {
    const bucket = at - (at % BUCKET_MS);
    const fresh = !this.unwritten.has(bucket);
    const counts = this.unwritten.get(bucket) ?? emptyCounts();
    const index = LATENCY_BOUNDS_MS.findIndex((bound) => attempt.durationMs <= bound);
    counts.attempts += 1;
    if (attempt.outcome === "succeeded") counts.succeeded += 1;
    if (attempt.outcome === "failed") counts.failed += 1;
    counts.histogram[index === -1 ? BINS.length - 1 : index]! += 1;
    this.unwritten.set(bucket, counts);
    return fresh;
  }

  /**
   * Writes the counts held in memory, one upsert per bucket, and how far they go; a bucket's first
   * write prunes those past KEEP_MS.
   */
  flush(now = Date.now()): void {
    if (this.unwritten.size === 0) return;
    this.makeTable();
    for (const [bucket, counts] of this.unwritten) {
      const { attempts } = this.sql
        .exec<{ attempts: number }>(
          `INSERT INTO attempt_stats (bucket, succeeded, failed, attempts, ${BINS.join(", ")}) VALUES (?, ?, ?, ?, ${BINS.map(() => "?").join(", ")})
           ON CONFLICT (bucket) DO UPDATE SET succeeded = succeeded + excluded.succeeded, failed = failed + excluded.failed,
             attempts = attempts + excluded.attempts, ${BINS.map((bin) => `${bin} = ${bin} + excluded.${bin}`).join(", ")}
           RETURNING attempts`,
          bucket, counts.succeeded, counts.failed, counts.attempts, ...counts.histogram,
        )
        .one();
      if (attempts === counts.attempts) this.sql.exec(`DELETE FROM attempt_stats WHERE bucket < ?`, now - KEEP_MS);
    }
    const from = this.deliveries.changesFrom() ?? { seq: 0, position: 0 };
    this.sql.exec(
      `INSERT INTO stats_written (one, through, from_seq, from_position) VALUES (1, ?, ?, ?)
       ON CONFLICT (one) DO UPDATE SET through = excluded.through, from_seq = excluded.from_seq, from_position = excluded.from_position`,
      now, from.seq, from.position,
    );
    this.unwritten.clear();
  }

  /**
   * Counts the attempts the delivery log holds that ended after the last write. An attempt's end is
   * the sending worker's clock and the write's the object's, so one reported within the time its
   * report takes around a write may count twice or not at all.
   */
  private countUnwritten(): void {
    // Made with the first write (flush): none yet, nothing was written, and the whole log counts.
    const noteKept = this.sql.exec(`SELECT 1 FROM sqlite_master WHERE name = 'stats_written'`).toArray().length > 0;
    const written = noteKept
      ? this.sql.exec<{ through: number; from_seq: number; from_position: number }>(`SELECT through, from_seq, from_position FROM stats_written`).toArray()[0]
      : undefined;
    const noted = written ? { seq: written.from_seq, position: written.from_position } : { seq: 0, position: 0 };
    for (const { attempt, at } of this.deliveries.attemptsEndedAfter(noted, written?.through ?? 0)) this.count(attempt, at);
  }

  /** The window's figures, counting what is still in memory; `backlog` comes from the deliveries. */
  read(window: StatsWindow, now: number, backlog: { pending: number; oldest: number | null }): WebhookStats {
    this.flush(now);
    this.makeTable();
    return readStats(this.sql, window, now, backlog);
  }

  /** Storage was wiped (the webhook was deleted): forget the counts; the table is made again when needed. */
  reset(): void {
    this.unwritten.clear();
    this.tableMade = false;
  }

  private makeTable() {
    if (this.tableMade) return;
    this.sql.exec(STATS_SCHEMA);
    this.tableMade = true;
  }
}

/** The window's totals and series from the rows written. */
function readStats(sql: SqlStorage, window: StatsWindow, now: number, backlog: { pending: number; oldest: number | null }): WebhookStats {
  const { lengthMs, stepMs } = STATS_WINDOWS[window];
  const points = lengthMs / stepMs;
  const from = now - (now % stepMs) - (points - 1) * stepMs;
  const rows = sql
    .exec<Record<string, number>>(
      `SELECT bucket - (bucket % ?) AS start, sum(succeeded) AS succeeded, sum(failed) AS failed, sum(attempts) AS attempts,
         ${BINS.map((bin) => `sum(${bin}) AS ${bin}`).join(", ")}
       FROM attempt_stats WHERE bucket >= ? GROUP BY start`,
      stepMs, from,
    )
    .toArray();
  const byStart = new Map(rows.map((row) => [row.start!, { succeeded: row.succeeded!, failed: row.failed!, attempts: row.attempts!, histogram: BINS.map((bin) => row[bin]!) }]));
  const total = emptyCounts();
  const series = Array.from({ length: points }, (_, i) => {
    const start = from + i * stepMs;
    const counts = byStart.get(start) ?? emptyCounts();
    total.succeeded += counts.succeeded;
    total.failed += counts.failed;
    total.attempts += counts.attempts;
    counts.histogram.forEach((n, bin) => (total.histogram[bin]! += n));
    return { start, succeeded: counts.succeeded, failed: counts.failed, attempts: counts.attempts, latencyMs: latencyOf(counts.histogram) };
  });
  const ended = total.succeeded + total.failed;
  return {
    window,
    from,
    to: now,
    stepMs,
    totals: {
      succeeded: total.succeeded,
      failed: total.failed,
      attempts: total.attempts,
      successRate: ended === 0 ? null : total.succeeded / ended,
      latencyMs: latencyOf(total.histogram),
    },
    backlog: { pending: backlog.pending, oldestAgeMs: backlog.oldest === null ? null : Math.max(0, now - backlog.oldest) },
    series,
  };
}

function latencyOf(histogram: number[]): Latency {
  return { p50: percentile(histogram, 0.5), p95: percentile(histogram, 0.95) };
}

/** The upper bound of the bin holding the `q` quantile; null without attempts. */
function percentile(histogram: number[], q: number): number | null {
  const count = histogram.reduce((a, b) => a + b, 0);
  if (count === 0) return null;
  let seen = 0;
  const bin = histogram.findIndex((n) => (seen += n) >= q * count);
  return LATENCY_BOUNDS_MS[bin]!;
}
