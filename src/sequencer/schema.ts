// A sequencer's SQLite tables (the statistics' table, whose columns follow its histogram, is in
// stats.ts). Created if missing when the object starts, and again after erase() wiped storage.

/** The sequencer's own values, one row per key (state.ts). */
export const STATE_TABLE = `CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value) WITHOUT ROWID;`;

/**
 * The statuses of the deliveries that ended without reaching the receiver, and the condition of the
 * partial index that holds those alone, which a statement must state to use it.
 */
export const UNSENT_STATUSES = ["failed", "cancelled"] as const;
export const UNSENT = statusIn(UNSENT_STATUSES);

/** The SQL condition that a delivery's status is one of `statuses`. */
export function statusIn(statuses: readonly string[]): string {
  return `status IN (${statuses.map((status) => `'${status}'`).join(", ")})`;
}

/** Its deliveries, the FIFO and the log in one (deliveries-table.ts says why so). */
export const DELIVERIES_TABLE = `
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER NOT NULL,
  position INTEGER NOT NULL,
  nonce INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  origin TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  last_status_code INTEGER,
  last_error TEXT,
  lease TEXT,
  attempt_log TEXT NOT NULL DEFAULT '[]',
  handed_next TEXT,
  -- The key of the delivery that sent the same event again after this one; null on the event's last
  -- delivery. A redelivery finds that last one from any of the event's deliveries by following them.
  superseded_seq INTEGER,
  superseded_position INTEGER,
  PRIMARY KEY (seq, position)
) WITHOUT ROWID;
-- The deliveries that ended without reaching the receiver, a few among a month of successes on a
-- healthy webhook: so a list of them (and its total) reads them alone. Only these statuses: an index
-- of every row would add a row written to every delivery.
CREATE INDEX IF NOT EXISTS deliveries_unsent ON deliveries (status, seq, position) WHERE ${UNSENT};
`;
