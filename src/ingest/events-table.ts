// An event log's events: one row per event, keyed by its seq (its id carries the seq, so looking
// an event up by id needs no index), with one unique index for the producer's id (idempotency).
import type { EventKind, LoggedEvent, StoredAnswer } from "./records";
import { seqOfEventId } from "./event-ids";

const EVENTS_TABLE = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  type TEXT NOT NULL,
  entity TEXT,
  producer_id TEXT,
  data TEXT NOT NULL,
  created INTEGER NOT NULL,
  webhook_ids TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_producer_id ON events(source, producer_id) WHERE producer_id IS NOT NULL;`;

interface EventRow extends Record<string, SqlStorageValue> {
  seq: number;
  id: string;
  kind: string;
  source: string;
  type: string;
  entity: string | null;
  producer_id: string | null;
  data: string;
  created: number;
  webhook_ids: string;
}

/** What a list of events may be narrowed to. */
export interface EventFilter {
  type?: string | undefined;
  source?: string | undefined;
}

/** The filter as an SQL condition on the events table (always true for no filter) and its bound values. */
function conditionOf(filter: EventFilter): { condition: string; args: string[] } {
  const given = (["type", "source"] as const).flatMap((column) => (filter[column] ? [[column, filter[column]] as const] : []));
  return { condition: given.length ? given.map(([column]) => `${column} = ?`).join(" AND ") : "1", args: given.map(([, value]) => value) };
}

const toEvent = (row: EventRow): LoggedEvent => ({
  seq: row.seq,
  id: row.id,
  kind: row.kind as EventKind,
  source: row.source,
  type: row.type,
  entity: row.entity,
  producerId: row.producer_id,
  data: row.data,
  created: row.created,
  webhookIds: JSON.parse(row.webhook_ids) as string[],
});

export class EventsTable {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(EVENTS_TABLE);
  }

  /** The seq the next event gets. */
  nextSeq(): number {
    return this.sql.exec<{ next: number }>(`SELECT coalesce(max(seq), 0) + 1 AS next FROM events`).one().next;
  }

  /**
   * Stores the events, as few statements as the size of a bound string allows (a batch of 100 in
   * one statement costs a third of 100 statements' time). An event to many webhooks carries all
   * their ids, so a batch to a thousand of them is split rather than bound as one 4 MB string.
   */
  insert(events: LoggedEvent[]): void {
    for (const group of bySize(events.map((event) => JSON.stringify({ ...event, webhookIds: JSON.stringify(event.webhookIds) })))) {
      this.sql.exec(
        `INSERT INTO events (seq, id, kind, source, type, entity, producer_id, data, created, webhook_ids)
         SELECT e.value->>'seq', e.value->>'id', e.value->>'kind', e.value->>'source', e.value->>'type', e.value->>'entity',
                e.value->>'producerId', e.value->>'data', e.value->>'created', e.value->>'webhookIds'
         FROM json_each(?) AS e`,
        `[${group.join(",")}]`,
      );
    }
  }

  /** The events from `seq` on that have webhooks to reach, in seq order, as much as a restart needs to know of them. */
  toFanOutFrom(seq: number): Iterable<{ seq: number; id: string; created: number; webhooks: number }> {
    return this.sql.exec<{ seq: number; id: string; created: number; webhooks: number }>(
      `SELECT seq, id, created, json_array_length(webhook_ids) AS webhooks FROM events WHERE seq >= ? AND webhook_ids <> '[]' ORDER BY seq`,
      seq,
    );
  }

  /**
   * The stored events of `source` with these producer ids, by producer id. Matched in SQL and
   * mapped back by position, not by the id read back: a string that is not well-formed Unicode
   * (a lone surrogate) does not come back from SQLite as it went in.
   */
  byProducerIds(source: string, producerIds: string[]): Map<string, StoredAnswer> {
    if (producerIds.length === 0) return new Map();
    const rows = this.sql
      .exec<{ i: number; id: string; seq: number; type: string; created: number }>(
        // CROSS JOIN keeps the ids as the outer loop, so each is one seek of the (source, producer_id)
        // index; left to choose, SQLite (no ANALYZE statistics) walks every event of the source per id.
        `SELECT wanted.key AS i, e.id, e.seq, e.type, e.created FROM json_each(?) AS wanted CROSS JOIN events e ON e.source = ? AND e.producer_id = wanted.value`,
        JSON.stringify(producerIds), source,
      )
      .toArray();
    return new Map(rows.map(({ i, id, seq, type, created }) => [producerIds[i]!, { id, seq, type, created }]));
  }

  bySeq(seqs: number[]): LoggedEvent[] {
    if (seqs.length === 0) return [];
    return this.sql
      .exec<EventRow>(`SELECT * FROM events WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq`, JSON.stringify(seqs))
      .toArray()
      .map(toEvent);
  }

  /** The events with these ids (found through the seq each id carries), in seq order. */
  byIds(ids: string[]): LoggedEvent[] {
    const wanted = new Set(ids.map((id) => id.toLowerCase()));
    const seqs = ids.flatMap((id) => seqOfEventId(id) ?? []);
    return this.bySeq(seqs).filter((event) => wanted.has(event.id));
  }

  /**
   * A page of the events, newest first, with how many there are, found from the seqs alone: the
   * kept seqs are one run (count()), so the page starts `offset` below the last and reads only its
   * own rows, however deep it is.
   */
  newest(page: { limit: number; offset: number }): { total: number; events: LoggedEvent[] } {
    const { first, last } = this.bounds();
    if (first === null || last === null) return { total: 0, events: [] };
    const events = this.fittingPage(`FROM events WHERE seq <= ? ORDER BY seq DESC`, [last - page.offset], { limit: page.limit, offset: 0 }, { chars: PAGE_CHARS });
    return { total: last - first + 1, events };
  }

  /**
   * Of the events with seqs from `low` to `high`, how many match `filter`, and up to `limit` of
   * them, newest first, after skipping `offset`, as many as `room.chars` holds (room is shared by
   * the slices of one page; only counted for a limit of 0).
   */
  matchingIn(filter: EventFilter, low: number, high: number, page: { limit: number; offset: number }, room: PageRoom): { count: number; events: LoggedEvent[] } {
    const { condition, args } = conditionOf(filter);
    const count = this.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM events WHERE seq BETWEEN ? AND ? AND ${condition}`, low, high, ...args).one().n;
    if (page.limit === 0 || count <= page.offset || room.full) return { count, events: [] };
    return { count, events: this.fittingPage(`FROM events WHERE seq BETWEEN ? AND ? AND ${condition} ORDER BY seq DESC`, [low, high, ...args], page, room) };
  }

  /**
   * The page of the events `from` selects that fits in `room`. Their sizes are read first, so that
   * the rows read are exactly the ones answered: a cursor left part-read keeps its statement open
   * until it is collected.
   */
  private fittingPage(from: string, args: SqlStorageValue[], page: { limit: number; offset: number }, room: PageRoom): LoggedEvent[] {
    const sizes = this.sql.exec<{ chars: number }>(`SELECT ${CHARS} AS chars ${from} LIMIT ? OFFSET ?`, ...args, page.limit, page.offset).toArray();
    const fit = fitting(sizes, room);
    return this.sql.exec<EventRow>(`SELECT * ${from} LIMIT ? OFFSET ?`, ...args, fit, page.offset).toArray().map(toEvent);
  }

  /** The first and last seq kept (both null when there are none). */
  bounds(): { first: number | null; last: number | null } {
    return this.sql.exec<{ first: number | null; last: number | null }>(`SELECT (SELECT min(seq) FROM events) AS first, (SELECT max(seq) FROM events) AS last`).one();
  }

  /**
   * How many events are kept, from the first and last seq alone: seqs are given without gaps and
   * only an oldest run is ever deleted (deleteBefore), so the kept ones are every seq between.
   * count(*) would read the whole table, and the log answers nothing else meanwhile.
   */
  count(): number {
    const { first, last } = this.bounds();
    return first === null || last === null ? 0 : last - first + 1;
  }

  /**
   * Deletes up to `limit` events created before `before` with a seq below `belowSeq`, oldest first;
   * returns their seqs. Only the first `limit` events are looked at: events are created in seq
   * order, so the expired ones come first, and the rest of the log is not read. The run stops at
   * the first event not yet expired (a clock set back could date one later than the next), so the
   * events kept are always one run of seqs (count()).
   */
  deleteBefore(before: number, belowSeq: number, limit: number): number[] {
    const oldest = this.sql.exec<{ seq: number; created: number }>(`SELECT seq, created FROM events WHERE seq < ? ORDER BY seq LIMIT ?`, belowSeq, limit).toArray();
    const kept = oldest.findIndex((row) => row.created >= before);
    const expired = (kept === -1 ? oldest : oldest.slice(0, kept)).map((row) => row.seq);
    if (expired.length > 0) this.sql.exec(`DELETE FROM events WHERE seq >= ? AND seq <= ?`, expired[0]!, expired.at(-1)!);
    return expired;
  }
}

/**
 * Characters of events' data and webhook ids one page of a list holds at most: the page crosses a
 * call from the log (32 MiB at most) and becomes one answer, and a thousand events of 100 KB each,
 * or to thousands of webhooks each, would be past both.
 */
export const PAGE_CHARS = 8_000_000;

/** What is left of a page's PAGE_CHARS; full once an event did not fit. */
export interface PageRoom {
  chars: number;
  full?: boolean;
}

/** An event's size in a page: its data and its webhook ids, in characters. */
const CHARS = "length(data) + length(webhook_ids)";

/** How many of the events of these sizes fit in `room`, the first of a page always, taking their room. */
function fitting(sizes: { chars: number }[], room: PageRoom): number {
  let fit = 0;
  for (const { chars } of sizes) {
    if (chars > room.chars && (fit > 0 || room.chars < PAGE_CHARS)) {
      room.full = true;
      break;
    }
    room.chars -= chars;
    fit += 1;
  }
  return fit;
}

/**
 * Characters of JSON bound to one statement at most: a bound string may be 2 MB (Durable Object
 * SQLite's limit on a string or row), and a character takes up to 3 bytes in UTF-8.
 */
const MAX_BOUND_CHARS = 600_000;

/** The rows in order, in groups of at most MAX_BOUND_CHARS (a larger row alone in its group). */
function bySize(rows: string[]): string[][] {
  const groups: string[][] = [];
  let chars = Infinity;
  for (const row of rows) {
    if (chars + row.length > MAX_BOUND_CHARS) {
      groups.push([]);
      chars = 0;
    }
    groups.at(-1)!.push(row);
    chars += row.length + 1;
  }
  return groups;
}
