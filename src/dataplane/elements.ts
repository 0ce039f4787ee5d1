import { BitSet as BitSetClass, type BitSet } from '../engine/bitset.js';
import type { Identities } from './identity.js';
import type { ProtocolRanges } from './ports.js';
import { component, PROTO_NUMBERS, type Element } from './ruleset.js';
import type { SideTable } from './sides.js';

/** One run of a subject's elements: peers `peer[0]..peer[1]`, protocol number, ports `port[0]..port[1]`. */
export type Tail = [peerFrom: number, peerTo: number, proto: number, portFrom: number, portTo: number];
const NONE: [number, number][] = [];

/**
 * A subject's allowed flows as few tails as possible: adjacent port ranges of one peer merged, then
 * adjacent peers with the same port list merged.
 */
export function tailsOf(table: SideTable, ranges: readonly ProtocolRanges[], peers: number): Tail[] {
  const out: Tail[] = [];
  ranges.forEach(({ protocol, ranges: list }, pi) => {
    const bits: BitSet[] = table.allowed[pi]!;
    if (bits.every((b) => b.isEmpty())) return;
    const proto = PROTO_NUMBERS[protocol];
    let runFrom = -1;
    let runKey = '';
    let runPorts: [number, number][] = [];
    const flush = (to: number) => {
      if (runFrom >= 0) for (const [pf, pt] of runPorts) out.push([runFrom, to, proto, pf, pt]);
      runFrom = -1;
    };
    // Most peers are allowed on no port or on every port: decide those from the union and intersection.
    const any = new BitSetClass(bits[0]!.size);
    const every = bits[0]!.clone();
    for (const b of bits) {
      any.or(b);
      every.and(b);
    }
    const everyPort: [number, number][] = [[list[0]!.from, list[list.length - 1]!.to]];
    for (let id = 1; id <= peers;) {
      // A block of 32 peers allowed on no port: skip it whole.
      if ((id & 31) === 0 && any.words[id >>> 5] === 0) {
        flush(id - 1);
        id += 32;
        continue;
      }
      let ports = NONE;
      let key = '';
      if (every.has(id)) {
        ports = everyPort;
        key = '*';
      } else if (any.has(id)) {
        ports = [];
        list.forEach((r, k) => {
          if (!bits[k]!.has(id)) return;
          const last = ports[ports.length - 1];
          if (last && last[1] + 1 === r.from) last[1] = r.to;
          else ports.push([r.from, r.to]);
        });
        key = ports.map(([a, b]) => `${a}-${b}`).join(',');
      }
      if (!(runFrom >= 0 && key === runKey)) {
        flush(id - 1);
        if (ports.length > 0) {
          runFrom = id;
          runKey = key;
          runPorts = ports;
        }
      }
      id++;
    }
    flush(peers);
  });
  return out;
}

/** One subject's allowed flows, as `tailsOf` gives them, with their canonical text. */
export interface SubjectRow {
  subject: number;
  open: boolean;
  tails: readonly Tail[];
  tailsKey: string;
}

export function subjectRow(table: SideTable, ranges: readonly ProtocolRanges[], peers: number): SubjectRow {
  const tails = table.open ? [] : tailsOf(table, ranges, peers);
  return { subject: table.subject, open: table.open, tails, tailsKey: JSON.stringify(tails) };
}

/** Subjects with the same flows, as one run of ids, and their elements. */
export interface Group {
  /** The run's ids and its flows' text: equal keys, equal elements. */
  key: string;
  /** The run's first subject id. */
  subject: number;
  elements: Element[];
  /** Taken from the earlier pass's groups (the same objects). */
  reused: boolean;
}

/**
 * The `egress`/`ingress` set elements by group: subject . peer . protocol . ports at egress, peer .
 * subject . protocol . ports at ingress (always source first). Open subjects get none (they are in the
 * open set); consecutive subjects with identical tails share one element, within blocks of
 * 2^blockBits ids when given. Sorted within the group. `groups` (optional) maps a group's key to its
 * elements of an earlier pass: a group found there is reused as is (the same objects, which lets
 * `nft/diff.ts` skip it); every group of this pass goes into `used`.
 */
export function rowGroups(
  rows: readonly SubjectRow[], dir: 'egress' | 'ingress', groups?: ReadonlyMap<string, Element[]>, used?: Map<string, Element[]>, blockBits?: number,
): Group[] {
  const sameBlock = (a: number, b: number) => blockBits === undefined || a >>> blockBits === b >>> blockBits;
  const closed = rows.filter((r) => !r.open);
  const out: Group[] = [];
  for (let i = 0; i < closed.length;) {
    const row = closed[i]!;
    let j = i + 1;
    while (j < closed.length && closed[j]!.subject === closed[j - 1]!.subject + 1 && closed[j]!.tailsKey === row.tailsKey && sameBlock(closed[j]!.subject, row.subject)) j++;
    const subject = component(row.subject, closed[j - 1]!.subject);
    const key = `${row.subject}-${closed[j - 1]!.subject}|${row.tailsKey}`;
    let group = groups?.get(key);
    const reused = group !== undefined;
    if (!group) {
      group = [];
      for (const [pf, pt, proto, portFrom, portTo] of row.tails) {
        const peer = component(pf, pt);
        const k = dir === 'ingress' ? [peer, subject] : [subject, peer];
        group.push({ key: [...k, proto, component(portFrom, portTo)] });
      }
      sortElements(group);
    }
    used?.set(key, group);
    out.push({ key, subject: row.subject, elements: group, reused });
    i = j;
  }
  return out;
}

/** `rowGroups`' elements in one list, ordered by group; the earlier pass's array itself when every group is as it was. */
export function rowElements(rows: readonly SubjectRow[], dir: 'egress' | 'ingress', groups?: ReadonlyMap<string, Element[]>, used?: Map<string, Element[]>): Element[] {
  const list = rowGroups(rows, dir, groups, used);
  const out = list.flatMap((g) => g.elements);
  // Every group as before, in the same order: the previous pass's array itself (nft/diff.ts skips it whole).
  const last = groups ? lastArray.get(groups) : undefined;
  if (groups && list.every((g) => g.reused) && last && used && used.size === groups.size && last.length === out.length) {
    lastArray.set(used, last);
    return last;
  }
  if (used) lastArray.set(used, out);
  return out;
}

/** The element array each group map was made for. */
const lastArray = new WeakMap<ReadonlyMap<string, Element[]>, Element[]>();

export function sideElements(tables: readonly SideTable[], ranges: readonly ProtocolRanges[], ids: Identities): Element[] {
  const dir = tables[0]?.direction ?? 'egress';
  return rowElements(tables.map((t) => subjectRow(t, ranges, ids.maxId)), dir);
}

/** Ids (or addresses) as few intervals as possible. */
export function runs(values: readonly number[]): Element[] {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const out: Element[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[j - 1]! + 1) j++;
    out.push({ key: [component(sorted[i]!, sorted[j - 1]!)] });
    i = j;
  }
  return out;
}

const lo = (c: Element['key'][number]) => (typeof c === 'number' ? c : c[0]);

export function sortElements(list: Element[]): Element[] {
  return list.sort((a, b) => {
    for (let i = 0; i < Math.min(a.key.length, b.key.length); i++) {
      const d = lo(a.key[i]!) - lo(b.key[i]!);
      if (d !== 0) return d;
    }
    return 0;
  });
}
