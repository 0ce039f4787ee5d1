import ipaddr from 'ipaddr.js';

/** A parsed CIDR: address bytes plus prefix length; family is implied by the byte count. */
export interface Cidr {
  readonly text: string;
  readonly bytes: readonly number[];
  readonly prefix: number;
  readonly family: 4 | 6;
}

/** Strict IP parse: dotted-quad IPv4 (no octal or short forms) or IPv6. Returns null when invalid. */
export function parseIp(text: string): { bytes: number[]; family: 4 | 6 } | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    return { bytes: ipaddr.IPv4.parse(text).toByteArray(), family: 4 };
  }
  if (text.includes(':') && ipaddr.IPv6.isValid(text)) {
    const v6 = ipaddr.IPv6.parse(text);
    return { bytes: v6.toByteArray(), family: 6 };
  }
  return null;
}

export function isIp(text: string): boolean {
  return parseIp(text) !== null;
}

/** Parse `a.b.c.d/n` or `x::/n`. Returns null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const addr = parseIp(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!addr || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > addr.bytes.length * 8) return null;
  return { text, bytes: addr.bytes, prefix, family: addr.family };
}

function bytesInPrefix(bytes: readonly number[], net: Cidr): boolean {
  if (bytes.length !== net.bytes.length) return false;
  let bits = net.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((net.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

// Pod and node IPs are tested against every CIDR peer; parse each text once (ipaddr.js parsing dominated pod-class building).
const parsed = new Map<string, { bytes: number[]; family: 4 | 6 } | null>();
function parseIpCached(ip: string): { bytes: number[]; family: 4 | 6 } | null {
  let p = parsed.get(ip);
  if (p === undefined) {
    if (parsed.size >= 1 << 18) parsed.clear();
    p = parseIp(ip);
    parsed.set(ip, p);
  }
  return p;
}

/** Whether IP `ip` (text) lies inside `net`. Invalid IPs are inside nothing. */
export function cidrContainsIp(net: Cidr, ip: string): boolean {
  const p = parseIpCached(ip);
  return p !== null && bytesInPrefix(p.bytes, net);
}

/** Whether `inner` lies entirely inside `outer` (same family, longer or equal prefix). */
export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.family === outer.family && inner.prefix >= outer.prefix && bytesInPrefix(inner.bytes, outer);
}

/** Whether the CIDR's host bits are zero (`10.0.0.0/8`, not `10.0.0.1/8`). */
export function cidrIsCanonical(c: Cidr): boolean {
  let bits = c.prefix;
  for (let i = 0; i < c.bytes.length; i++, bits -= 8) {
    const keep = bits >= 8 ? 0xff : bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    if (((c.bytes[i] ?? 0) & ~keep & 0xff) !== 0) return false;
  }
  return true;
}

/** Numeric IPv4 value, for sorting and fast set work. */
export function ipv4ToNumber(ip: string): number | null {
  const p = parseIp(ip);
  if (!p || p.family !== 4) return null;
  const [a = 0, b = 0, c = 0, d = 0] = p.bytes;
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}
