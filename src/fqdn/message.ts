/**
 * DNS messages for the proxy (pure, on dns-packet): checking a pod's query, building the REFUSED /
 * SERVFAIL reply, and reading the addresses out of an answer. The proxy forwards the pod's own bytes
 * (EDNS0 and everything else pass through) and relays the upstream's bytes; it only rewrites the ID.
 */
import * as dnsPacket from 'dns-packet';
import { normalizeName } from './pattern.js';

/** Why a packet was dropped: the proxy counts each (podwall fqdn / proxy status). */
export const DROP_REASONS = [
  'malformed', 'not-a-query', 'bad-question', 'bad-name', 'unknown-source', 'not-redirected', 'rate-limited',
  'upstream-malformed', 'upstream-unexpected', 'upstream-timeout', 'too-large',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface Query {
  id: number;
  /** Lower case, no trailing dot. */
  name: string;
  /** As the pod wrote it (the answer must echo it). */
  rawName: string;
  qtype: string;
}

/** Maximum DNS message we take over TCP (the 16-bit length prefix allows 65535). */
export const MAX_MESSAGE = 65535;

/**
 * The first question's name read straight from the bytes: labels of printable ASCII without dots, at
 * most 253 characters, no compression (a query's first name never needs it). null when it is not so.
 */
export function questionName(buf: Buffer): string | null {
  let off = 12;
  const labels: string[] = [];
  let total = 0;
  for (;;) {
    if (off >= buf.length) return null;
    const len = buf[off++]!;
    if (len === 0) break;
    if (len > 63 || off + len > buf.length) return null;
    for (let i = off; i < off + len; i++) {
      const c = buf[i]!;
      if (c <= 0x20 || c >= 0x7f || c === 0x2e) return null;
    }
    labels.push(buf.toString('latin1', off, off + len));
    total += len + 1;
    if (total > 254) return null;
    off += len;
  }
  return labels.length === 0 ? '.' : labels.join('.');
}

export type QueryCheck = { ok: true; query: Query } | { ok: false; reason: DropReason; id?: number };

/** A pod's query as the proxy takes it: one question, opcode QUERY, QR clear, a well-formed name. */
export function checkQuery(buf: Buffer): QueryCheck {
  if (buf.length < 12) return { ok: false, reason: 'malformed' };
  if (buf.length > MAX_MESSAGE) return { ok: false, reason: 'too-large' };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000 || ((flags >> 11) & 0xf) !== 0) return { ok: false, reason: 'not-a-query', id };
  if (buf.readUInt16BE(4) !== 1) return { ok: false, reason: 'bad-question', id };
  const rawName = questionName(buf);
  if (rawName === null) return { ok: false, reason: 'bad-name', id };
  let packet: dnsPacket.Packet;
  try {
    packet = dnsPacket.decode(buf);
  } catch {
    return { ok: false, reason: 'malformed', id };
  }
  const q = packet.questions?.[0];
  if (!q) return { ok: false, reason: 'bad-question', id };
  return { ok: true, query: { id, name: normalizeName(rawName), rawName, qtype: String(q.type) } };
}

const RCODES = { FORMERR: 1, SERVFAIL: 2, REFUSED: 5 } as const;

/** A reply to `query` with only a response code (REFUSED for a name the L7 rule does not allow, SERVFAIL). */
export function errorReply(query: Buffer, rcode: 'REFUSED' | 'SERVFAIL' | 'FORMERR'): Buffer | null {
  try {
    const p = dnsPacket.decode(query);
    // dns-packet encodes the response code only as the low 4 bits of the flags.
    const flags = ((p.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | RCODES[rcode];
    return dnsPacket.encode({ id: p.id, type: 'response', flags, questions: p.questions ?? [], answers: [], authorities: [], additionals: [] });
  } catch {
    return null;
  }
}

export interface AnswerInfo {
  id: number;
  truncated: boolean;
  rcode: string;
  /** The question's name, lower case. */
  name: string;
  /** IPv4 addresses reached from the queried name through its CNAME chain. */
  ipv4: string[];
  /** IPv6 addresses, the same way (noted; the lab's set is IPv4). */
  ipv6: string[];
  /** The smallest TTL along the chain to the addresses, in seconds. */
  ttl: number;
}

/**
 * Read an upstream answer: follow CNAMEs from the question's name (the final addresses count for the
 * name that was asked, as Cilium does), take A and AAAA records of the names on the chain, and the
 * smallest TTL on the way. null for bytes that are no DNS response.
 */
export function readAnswer(buf: Buffer): AnswerInfo | null {
  let p: dnsPacket.Packet;
  try {
    p = dnsPacket.decode(buf);
  } catch {
    return null;
  }
  if (p.type !== 'response' || !p.questions?.[0]) return null;
  const name = normalizeName(p.questions[0].name);
  const answers = (p.answers ?? []) as dnsPacket.Answer[];
  const chain = new Set([name]);
  let ttl = Infinity;
  // A CNAME chain may be listed in any order: follow it until no new name appears (bounded by the record count).
  for (let changed = true, rounds = 0; changed && rounds <= answers.length; rounds++) {
    changed = false;
    for (const a of answers) {
      if (a.type !== 'CNAME' || !chain.has(normalizeName(a.name))) continue;
      const target = normalizeName(String(a.data));
      if (!chain.has(target)) {
        chain.add(target);
        ttl = Math.min(ttl, a.ttl ?? 0);
        changed = true;
      }
    }
  }
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  let addrTtl = Infinity;
  for (const a of answers) {
    if ((a.type !== 'A' && a.type !== 'AAAA') || !chain.has(normalizeName(a.name))) continue;
    const list = a.type === 'A' ? ipv4 : ipv6;
    const ip = String(a.data);
    if (!list.includes(ip)) list.push(ip);
    addrTtl = Math.min(addrTtl, a.ttl ?? 0);
  }
  const min = Math.min(ttl, addrTtl);
  return {
    id: p.id ?? 0, truncated: ((p.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0, rcode: String((p as { rcode?: string }).rcode ?? "NOERROR"),
    name, ipv4, ipv6, ttl: Number.isFinite(min) ? Math.max(0, min) : 0,
  };
}
