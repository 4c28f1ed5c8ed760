// A sequencer's deliveries: its FIFO and its log, one table whose key is the FIFO's order.
//
// Storage bills every row written, index entries included, and rows read a thousand times less. So
// the table has no index but its key (seq, position) — WITHOUT ROWID, so the key is the row's own
// b-tree — and a delivery costs three rows written: its insert, its hand-out, its outcome (each
// further attempt two more). Everything else reads: ids encode the key (delivery-id.ts), the
// FIFO's head is found by scanning from a key kept in memory, and listings and lookups by event
// scan. A delivery's attempts live in its own row (a JSON array appended by the statement that
// records the outcome).
import type { AppendItem, AttemptRecord, DeliveryRow, DeliveryStatus } from "./records";
import { OPEN_STATUSES } from "./records";
import { newNonce, parseDeliveryId, type DeliveryKey } from "./delivery-id";
import { whereEqual } from "../db/sql-filter";
import { DELIVERIES_TABLE } from "./schema";

const OPEN = `status IN (${OPEN_STATUSES.map((status) => `'${status}'`).join(", ")})`;
const FINAL = `NOT ${OPEN}`;

/** A delivery's columns but its attempt log, which only `withAttemptLog` reads. */
const COLUMNS = `seq, position, nonce, event_id, event_type, origin, status, attempts, next_attempt_at, created, updated, last_status_code, last_error, lease`;

/** Rows at or after a key, in key order: bind seq, seq, position. */
const AT_OR_AFTER = `seq >= ? AND (seq > ? OR position >= ?)`;

/** The next position within a seq: bind seq. Positions only grow within a seq, so the FIFO keeps append order. */
const NEXT_POSITION = `(SELECT coalesce(max(position), 0) + 1 FROM deliveries WHERE seq = ?)`;

/** A delivery's change after an attempt (appended to its log) or a cancellation (for `reason`). */
export interface Settlement {
  status: DeliveryStatus;
  now: number;
  nextAttemptAt?: number | null;
  attempt?: AttemptRecord;
  reason?: string;
}

export class DeliveriesTable {
  /**
   * No open delivery sorts before this key (null: none is open). FIFO reads start here, so they do
   * not walk the final deliveries kept for the log. Appends can arrive out of seq order (fan-outs
   * race), so an insert can move it back.
   */
  private openFrom: DeliveryKey | null = null;

  constructor(private readonly sql: SqlStorage) {
    this.create();
  }

  /** Creates the table if missing and finds where the open deliveries start. */
  create() {
    this.sql.exec(DELIVERIES_TABLE);
    this.openFrom = this.sql.exec<DeliveryKey>(`SELECT seq, position FROM deliveries WHERE ${OPEN} ORDER BY seq, position LIMIT 1`).toArray()[0] ?? null;
  }

  // ── writing ────────────────────────────────────────────────────────────────────────────

  /**
   * Appends an event's delivery, unless the event already has one; returns it if new. With
   * `handedOutUnder`, it is inserted already in flight under that lease (its hand-out written with it).
   */
  insertEvent(item: AppendItem, now: number, handedOutUnder: string | null = null): DeliveryRow | undefined {
    const inserted = this.sql
      .exec<DeliveryRow>(
        `INSERT INTO deliveries (seq, position, nonce, event_id, event_type, origin, status, lease, created, updated)
         SELECT ?, ${NEXT_POSITION}, ?, ?, ?, 'event', ?, ?, ?, ?
         WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE seq = ? AND origin = 'event' AND event_id = ?)
         RETURNING ${COLUMNS}`,
        item.seq, item.seq, newNonce(), item.eventId, item.eventType, handedOutUnder ? "in_flight" : "pending", handedOutUnder, now, now, item.seq, item.eventId,
      )
      .toArray()[0];
    if (inserted) this.opened(inserted);
    return inserted;
  }

  /** A new delivery of `original`'s event at `seq` (or the original's, if later). */
  insertRedelivery(original: DeliveryRow, seq: number, now: number): DeliveryRow {
    const at = Math.max(seq, original.seq);
    const row = this.sql
      .exec<DeliveryRow>(
        `INSERT INTO deliveries (seq, position, nonce, event_id, event_type, origin, status, created, updated)
         VALUES (?, ${NEXT_POSITION}, ?, ?, ?, 'redelivery', 'pending', ?, ?)
         RETURNING ${COLUMNS}`,
        at, at, newNonce(), original.event_id, original.event_type, now, now,
      )
      .one();
    this.opened(row);
    return row;
  }

  /**
   * The first open delivery, marked in flight under `lease`, if it can be sent now: pending, or a
   * retry due by `dueBy`, and its seq within `watermark`. One statement in the usual case.
   */
  takeHeadIfReady(now: number, lease: string, watermark: number, dueBy: number): DeliveryRow | undefined {
    const from = this.openFrom;
    if (!from) return undefined;
    const row = this.sql
      .exec<DeliveryRow>(
        `UPDATE deliveries SET status = 'in_flight', updated = ?, lease = ?
         WHERE (seq, position) = (SELECT seq, position FROM deliveries WHERE ${AT_OR_AFTER} AND ${OPEN} ORDER BY seq, position LIMIT 1)
           AND seq <= ? AND (status = 'pending' OR (status = 'retrying' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)))
         RETURNING ${COLUMNS}`,
        now, lease, from.seq, from.seq, from.position, watermark, dueBy,
      )
      .toArray()[0];
    if (row) this.openFrom = { seq: row.seq, position: row.position };
    return row;
  }

  /** A delivery's new status, counting the attempt and appending it to its log if there was one. One statement. */
  settle(row: DeliveryRow, change: Settlement) {
    const { attempt } = change;
    const logged = attempt ? JSON.stringify(attempt) : null;
    this.sql.exec(
      `UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, updated = ?, last_status_code = ?, last_error = ?,
         attempt_log = CASE WHEN ? IS NULL THEN attempt_log ELSE json_insert(attempt_log, '$[#]', json(?)) END
       WHERE seq = ? AND position = ?`,
      change.status, row.attempts + (attempt ? 1 : 0), change.nextAttemptAt ?? null, change.now, attempt?.statusCode ?? null,
      attempt?.error ?? change.reason ?? null, logged, logged, row.seq, row.position,
    );
  }

  /** Deletes up to `limit` final deliveries last changed before `cutoff`, oldest keys first; returns how many. */
  deleteFinalBefore(cutoff: number, limit: number): number {
    return this.sql.exec(
      `DELETE FROM deliveries WHERE (seq, position) IN (
         SELECT seq, position FROM deliveries WHERE ${FINAL} AND updated < ? ORDER BY seq, position LIMIT ?)`,
      cutoff, limit,
    ).rowsWritten;
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────

  head(): DeliveryRow | undefined {
    const from = this.openFrom;
    if (!from) return undefined;
    const row = this.sql
      .exec<DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries WHERE ${AT_OR_AFTER} AND ${OPEN} ORDER BY seq, position LIMIT 1`, from.seq, from.seq, from.position)
      .toArray()[0];
    this.openFrom = row ? { seq: row.seq, position: row.position } : null;
    return row;
  }

  /** The events of the open deliveries after `head`, in FIFO order. */
  eventIdsAfter(head: DeliveryKey, limit: number): string[] {
    return this.sql
      .exec<{ event_id: string }>(
        `SELECT event_id FROM deliveries WHERE ${AT_OR_AFTER} AND ${OPEN} AND NOT (seq = ? AND position = ?) ORDER BY seq, position LIMIT ?`,
        head.seq, head.seq, head.position, head.seq, head.position, limit,
      )
      .toArray()
      .map((row) => row.event_id);
  }

  byId(id: string): DeliveryRow | undefined {
    const parts = parseDeliveryId(id);
    if (!parts) return undefined;
    return this.sql
      .exec<DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries WHERE seq = ? AND position = ? AND nonce = ?`, parts.seq, parts.position, parts.nonce)
      .toArray()[0];
  }

  withAttemptLog(id: string): { row: DeliveryRow; attemptLog: AttemptRecord[] } | undefined {
    const parts = parseDeliveryId(id);
    if (!parts) return undefined;
    const row = this.sql
      .exec<DeliveryRow & { attempt_log: string }>(
        `SELECT ${COLUMNS}, attempt_log FROM deliveries WHERE seq = ? AND position = ? AND nonce = ?`,
        parts.seq, parts.position, parts.nonce,
      )
      .toArray()[0];
    return row && { row, attemptLog: JSON.parse(row.attempt_log) as AttemptRecord[] };
  }

  failedSince(since: number): DeliveryRow[] {
    return this.sql.exec<DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries WHERE status = 'failed' AND created >= ? ORDER BY seq, position`, since).toArray();
  }

  /** Newest first (the FIFO's order reversed). */
  list(filter: { status?: DeliveryStatus; eventId?: string; limit: number; offset: number }): { total: number; rows: DeliveryRow[] } {
    const { clause, args } = whereEqual({ status: filter.status, event_id: filter.eventId });
    const total = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM deliveries ${clause}`, ...args).one().n;
    const rows = this.sql
      .exec<DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries ${clause} ORDER BY seq DESC, position DESC LIMIT ? OFFSET ?`, ...args, filter.limit, filter.offset)
      .toArray();
    return { total, rows };
  }

  lastOutcome(): DeliveryRow | undefined {
    return this.sql
      .exec<DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries WHERE status IN ('succeeded', 'failed') ORDER BY seq DESC, position DESC LIMIT 1`)
      .toArray()[0];
  }

  openCount(): number {
    const from = this.openFrom;
    if (!from) return 0;
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM deliveries WHERE ${AT_OR_AFTER} AND ${OPEN}`, from.seq, from.seq, from.position).one().n;
  }

  /** When the longest-unchanged final delivery last changed; null if there is none. */
  oldestFinalUpdate(): number | null {
    return this.sql.exec<{ oldest: number | null }>(`SELECT min(updated) AS oldest FROM deliveries WHERE ${FINAL}`).one().oldest;
  }

  rowCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM deliveries`).one().n;
  }

  private opened(key: DeliveryKey) {
    const from = this.openFrom;
    if (!from || key.seq < from.seq || (key.seq === from.seq && key.position < from.position)) this.openFrom = { seq: key.seq, position: key.position };
  }
}
