// SSRF guard: outside local development a webhook may not point inside a network. The WHATWG URL
// parser already turns decimal, octal, hex and short IPv4 forms into dotted quads and IPv6 into
// its canonical form, so checking the parsed hostname covers every spelling. Names that resolve
// to such addresses are refused by Cloudflare's own network (Workers cannot fetch them), and
// redirects are never followed, so a public URL cannot bounce a delivery inside either.

const BLOCKED_NAMES = [/^localhost$/, /\.localhost$/, /\.local$/, /\.internal$/, /\.home\.arpa$/];

/** [first address, prefix length] of IPv4 ranges that are not the public internet. */
const BLOCKED_V4: [string, number][] = [
  ["0.0.0.0", 8], // "this network", 0.0.0.0 reaches the host itself
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

/** Why `url` may not receive webhooks, or null when it may. */
export function refusedUrlReason(url: string, allowPrivate: boolean): string | null {
  if (allowPrivate) return null;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return "is not a valid URL";
  }
  if (BLOCKED_NAMES.some((pattern) => pattern.test(host.replace(/\.$/, "")))) return `points at ${host}, a local name`;
  const v4 = parseV4(host);
  if (v4 !== null) return v4Blocked(v4) ? `points at ${host}, a private, loopback or reserved address` : null;
  if (host.startsWith("[")) {
    const v6 = parseV6(host.slice(1, -1));
    if (v6 === null || v6Blocked(v6)) return `points at ${host}, a private, loopback or reserved address`;
  }
  return null;
}

function parseV4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function v4Blocked(address: number): boolean {
  return BLOCKED_V4.some(([base, bits]) => {
    const size = 2 ** (32 - bits);
    const start = parseV4(base)!;
    return address >= start && address < start + size;
  });
}

/** Eight 16-bit groups, or null if it is not IPv6. */
function parseV6(text: string): number[] | null {
  const [head, tail, extra] = text.split("::");
  if (extra !== undefined) return null;
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const toNumbers = (list: string[]) => list.map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  const front = toNumbers(groups(head));
  const back = toNumbers(groups(tail));
  const missing = 8 - front.length - back.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const all = [...front, ...Array(tail === undefined ? 0 : missing).fill(0), ...back];
  return all.some(Number.isNaN) ? null : all;
}

function v6Blocked(g: number[]): boolean {
  const embeddedV4 = (g[6]! << 16 >>> 0) + g[7]!;
  const zeroPrefix = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroPrefix(7) && g[7]! <= 1) return true; // :: and ::1
  if (zeroPrefix(5) && g[5] === 0xffff) return v4Blocked(embeddedV4); // IPv4-mapped
  if (zeroPrefix(6)) return v4Blocked(embeddedV4); // IPv4-compatible (deprecated)
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4Blocked(embeddedV4); // NAT64
  const first = g[0]!;
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00; // unique local, link-local, multicast
}
