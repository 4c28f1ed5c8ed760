// SSRF guard: outside local development a webhook may not point inside a network. The WHATWG URL
// parser already turns decimal, octal, hex and short IPv4 forms into dotted quads and IPv6 into
// its canonical form, so checking the parsed hostname covers every spelling. Names that resolve
// to such addresses are refused by Cloudflare's own network (Workers cannot fetch them), and
// redirects are never followed, so a public URL cannot bounce a delivery inside either.

import ipaddr from "ipaddr.js";

const BLOCKED_NAMES = [/^localhost$/, /\.localhost$/, /\.local$/, /\.internal$/, /\.home\.arpa$/];

/** IPv4 ranges that are not the public internet. */
const BLOCKED_V4 = [
  "0.0.0.0/8", // "this network", 0.0.0.0 reaches the host itself
  "10.0.0.0/8",
  "100.64.0.0/10", // carrier-grade NAT
  "127.0.0.0/8",
  "169.254.0.0/16", // link-local, cloud metadata (169.254.169.254)
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, broadcast
].map((cidr) => ipaddr.IPv4.parseCIDR(cidr));

/** IPv6 ranges that are not the public internet. */
const BLOCKED_V6 = [
  "::/127", // unspecified, loopback
  "fc00::/7", // unique local
  "fe80::/10", // link-local
  "ff00::/8", // multicast
].map((cidr) => ipaddr.IPv6.parseCIDR(cidr));

/** IPv6 ranges whose last 32 bits are an IPv4 address: refused where that address is. */
const EMBEDDING_V4 = [
  "::ffff:0:0/96", // IPv4-mapped
  "::/96", // IPv4-compatible (deprecated)
  "64:ff9b::/96", // NAT64
].map((cidr) => ipaddr.IPv6.parseCIDR(cidr));

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
  const inside = `points at ${host}, a private, loopback or reserved address`;
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) return v4Blocked(ipaddr.IPv4.parse(host)) ? inside : null;
  if (host.startsWith("[")) {
    const v6 = host.slice(1, -1);
    if (!ipaddr.IPv6.isValid(v6) || v6Blocked(ipaddr.IPv6.parse(v6))) return inside;
  }
  return null;
}

function v4Blocked(address: ipaddr.IPv4): boolean {
  return BLOCKED_V4.some((range) => address.match(range));
}

function v6Blocked(address: ipaddr.IPv6): boolean {
  if (BLOCKED_V6.some((range) => address.match(range))) return true;
  return EMBEDDING_V4.some((range) => address.match(range)) && v4Blocked(new ipaddr.IPv4(address.toByteArray().slice(12)));
}
