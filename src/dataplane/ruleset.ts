/**
 * The firewall as a typed AST (STYLE.md §7): what `compile` emits, what `simulate` evaluates and what
 * `nft/render.ts` turns into nft JSON. Nothing here knows nft's syntax; IPv4 addresses are unsigned
 * 32-bit numbers until render validates and formats them.
 */
import { stringHash } from './hash.js';

export const FAMILY = 'inet';
export const TABLE = 'podwall';

/** Key and data types of sets and maps (nft type names). */
export const KEY_TYPES = ['ipv4_addr', 'mark', 'inet_proto', 'inet_service'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const SET_FLAGS = ['interval', 'timeout'] as const;
export type SetFlag = (typeof SET_FLAGS)[number];

/** One field of an element key: a single value or an inclusive range. */
export type Component = number | readonly [number, number];

export interface Element {
  key: readonly Component[];
  /** Data of a map element. */
  value?: number;
  /** Data of a verdict map element: `goto <chain>`. */
  goto?: string;
  /** Seconds, for sets with the timeout flag. */
  timeout?: number;
}

export interface NamedSet {
  name: string;
  /** Concatenated key type: one entry per field. */
  type: readonly KeyType[];
  /** Set for a map: the data type (`verdict`: a verdict map, its elements `goto` chains). */
  map?: KeyType | 'verdict';
  flags: readonly SetFlag[];
  elements: readonly Element[];
  /** Elements written by someone else (the DNS proxy fills `fqdn`, the kernel a meter's set): diffs leave them alone. */
  external?: boolean;
  /** A set the kernel fills from rules (`update @set`): its default element timeout (s) and size. */
  dynamic?: { timeout: number; size: number };
}

/** Packet and connection fields a rule can read. */
export const FIELDS = ['ip saddr', 'ip daddr', 'meta mark', 'ct mark', 'meta l4proto', 'th sport', 'th dport'] as const;
export type Field = (typeof FIELDS)[number];
export type AddrField = 'ip saddr' | 'ip daddr';
export type MarkField = 'meta mark' | 'ct mark';

export const CT_STATES = ['new', 'established', 'related', 'invalid'] as const;
export type CtState = (typeof CT_STATES)[number];

export type Match =
  /** `ct state established,related` */
  | { type: 'ct-state'; states: readonly CtState[] }
  /** `ct status dnat`: the connection was destination-NATed (the DNS proxy redirect, dns-redirect.ts). */
  | { type: 'ct-status'; status: 'dnat' }
  /** `meta mark . ct mark @egress`: the fields, concatenated, are in the set. */
  | { type: 'lookup'; fields: readonly Field[]; set: string }
  /** `ip saddr 10.244.0.0/16` */
  | { type: 'prefix'; field: AddrField; addr: number; len: number }
  /** `meta mark 0`, `meta l4proto tcp` */
  | { type: 'equals'; field: MarkField | 'meta l4proto'; value: number };

/** `meta mark set ip saddr map @ident`, `ct mark set 1`. A failed map lookup ends the rule (as in the kernel). */
export type Statement =
  | { type: 'set'; field: MarkField; value: number | { map: string; key: AddrField } }
  /** An anonymous `counter` (read back from the listing). */
  | { type: 'counter' }
  /** `log group N prefix "..."`: the packet to NFLOG group `group` (src/dataplane/flow-log.ts). */
  | { type: 'log'; group: number; prefix: string; snaplen?: number; queueThreshold?: number }
  /**
   * `update @set { fields limit rate over R/second burst B packets }`: a per-key meter that ends the rule
   * (NFT_BREAK) unless that key's packets exceed the rate, so the rule acts only on the excess.
   */
  | { type: 'meter-over'; set: string; fields: readonly Field[]; rate: number; burst: number };

/** `goto`: continue in `chain` and do not come back; its `return` (or end) returns from the calling chain. */
export type Verdict =
  | { type: 'accept' } | { type: 'drop' } | { type: 'return' } | { type: 'jump' | 'goto'; chain: string }
  /** `meta mark >> 4 & 0x3f vmap @map`: the verdict the verdict map gives for the field's bits; no element, no verdict. */
  | { type: 'vmap'; field: MarkField; shift: number; mask: number; map: string };

export interface Rule {
  match: readonly Match[];
  statements?: readonly Statement[];
  /** null: go on with the next rule. */
  verdict: Verdict | null;
  /** Text plus ` #<content hash>`, at most 128 bytes: see `ruleComment`. */
  comment: string;
}

export const HOOKS = ['prerouting', 'input', 'forward', 'output', 'postrouting'] as const;
export type Hook = (typeof HOOKS)[number];

export interface Chain {
  name: string;
  /** Base chains only. */
  hook?: Hook;
  priority?: number;
  policy?: 'accept' | 'drop';
  rules: readonly Rule[];
}

export interface Table {
  family: typeof FAMILY;
  name: string;
  sets: readonly NamedSet[];
  chains: readonly Chain[];
}

export interface Ruleset {
  tables: readonly Table[];
}

/** nft keeps at most 128 bytes of a rule comment (NFTNL_UDATA_COMMENT_MAXLEN). */
export const COMMENT_MAX_BYTES = 128;

const encoder = new TextEncoder();

/** Cut `text` to at most `max` UTF-8 bytes without splitting a character; a cut text ends in `…`. */
export function cutBytes(text: string, max: number): string {
  if (encoder.encode(text).length <= max) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const n = encoder.encode(ch).length;
    if (used + n > max - 3) break;
    out += ch;
    used += n;
  }
  return `${out}…`;
}

/** The content of a rule without its comment, canonical, for hashing. */
export function ruleContent(r: Pick<Rule, 'match' | 'statements' | 'verdict'>): string {
  return JSON.stringify([r.match, r.statements ?? [], r.verdict]);
}

/**
 * The one place rule comments are made: `<text> #<hash>`, at most 128 bytes. The hash covers the
 * rule's content, so a comment read back from the kernel tells whether the rule is the same
 * (Calico's rule hashes) and `nft/diff.ts` can compare chains without parsing expressions.
 */
export function ruleComment(text: string, content: Pick<Rule, 'match' | 'statements' | 'verdict'>): string {
  const hash = ` #${stringHash(ruleContent(content))}`;
  return cutBytes(text, COMMENT_MAX_BYTES - hash.length) + hash;
}

/** Build a rule with its comment. */
export function rule(text: string, match: readonly Match[], verdict: Verdict | null, statements?: readonly Statement[]): Rule {
  const content = { match, verdict, ...(statements && statements.length > 0 ? { statements } : {}) };
  return { ...content, comment: ruleComment(text, content) };
}

/** Components as [from, to]. */
export function bounds(c: Component): readonly [number, number] {
  return typeof c === 'number' ? [c, c] : c;
}

/** A single value stays a number, a real range a pair. */
export function component(from: number, to: number): Component {
  return from === to ? from : [from, to];
}

export function elementKey(e: Element): string {
  return e.key.map((c) => (typeof c === 'number' ? `${c}` : `${c[0]}-${c[1]}`)).join('.');
}

/** Number of elements over all sets and maps, by name; the shards of `egress` and `ingress` (shards.ts) under those names. */
export function elementCounts(rs: Ruleset): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of rs.tables) {
    for (const s of t.sets) {
      const name = /^(egress|ingress)_\d+$/.test(s.name) ? s.name.replace(/_\d+$/, '') : s.name;
      out[name] = (out[name] ?? 0) + s.elements.length;
    }
  }
  return out;
}

export const PROTO_NUMBERS = { TCP: 6, UDP: 17, SCTP: 132 } as const;
export const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 132: 'sctp' };

/** Dotted quad of an unsigned 32-bit number. */
export function ipv4Text(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Unsigned 32-bit number of a dotted quad, or null. */
export function ipv4Number(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/** First and last address of an IPv4 CIDR given as address number and prefix length. */
export function prefixRange(addr: number, len: number): [number, number] {
  const size = 2 ** (32 - len);
  const from = Math.floor(addr / size) * size;
  return [from, from + size - 1];
}
