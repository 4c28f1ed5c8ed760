// The fan-out watermark of an organization: every event with a smaller ingest seq has been
// appended to all its webhooks' sequencers. A sequencer may deliver an event with seq <= the
// watermark: nothing earlier can still arrive. Fan-out jobs can run out of order or concurrently
// (the queue does not order them), so this is what keeps per-webhook delivery in ingest order.
//
// The watermark only grows: it is the smallest seq not yet fanned out, or the next seq to be
// assigned when everything is fanned out. A watermark read at any time before a delivery is
// chosen is therefore safe to use for that choice.

export interface Watermark {
  /** Deliveries with seq <= value may go. */
  value: number;
  /** The oldest event not yet fanned out, if any: seq and ingest time. */
  oldestPending: { seq: number; created: number } | null;
}

export async function readWatermark(db: D1Database, orgId: string): Promise<Watermark> {
  return watermarkOf((await watermarkQuery(db, orgId).first<WatermarkRow>()) ?? undefined);
}

/** The watermark's query, to send in a batch with other statements; read its row with watermarkOf. */
export function watermarkQuery(db: D1Database, orgId: string): D1PreparedStatement {
  return db
    .prepare(
      `SELECT p.seq AS seq, p.created AS created, (SELECT coalesce(max(seq), 0) + 1 FROM events) AS next
       FROM (SELECT 1) LEFT JOIN (SELECT seq, created FROM events WHERE org_id = ?1 AND fanned_out IS NULL ORDER BY seq LIMIT 1) p`,
    )
    .bind(orgId);
}

export interface WatermarkRow {
  seq: number | null;
  created: number | null;
  next: number;
}

export function watermarkOf(row: WatermarkRow | undefined): Watermark {
  if (!row || row.seq === null) return { value: row?.next ?? 1, oldestPending: null };
  return { value: row.seq, oldestPending: { seq: row.seq, created: row.created! } };
}
