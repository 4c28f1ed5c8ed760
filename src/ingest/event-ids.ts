// An event's id carries its sequence number in the organization's log, so the log finds an event
// by id through its primary key: a separate index on the id would bill one more row written per
// event. The id is still a UUID (version 8, RFC 9562's layout for ids of one's own design): 48 bits
// of seq, then 74 random bits, so ids stay unique across organizations, whose seqs overlap.

const SEQ_HEX_DIGITS = 12;
const EVENT_ID = /^([0-9a-f]{8})-([0-9a-f]{4})-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function eventIdFor(seq: number): string {
  const seqHex = seq.toString(16).padStart(SEQ_HEX_DIGITS, "0");
  const random = crypto.getRandomValues(new Uint8Array(10));
  const hex = Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("");
  const variant = ((random[0]! & 0x3) | 0x8).toString(16);
  return `${seqHex.slice(0, 8)}-${seqHex.slice(8)}-8${hex.slice(2, 5)}-${variant}${hex.slice(5, 8)}-${hex.slice(8, 20)}`;
}

/** The seq an event id was made for, or null for an id this log never made. */
export function seqOfEventId(id: string): number | null {
  const match = EVENT_ID.exec(id.toLowerCase());
  if (!match) return null;
  const seq = Number.parseInt(match[1]! + match[2]!, 16);
  return seq > 0 ? seq : null;
}
