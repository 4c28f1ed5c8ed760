// A sequencer's deliveries: its FIFO and its log, one table whose key is the FIFO's order.
//
// Storage bills every row written, index entries included, and rows read a thousand times less. So
// the table has no index but its key (seq, position) — WITHOUT ROWID, so the key is the row's own
// b-tree — and a delivery costs two rows written: its insert and its outcome (each further attempt
// one more). Its hand-out is written on a row written anyway: its own insert when an append hands it
// out at once, else the row of the delivery just before it, whose outcome is recorded in the same
// call (`handed_next`); only a hand-out with no outcome beside it (a drain's first step), or after a
// row other than the one just before it (appends that raced), writes its own row.
// Everything else reads: ids encode the key (delivery-id.ts), the FIFO's head is found by scanning
// from a key kept in memory, and listings scan (an event's from its seq on). The first open deliveries are
// kept in memory too (a window, in step with every write), so handing out the next one and finding
// a webhook idle cost no read: one statement per delivery while a backlog drains, two per event to
// an idle webhook. A delivery's attempts live in its own row (a JSON array appended by the
// statement that records the outcome). A redelivery (by hand, or a recovery) also marks the event's
// delivery that was last as superseded by it (its key), so a recovery finds each event's last
// delivery by scanning the key's range, and a redelivery of any of an event's deliveries reaches the
// last one in a few key lookups.
import type { AppendItem, AttemptRecord, DeliveryRow, DeliveryStatus } from "./records";
import { CANCELLED_BECAUSE, OPEN_STATUSES } from "./records";
import { newNonce, parseDeliveryId, type DeliveryKey } from "./delivery-id";
import { DELIVERIES_TABLE, statusIn, UNSENT, UNSENT_STATUSES } from "./schema";

const OPEN = statusIn(OPEN_STATUSES);
const FINAL = `NOT ${OPEN}`;
const isOneOf = (statuses: readonly DeliveryStatus[]) => (status: DeliveryStatus) => statuses.includes(status);
const isOpen = isOneOf(OPEN_STATUSES);
const isUnsent = isOneOf(UNSENT_STATUSES);

/** What the table keeps in the sequencer's state table (see the constructor). */
export interface TableMarks {
  readBound(): DeliveryKey | null;
  writeBound(key: DeliveryKey): void;
  readRaced(): boolean;
  writeRaced(raced: boolean): void;
}

/** A delivery's columns but its attempt log, which only `withAttemptLog` reads. */
const COLUMNS = `seq, position, nonce, event_id, event_type, origin, status, attempts, next_attempt_at, created, updated, last_status_code, last_error, lease`;

/** Rows at or after a key, in key order: bind seq, seq, position. */
const AT_OR_AFTER = `seq >= ? AND (seq > ? OR position >= ?)`;

/** Open deliveries one read brings into the window: more than a drain reads ahead (UPCOMING_EVENTS). */
const WINDOW_ROWS = 64;

/** The next position within the seq `seq` names. Positions only grow within a seq, so the FIFO keeps append order. */
const nextPosition = (seq: string) => `(SELECT coalesce(max(position), 0) + 1 FROM deliveries WHERE seq = ${seq})`;

/** The delivery handed out beside a row's outcome, as that row's `handed_next` names it. */
interface HandedNext extends DeliveryKey {
  /** Its attempt number then: a delivery whose attempts have reached it was reported since. */
  attempt: number;
  lease: string;
}

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
  /**
   * The delivery handed out and not yet reported (only ever the head), as in flight, and the row
   * that wrote its hand-out when not its own. Storage shows such a delivery still waiting, so every
   * read of one goes through here.
   */
  private wire: { row: DeliveryRow; handedOnRow: DeliveryKey | null } | null = null;
  /**
   * The last key in the table, and whether an insert has landed before it (appends that raced)
   * since the deliveries were last all final: only then can a final delivery sit between the head
   * and the next open one, which is what `justBefore` otherwise has to ask storage.
   */
  private lastKey: DeliveryKey | null = null;
  private raced = false;
  /**
   * The first open deliveries in key order, from the head on, as storage has them (the one on the
   * wire as handed out), and whether they are all of them; null: not read since the table was
   * (re)loaded. Every write that changes an open delivery changes it here too.
   */
  private window: { rows: DeliveryRow[]; complete: boolean } | null = null;
  /** The bound as stored (see the constructor), read once per start rather than on every insert. */
  private storedBound: DeliveryKey | null = null;
  /**
   * How many rows the table holds: counted once when first asked after a (re)load, then kept by
   * the inserts and the purge. count(*) reads the whole table, a month of deliveries, and the
   * webhook delivers nothing meanwhile; a busy webhook's object stays up, so it counts once.
   */
  private rows: number | null = null;

  /**
   * `marks` keeps two things in the state table, so a fresh object reads neither the final
   * deliveries kept for the log (a month of them) nor a long backlog:
   * - the bound, a key no open delivery sorts before, where a fresh object looks for its head.
   *   Lowered at once by an insert before it (rare: appends race only within the watermark),
   *   raised only by `storeBound`, which the alarm calls: about one row written a minute per busy
   *   webhook, none per delivery;
   * - whether an append raced (see `raced`): written when one does, cleared with the bound.
   */
  constructor(
    private readonly sql: SqlStorage,
    private readonly marks: TableMarks,
  ) {
    this.create();
  }

  /** Creates the table if missing, finds where the open deliveries start and whether their head is on the wire. */
  create() {
    this.sql.exec(DELIVERIES_TABLE);
    this.wire = null;
    this.window = null;
    this.rows = null;
    this.storedBound = this.marks.readBound();
    this.openFrom = this.storedBound ?? { seq: 0, position: 0 };
    this.raced = this.marks.readRaced();
    this.head();
    this.lastKey = this.sql.exec<DeliveryKey>(`SELECT seq, position FROM deliveries ORDER BY seq DESC, position DESC LIMIT 1`).toArray()[0] ?? null;
  }

  /**
   * A race is stored at once (a fresh object must know of it); its end only by `storeBound`, on
   * the alarm, so a webhook whose appends race now and then does not write the mark on and off.
   * A mark left set a while longer only costs a fresh object the checks a race needs.
   */
  private setRaced(raced: boolean) {
    if (this.raced === raced) return;
    this.raced = raced;
    if (raced) this.marks.writeRaced(true);
  }

  /** `head` as in flight if the row before it handed it out (and it was not reported since). */
  private handedBeside(head: DeliveryRow): { row: DeliveryRow; handedOnRow: DeliveryKey } | null {
    const before = this.sql
      .exec<DeliveryKey & { updated: number; handed_next: string | null }>(
        // A row value, so SQLite seeks on the key; the same test spelled with OR sorts every row before the head.
        `SELECT seq, position, updated, handed_next FROM deliveries WHERE (seq, position) < (?, ?) ORDER BY seq DESC, position DESC LIMIT 1`,
        head.seq, head.position,
      )
      .toArray()[0];
    const handed = before?.handed_next ? (JSON.parse(before.handed_next) as HandedNext) : null;
    if (!before || !handed || !sameKey(handed, head) || handed.attempt !== head.attempts + 1) return null;
    return { row: { ...head, status: "in_flight", lease: handed.lease, updated: before.updated }, handedOnRow: { seq: before.seq, position: before.position } };
  }

  // ── writing ────────────────────────────────────────────────────────────────────────────

  /**
   * Appends each event's delivery, unless the event already has one (events in seq order, one
   * each); returns those it inserted, in key order. With `firstHandedOutUnder`, the first event's
   * delivery is inserted already in flight under that lease (its hand-out written with it). One
   * statement for them all: a batch of 100 costs a fifth of 100 statements' time.
   */
  insertEvents(items: AppendItem[], now: number, firstHandedOutUnder: string | null = null): DeliveryRow[] {
    // An event listed twice is appended once, as it would be by a second call.
    const seqs = new Set<number>();
    const values = items.filter((item) => !seqs.has(item.seq) && seqs.add(item.seq)).map((item, i) => ({
      ...item,
      nonce: newNonce(),
      status: i === 0 && firstHandedOutUnder ? "in_flight" : "pending",
      lease: i === 0 ? firstHandedOutUnder : null,
    }));
    // Each item has a seq of its own, so no item's position or repeat check depends on another's insert.
    const inserted = this.sql
      .exec<DeliveryRow>(
        `INSERT INTO deliveries (seq, position, nonce, event_id, event_type, origin, status, lease, created, updated)
         SELECT item.value->>'seq', ${nextPosition("item.value->>'seq'")},
                item.value->>'nonce', item.value->>'eventId', item.value->>'eventType', 'event', item.value->>'status', item.value->>'lease', ?, ?
         FROM json_each(?) AS item
         WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE seq = item.value->>'seq' AND origin = 'event' AND event_id = item.value->>'eventId')
         RETURNING ${COLUMNS}`,
        now, now, JSON.stringify(values),
      )
      .toArray()
      .sort((a, b) => (precedes(a, b) ? -1 : 1));
    this.counted(inserted.length);
    for (const row of inserted) {
      this.opened(row);
      if (row.lease !== null) this.wire = { row, handedOnRow: null };
    }
    return inserted;
  }

  /**
   * A new delivery of `original`'s event at `seq` (or the original's, if later), which becomes the
   * event's last: the delivery that was last is marked superseded by it.
   */
  insertRedelivery(original: DeliveryRow, seq: number, now: number): DeliveryRow {
    const last = this.lastOfEvent(original);
    const at = Math.max(seq, original.seq);
    const row = this.sql
      .exec<DeliveryRow>(
        `INSERT INTO deliveries (seq, position, nonce, event_id, event_type, origin, status, created, updated)
         VALUES (?, ${nextPosition("?")}, ?, ?, ?, 'redelivery', 'pending', ?, ?)
         RETURNING ${COLUMNS}`,
        at, at, newNonce(), original.event_id, original.event_type, now, now,
      )
      .one();
    this.sql.exec(`UPDATE deliveries SET superseded_seq = ?, superseded_position = ? WHERE seq = ? AND position = ?`, row.seq, row.position, last.seq, last.position);
    this.counted(1);
    this.opened(row);
    return row;
  }

  /**
   * The last delivery of `row`'s event, reached by following what superseded each delivery from
   * `row` on (no step when `row` is the last): a few key lookups however long the table. A link
   * points to a later key, of a delivery that ended no earlier, and purges take final deliveries
   * in key order, so a link leads to a row of the same event; the walk checks it all the same.
   */
  private lastOfEvent(row: DeliveryRow): DeliveryKey {
    let last: DeliveryKey = { seq: row.seq, position: row.position };
    for (;;) {
      const next = this.sql
        .exec<DeliveryKey>(
          `SELECT n.seq, n.position FROM deliveries d JOIN deliveries n ON n.seq = d.superseded_seq AND n.position = d.superseded_position
           WHERE d.seq = ? AND d.position = ? AND n.event_id = ?`,
          last.seq, last.position, row.event_id,
        )
        .toArray()[0];
      if (!next) return last;
      last = next;
    }
  }

  /**
   * The first open delivery, marked in flight under `lease`, if it can be sent now: pending, or a
   * retry due by `dueBy`, and its seq within `watermark`. One statement in the usual case.
   */
  takeHeadIfReady(now: number, lease: string, watermark: number, dueBy: number): DeliveryRow | undefined {
    const from = this.openFrom;
    // One delivery on the wire at a time, even when a raced append put another before it.
    if (!from || this.wire) return undefined;
    const row = this.sql
      .exec<DeliveryRow>(
        `UPDATE deliveries SET status = 'in_flight', updated = ?, lease = ?
         WHERE (seq, position) = (SELECT seq, position FROM deliveries WHERE ${AT_OR_AFTER} AND ${OPEN} ORDER BY seq, position LIMIT 1)
           AND seq <= ? AND (status = 'pending' OR (status = 'retrying' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)))
         RETURNING ${COLUMNS}`,
        now, lease, from.seq, from.seq, from.position, watermark, dueBy,
      )
      .toArray()[0];
    if (row) this.handedOut(row, null);
    return row;
  }

  /**
   * Settles `row` (just reported) and, if the delivery after it can be sent now, hands that one out
   * in the same write: on `row`'s `handed_next`, not its own row. Returns it, as in flight, if so.
   */
  settleAndTakeNext(row: DeliveryRow, change: Settlement, lease: string, watermark: number, dueBy: number): DeliveryRow | undefined {
    const next = this.windowRows(this.openFrom ?? row, 2).find((open) => !sameKey(open, row));
    const ready = next && next.seq <= watermark && (next.status === "pending" || (next.status === "retrying" && (next.next_attempt_at === null || next.next_attempt_at <= dueBy)));
    // A fresh object looks for a hand-out on the row just before its head, so only that row may carry it.
    if (!ready || !this.justBefore(row, next)) {
      this.settle(row, change);
      return ready && !this.wire ? this.takeHeadIfReady(change.now, lease, watermark, dueBy) : undefined;
    }
    this.settle(row, change, { seq: next.seq, position: next.position, attempt: next.attempts + 1, lease });
    return this.handedOut({ ...next, status: "in_flight", lease, updated: change.now }, row);
  }

  /** The delivery on the wire, handed out again from `now` on its own row (its holder had not sent it yet). */
  handOutAgain(row: DeliveryRow, now: number): DeliveryRow {
    this.sql.exec(`UPDATE deliveries SET status = 'in_flight', lease = ?, updated = ? WHERE seq = ? AND position = ?`, row.lease, now, row.seq, row.position);
    return this.handedOut({ ...row, status: "in_flight", updated: now }, null);
  }

  /** Whether `before` sorts just before `key`, with no delivery between them. */
  private justBefore(before: DeliveryKey, key: DeliveryKey): boolean {
    if (!precedes(before, key)) return false;
    // Inserted in key order, the rows between the head and the next open one would be open too.
    if (!this.raced) return true;
    return this.sql.exec(`SELECT 1 FROM deliveries WHERE (seq, position) > (?, ?) AND (seq, position) < (?, ?) LIMIT 1`, before.seq, before.position, key.seq, key.position).toArray().length === 0;
  }

  /** A delivery's new status, counting the attempt and appending it to its log if there was one. One statement. */
  settle(row: DeliveryRow, change: Settlement, handedNext: HandedNext | null = null) {
    const { attempt } = change;
    const settled: DeliveryRow = {
      ...row,
      status: change.status,
      attempts: row.attempts + (attempt ? 1 : 0),
      next_attempt_at: change.nextAttemptAt ?? null,
      updated: change.now,
      last_status_code: attempt?.statusCode ?? null,
      last_error: attempt?.error ?? change.reason ?? null,
    };
    const logged = attempt ? JSON.stringify(attempt) : null;
    this.sql.exec(
      `UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, updated = ?, last_status_code = ?, last_error = ?,
         attempt_log = CASE WHEN ? IS NULL THEN attempt_log ELSE json_insert(attempt_log, '$[#]', json(?)) END, handed_next = ?
       WHERE seq = ? AND position = ?`,
      settled.status, settled.attempts, settled.next_attempt_at, settled.updated, settled.last_status_code, settled.last_error,
      logged, logged, handedNext && JSON.stringify(handedNext), row.seq, row.position,
    );
    if (this.wire && sameKey(this.wire.row, row)) this.wire = null;
    this.inWindow(settled);
  }

  /**
   * Deletes up to `limit` final deliveries last changed before `cutoff`, oldest keys first; returns
   * how many. The row naming the delivery on the wire stays while it is. Deliveries end in key
   * order, so the expired ones come first: the walk stops at the seq of the first delivery changed
   * since `cutoff` instead of reading the rest of the month kept. (One that ended out of order, an
   * append that raced, goes once the deliveries before it have.)
   */
  deleteFinalBefore(cutoff: number, limit: number): number {
    const keep = this.wire?.handedOnRow ?? { seq: -1, position: -1 };
    this.sql.exec(
      `DELETE FROM deliveries WHERE (seq, position) IN (
         SELECT seq, position FROM deliveries
         WHERE seq <= coalesce((SELECT seq FROM deliveries WHERE updated >= ? ORDER BY seq, position LIMIT 1), ${Number.MAX_SAFE_INTEGER})
           AND ${FINAL} AND updated < ? AND NOT (seq = ? AND position = ?)
         ORDER BY seq, position LIMIT ?)`,
      cutoff, cutoff, keep.seq, keep.position, limit,
    );
    // Not the statement's rows written, which count the index's entries too.
    const deleted = this.sql.exec<{ n: number }>(`SELECT changes() AS n`).one().n;
    this.counted(-deleted);
    return deleted;
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────

  head(): DeliveryRow | undefined {
    const from = this.openFrom;
    if (!from) return undefined;
    const row = this.windowRows(from, 1)[0];
    this.openFrom = row ? { seq: row.seq, position: row.position } : null;
    if (!row) this.setRaced(false);
    if (row && !this.wire) this.wire = row.status === "in_flight" ? { row, handedOnRow: null } : this.handedBeside(row);
    return row && this.asSent(row);
  }

  /** The delivery handed out and not yet reported, if any. */
  onTheWire(): DeliveryRow | undefined {
    return this.wire?.row;
  }

  /** The events of the open deliveries after `head`, in FIFO order. */
  eventIdsAfter(head: DeliveryKey, limit: number): string[] {
    return this.windowRows(this.openFrom ?? head, limit + 1)
      .filter((row) => precedes(head, row))
      .slice(0, limit)
      .map((row) => row.event_id);
  }

  byId(id: string): DeliveryRow | undefined {
    const parts = parseDeliveryId(id);
    if (!parts) return undefined;
    const row = this.sql
      .exec<DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries WHERE seq = ? AND position = ? AND nonce = ?`, parts.seq, parts.position, parts.nonce)
      .toArray()[0];
    return row && this.asSent(row);
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
    return row && { row: this.asSent(row), attemptLog: JSON.parse(row.attempt_log) as AttemptRecord[] };
  }

  /**
   * The next `limit` deliveries in key order after `after`, up to `end`, and of them the events
   * that did not reach the receiver: each event's last delivery (not superseded) created at or
   * after `since` that ended failed or was cancelled unsent (but not for an event past retention,
   * which has nothing left to send); an event sent again since (delivered, or still waiting) is not
   * among them. In key order, the order they were queued in; `last` is the last key looked at, and
   * `done` whether the range ends there. A page of the range whatever it holds, so that no
   * statement walks a month of deliveries older than `since` before the first one it wants.
   */
  undeliveredIn(since: number, after: DeliveryKey | null, end: DeliveryKey, limit: number): { undelivered: DeliveryRow[]; last: DeliveryKey | null; done: boolean } {
    const from = after ?? { seq: -1, position: -1 };
    const page = this.sql
      .exec<DeliveryRow & { wanted: number }>(
        `SELECT ${COLUMNS}, (created >= ? AND superseded_seq IS NULL AND (status = 'failed' OR (status = 'cancelled' AND last_error IS NOT ?))) AS wanted
         FROM deliveries WHERE (seq, position) > (?, ?) AND (seq, position) <= (?, ?)
         ORDER BY seq, position LIMIT ?`,
        since, CANCELLED_BECAUSE.eventGone, from.seq, from.position, end.seq, end.position, limit,
      )
      .toArray();
    const last = page.at(-1);
    return {
      undelivered: page.filter((row) => row.wanted === 1).map(({ wanted: _, ...row }) => row),
      last: last ? { seq: last.seq, position: last.position } : null,
      done: page.length < limit || sameKey(last!, end),
    };
  }

  /** The last key in the table (null: none). */
  lastDeliveryKey(): DeliveryKey | null {
    return this.lastKey && { ...this.lastKey };
  }

  /**
   * Newest first (the FIFO's order reversed). Each filter reads no more than it must: `event`, only
   * its deliveries, which sort at or after its seq; an open status, the deliveries from the head on
   * (no open one sorts before it); failed or cancelled, those rows alone (their index); succeeded,
   * the newest rows until the page is full, its total the rest of the table's count.
   */
  list(filter: { status?: DeliveryStatus; event?: { id: string; seq: number }; limit: number; offset: number }): { total: number; rows: DeliveryRow[] } {
    const { status, event } = filter;
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (event) {
      where.push("event_id = ?", "seq >= ?");
      args.push(event.id, event.seq);
    }
    if (status && isUnsent(status)) {
      // Never the delivery on the wire, which is open.
      where.push("status = ?", UNSENT);
      args.push(status);
    } else if (status) {
      // The delivery on the wire is listed, and filtered, as in flight whatever its own row says.
      const onWire = this.wire?.row;
      where.push(onWire ? `(CASE WHEN seq = ${onWire.seq} AND position = ${onWire.position} THEN 'in_flight' ELSE status END) = ?` : "status = ?");
      args.push(status);
      if (isOpen(status)) {
        const from = this.openFrom;
        if (!from) return { total: 0, rows: [] };
        where.push(AT_OR_AFTER);
        args.push(from.seq, from.seq, from.position);
      }
    }
    const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    const count = (condition: string, ...bound: SqlStorageValue[]) => this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM deliveries ${condition}`, ...bound).one().n;
    const total =
      !event && (status === undefined || status === "succeeded")
        ? this.rowCount() - (status ? count(`WHERE ${UNSENT}`) + this.openCount() : 0)
        : count(clause, ...args);
    const rows = this.sql
      .exec<DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries ${clause} ORDER BY seq DESC, position DESC LIMIT ? OFFSET ?`, ...args, filter.limit, filter.offset)
      .toArray()
      .map((row) => this.asSent(row));
    return { total, rows };
  }

  lastOutcome(): DeliveryRow | undefined {
    const before = this.attemptedThrough();
    return this.sql
      .exec<DeliveryRow>(
        `SELECT ${COLUMNS} FROM deliveries WHERE (seq, position) < (?, ?) AND status IN ('succeeded', 'failed') ORDER BY seq DESC, position DESC LIMIT 1`,
        before.seq, before.position,
      )
      .toArray()[0];
  }

  openCount(): number {
    const from = this.openFrom;
    if (!from) return 0;
    return this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM deliveries WHERE ${AT_OR_AFTER} AND ${OPEN}`, from.seq, from.seq, from.position).one().n;
  }

  /** When the first final delivery (in key order, the oldest to end) last changed; null if there is none. */
  oldestFinalUpdate(): number | null {
    // The first in key order: deliveries end in that order (see deleteFinalBefore), and min() would read them all.
    return this.sql.exec<{ updated: number }>(`SELECT updated FROM deliveries WHERE ${FINAL} ORDER BY seq, position LIMIT 1`).toArray()[0]?.updated ?? null;
  }

  rowCount(): number {
    this.rows ??= this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM deliveries`).one().n;
    return this.rows;
  }

  private counted(added: number) {
    if (this.rows !== null) this.rows += added;
  }

  private writeBound(key: DeliveryKey) {
    this.storedBound = { seq: key.seq, position: key.position };
    this.marks.writeBound(this.storedBound);
  }

  /** `row` as it stands: in flight if it is on the wire, whatever its own row says. */
  private asSent(row: DeliveryRow): DeliveryRow {
    return this.wire && sameKey(this.wire.row, row) ? this.wire.row : row;
  }

  private handedOut(row: DeliveryRow, handedOnRow: DeliveryKey | null): DeliveryRow {
    this.inWindow(row);
    this.wire = { row, handedOnRow: handedOnRow && { seq: handedOnRow.seq, position: handedOnRow.position } };
    // Open deliveries start at the window's head, which a raced append may have put before this one;
    // without a window, no further on than before (the alarm stores this bound, and a waking object
    // reads from it).
    const from = this.window?.rows[0] ?? (this.openFrom && precedes(this.openFrom, row) ? this.openFrom : row);
    this.openFrom = { seq: from.seq, position: from.position };
    return row;
  }

  // ── the window ─────────────────────────────────────────────────────────────────────────

  /**
   * The window's rows, read from `from` (no open delivery sorts before it) when it is not known, or
   * holds fewer than `wanted` and is not complete.
   */
  private windowRows(from: DeliveryKey, wanted: number): DeliveryRow[] {
    if (this.window && (this.window.complete || this.window.rows.length >= wanted)) return this.window.rows;
    const rows = this.sql
      .exec<DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries WHERE ${AT_OR_AFTER} AND ${OPEN} ORDER BY seq, position LIMIT ${WINDOW_ROWS}`, from.seq, from.seq, from.position)
      .toArray();
    this.window = { rows, complete: rows.length < WINDOW_ROWS };
    return rows;
  }

  /** A new open delivery: in the window if it sorts before its last row, or if the window holds them all. */
  private enterWindow(row: DeliveryRow) {
    const window = this.window;
    if (!window) return;
    const at = window.rows.findIndex((open) => precedes(row, open));
    if (at >= 0) window.rows.splice(at, 0, row);
    // Past WINDOW_ROWS the rest stays in storage, read when the window runs out: a thousand rows
    // inserted at once (a recovery) do not each scan a growing list.
    else if (window.complete && window.rows.length < WINDOW_ROWS) window.rows.push(row);
    else window.complete = false;
  }

  /** A delivery in the window as it is now written: kept while open, else dropped. */
  private inWindow(row: DeliveryRow) {
    const rows = this.window?.rows;
    const at = rows?.findIndex((known) => sameKey(known, row)) ?? -1;
    if (at < 0) return;
    if (isOpen(row.status)) rows![at] = row;
    else rows!.splice(at, 1);
  }

  /** Raises the stored bound to where the open deliveries start now (or to the last delivery, when none is open), and clears an ended race's mark. */
  storeBound() {
    const from = this.changesFrom();
    if (from) this.writeBound(from);
    if (!this.raced) this.marks.writeRaced(false);
  }

  /** Where the open deliveries start, or the last delivery when none is open (an append that races can insert before it). */
  changesFrom(): DeliveryKey | null {
    return this.openFrom ?? this.lastKey;
  }

  /**
   * The attempts of deliveries at or after `from` (or where the open ones start, if an append that
   * raced put one before it since) that ended after `after`, each with when it ended.
   */
  attemptsEndedAfter(noted: DeliveryKey, after: number): { attempt: AttemptRecord; at: number }[] {
    const open = this.changesFrom();
    const from = open && precedes(open, noted) ? open : noted;
    const through = this.attemptedThrough();
    const rows = this.sql
      .exec<{ attempt_log: string }>(
        `SELECT attempt_log FROM deliveries WHERE (seq, position) >= (?, ?) AND (seq, position) <= (?, ?) AND updated > ?`,
        from.seq, from.position, through.seq, through.position, after,
      )
      .toArray();
    return rows.flatMap((row) =>
      (JSON.parse(row.attempt_log) as AttemptRecord[]).map((attempt) => ({ attempt, at: attempt.started + attempt.durationMs })).filter(({ at }) => at > after),
    );
  }

  /**
   * The last key a delivery may have been attempted or ended at: the head, unless an append raced
   * (everything after it is open and untried), else past the end. Reads then skip a backlog.
   */
  private attemptedThrough(): DeliveryKey {
    return (this.raced ? undefined : this.head()) ?? { seq: Number.MAX_SAFE_INTEGER, position: 0 };
  }

  private opened(row: DeliveryRow) {
    this.enterWindow(row);
    const key: DeliveryKey = row;
    if (this.lastKey && precedes(key, this.lastKey)) this.setRaced(true);
    else this.lastKey = { seq: key.seq, position: key.position };
    const from = this.openFrom;
    if (!from || precedes(key, from)) this.openFrom = { seq: key.seq, position: key.position };
    if (this.storedBound && precedes(key, this.storedBound)) this.writeBound(key);
  }
}

function precedes(a: DeliveryKey, b: DeliveryKey): boolean {
  return a.seq < b.seq || (a.seq === b.seq && a.position < b.position);
}

function sameKey(a: DeliveryKey, b: DeliveryKey): boolean {
  return a.seq === b.seq && a.position === b.position;
}
