// A delivery's id is its key in the deliveries table, spelled as a UUID (the API promises UUIDs):
// a version 8 UUID `SSSSSSSS-SSSS-8NNN-vNNN-NNPPPPPPPPPP` carrying its seq (48 bits, S), its position
// among the deliveries of that seq (40 bits, P) and 34 random bits (N, and two in the variant digit
// v). Looking a delivery up by id is then a key lookup, with no index to write; the random bits,
// stored in the row, keep ids unguessable from one another and make an id from elsewhere (or a
// purged delivery's, should its key come back) match nothing.

/** Where a delivery sits in the FIFO: ordered by seq, then position. */
export type DeliveryKey = { seq: number; position: number };

export type DeliveryIdParts = DeliveryKey & { nonce: number };

const NONCE_HIGH = 2 ** 22;
const NONCE_VARIANT = 2 ** 20;
const ID = /^([0-9a-f]{8})-([0-9a-f]{4})-8([0-9a-f]{3})-([89ab])([0-9a-f]{3})-([0-9a-f]{2})([0-9a-f]{10})$/;

export function newNonce(): number {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return (high! % 4) * 2 ** 32 + low!;
}

export function formatDeliveryId({ seq, position, nonce }: DeliveryIdParts): string {
  const hex = (n: number, digits: number) => n.toString(16).padStart(digits, "0");
  const seqHex = hex(seq, 12);
  const variant = 8 + Math.floor((nonce % NONCE_HIGH) / NONCE_VARIANT);
  return [
    seqHex.slice(0, 8),
    seqHex.slice(8),
    `8${hex(Math.floor(nonce / NONCE_HIGH), 3)}`,
    `${variant.toString(16)}${hex(Math.floor((nonce % NONCE_VARIANT) / 256), 3)}`,
    `${hex(nonce % 256, 2)}${hex(position, 10)}`,
  ].join("-");
}

/** The parts of an id made by `formatDeliveryId`; null for any other string. */
export function parseDeliveryId(id: string): DeliveryIdParts | null {
  const match = ID.exec(id.toLowerCase());
  if (!match) return null;
  const [, seqHigh, seqLow, nonceHigh, variant, nonceMiddle, nonceLow, position] = match as unknown as string[];
  return {
    seq: parseInt(seqHigh! + seqLow!, 16),
    position: parseInt(position!, 16),
    nonce:
      parseInt(nonceHigh!, 16) * NONCE_HIGH +
      (parseInt(variant!, 16) - 8) * NONCE_VARIANT +
      parseInt(nonceMiddle!, 16) * 256 +
      parseInt(nonceLow!, 16),
  };
}
