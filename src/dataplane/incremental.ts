/**
 * Incremental compile: a pass recomputes only the sides that a change can touch (docs/lab.md,
 * "Identities and incremental compile"). With stable identity ids (allocate.ts) a policy or label change
 * leaves almost every local pod class's side table as it was; what is reused must equal what a full
 * compile would give, so the rules for reuse are conservative:
 * - Anything that changes how every peer is seen (nodes, namespaces' labels, port ranges) makes the
 *   pass a full one. When the largest id moves, the old tables are resized first (the new ids are
 *   changed ids like any other).
 * - A subject (local pod class) whose identity or whose selecting policies (by object identity: the
 *   agent reuses the normalised policies of unchanged objects) changed is recomputed.
 * - Otherwise only the columns of the identity ids whose key changed (or that appeared or went away)
 *   can change: they are decided afresh from the rules whose peers match any of them (a column no rule
 *   matches is `isolated ? 0 : 1`) and patched into the old table.
 * Tails and element groups are reused by their canonical text, so unchanged parts keep their objects.
 */
import type { Engine } from '../engine/engine.js';
import type { Endpoint } from '../engine/endpoint.js';
import { peerMatches, portMatches, selectsPod } from '../engine/match.js';
import type { Protocol } from '../engine/cluster.js';
import type { Direction, Policy, Rule } from '../engine/policy.js';
import { subjectRow, type SubjectRow } from './elements.js';
import type { Identities, Identity } from './identity.js';
import type { ProtocolRanges } from './ports.js';
import type { Element } from './ruleset.js';
import type { ShardMemo } from './shards.js';
import { BitSet } from '../engine/bitset.js';
import { isLocalPod, sideContext, subjectTable, subjectView, type SideContext, type SideTable, type SubjectView, type TableKind } from './sides.js';

interface SubjectEntry {
  identKey: string;
  policies: readonly Policy[];
  isolated: boolean;
  table: SideTable;
  row: SubjectRow;
}

/** The side tables a pass keeps: what each direction allows, and what egress deny rules refuse. */
export type SideName = Direction | 'egressDeny';

/** What one pass leaves for the next. Opaque outside the dataplane. */
export interface CompileMemo {
  universe: string;
  maxId: number;
  policies: readonly Policy[];
  keys: Map<number, string>;
  sides: Record<SideName, Map<number, SubjectEntry>>;
  groups: Record<SideName, Map<string, Element[]>>;
  /** The egress and ingress elements by shard (shards.ts). */
  shards: Record<Direction, ShardMemo>;
}

/** Everything that changes how all peers and subjects are seen at once. */
export function universeKey(engine: Engine, ids: Identities, ranges: readonly ProtocolRanges[]): string {
  const ns = [...engine.cluster.namespaces.values()].map((n) => [n.name, n.labels]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  const nodes = engine.cluster.nodes.map((n) => [n.name, n.ips, n.labels]);
  return JSON.stringify([ids.node, ids.podCidr.text, ns, nodes, ranges]);
}


/** Whether rule `r`'s port conditions admit `port` towards peer `peer` (ruleMask in sides.ts, for one peer). */
function admits(r: Rule, dir: Direction, protocol: Protocol, port: number, subject: Endpoint, peer: Identity): boolean {
  if (r.ports === null) return true;
  for (const pm of r.ports) {
    if (!pm.protocols.includes(protocol)) continue;
    if (pm.name !== undefined && !pm.range && dir === 'egress') {
      if (peer.rep.kind === 'pod' && peer.rep.pod.namedPorts.some((n) => n.name === pm.name && n.port === port && n.protocol === protocol)) return true;
    } else if (portMatches(pm, port, protocol, subject)) return true;
  }
  return false;
}

/**
 * The subject's table with the changed ids' columns decided afresh, from the rules whose peers match
 * them (`d.ruleHits`; a column no rule matches is `isolated ? 0 : 1`); `old` itself when none changed.
 */
function patchColumns(
  d: Delta, ident: Identity, dir: Direction, entry: SubjectEntry, ranges: readonly ProtocolRanges[], full: BitSet, kind: TableKind, admitted: AdmitCache,
): SideTable {
  const old = entry.table;
  const active = entry.policies.flatMap((p) => p.rules.filter((r) => r.direction === dir && d.ruleHits.has(r)));
  // Per changed id, the rules whose peers match it, with their port conditions per range when those do not depend on the peer.
  const columns = d.ids.map((id) => {
    const peer = d.byId.get(id);
    const rules = peer ? active.filter((r) => d.ruleHits.get(r)!.has(id)).map((r) => ({ r, table: admitTable(r, ranges, admitted) })) : [];
    return { id, peer, rules };
  });
  let allowed: BitSet[][] | null = null;
  ranges.forEach(({ protocol, ranges: list }, pi) => list.forEach(({ from: port }, ri) => {
    const before = old.allowed[pi]![ri]!;
    for (const { id, peer, rules } of columns) {
      let allow = kind === 'allowed' && !entry.isolated;
      let deny = false;
      for (const { r, table } of rules) {
        if (!(table ? table[pi]![ri]! : admits(r, dir, protocol, port, ident.rep, peer!))) continue;
        if (r.action === 'deny') deny = true;
        else allow = true;
      }
      const want = kind === 'denied' ? deny : allow && !deny;
      if (before.has(id) === want) continue;
      allowed ??= old.allowed.map((byRange) => [...byRange]);
      const row = allowed[pi]!;
      if (row[ri] === before) row[ri] = before.clone();
      if (want) row[ri]!.set(id);
      else row[ri]!.clear(id);
    }
  }));
  if (!allowed) return old;
  const open = kind === 'allowed' && (allowed as BitSet[][]).every((byRange) => byRange.every((b) => sameBits(b, full)));
  return { subject: old.subject, direction: dir, allowed, open };
}

/** Per rule, whether its port conditions admit each protocol's port ranges; null where that depends on the peer or the subject (named ports). */
export type AdmitCache = Map<Rule, boolean[][] | null>;

function admitTable(r: Rule, ranges: readonly ProtocolRanges[], cache: AdmitCache): boolean[][] | null {
  let t = cache.get(r);
  if (t === undefined) {
    const ports = r.ports;
    if (ports === null) t = ranges.map(({ ranges: list }) => list.map(() => true));
    else if (ports.some((pm) => pm.name !== undefined && !pm.range)) t = null;
    else {
      // Without named ports, portMatches reads no endpoint.
      const none: Endpoint = { kind: 'world', ip: '0.0.0.0', names: [] };
      t = ranges.map(({ protocol, ranges: list }) => list.map(({ from: port }) => ports.some((pm) => portMatches(pm, port, protocol, none))));
    }
    cache.set(r, t);
  }
  return t;
}

function sameBits(a: BitSet, b: BitSet): boolean {
  for (let i = 0; i < a.words.length; i++) if (a.words[i] !== b.words[i]) return false;
  return true;
}

export interface SidesResult {
  tables: SideTable[];
  rows: SubjectRow[];
  entries: Map<number, SubjectEntry>;
  /** Subjects computed from scratch, and subjects whose changed columns were patched in. */
  recomputed: number;
  patched: number;
}

/** What changed since the memo's pass, when the universe did not. */
export interface Delta {
  /** Ids whose identity changed, appeared or went away, and the present ones among them. */
  ids: number[];
  idents: Identity[];
  /** Present changed identities by id. */
  byId: Map<number, Identity>;
  /** Policies with a rule whose peers match a changed identity (none can match a vanished one). */
  hit: Set<Policy>;
  /** Those rules, with the changed ids their peers match. */
  ruleHits: Map<Rule, Set<number>>;
  /** Policies of this pass that the memo's pass did not have, and the memo's that are gone. */
  added: Policy[];
  removed: Set<Policy>;
  /** The memo's largest id: rows reaching above a smaller one now are cut (tails run up to the largest id). */
  maxId: number;
}

/**
 * The delta from `memo` to this pass. Peers match pod and world identities without regard to the
 * subject (only node identities look different from different subjects, and nodes are in the universe),
 * so which policies a changed identity can reach is decided once for all subjects.
 */
export function delta(engine: Engine, ids: Identities, memo: CompileMemo): Delta {
  const { ids: changed, idents } = changedIds(memo.keys, ids);
  const before = new Set(memo.policies);
  const now = new Set(engine.policies);
  const added = engine.policies.filter((p) => !before.has(p));
  const removed = new Set(memo.policies.filter((p) => !now.has(p)));
  const hit = new Set<Policy>();
  const ruleHits = new Map<Rule, Set<number>>();
  const probe = idents.find((i) => i.rep.kind === 'pod')?.rep;
  const subject = probe?.kind === 'pod' ? probe.pod : engine.cluster.pods[0];
  if (idents.length > 0 && subject) {
    const ctx = { cluster: engine.cluster, learnedNames: () => [] };
    for (const p of engine.policies) {
      for (const r of p.rules) {
        let ids: Set<number> | undefined;
        for (const i of idents) {
          if (!r.peers.some((peer) => peerMatches(peer, i.rep, subject, ctx))) continue;
          (ids ??= new Set()).add(i.id);
        }
        if (!ids) continue;
        ruleHits.set(r, ids);
        hit.add(p);
      }
    }
  }
  return { ids: changed, idents, byId: new Map(idents.map((i) => [i.id, i])), hit, ruleHits, added, removed, maxId: memo.maxId };
}

/** One direction's side tables (of `kind`) and rows, reusing `prev`'s where `d` cannot touch them (null: all new). */
export function incrementalSides(
  engine: Engine, ids: Identities, ranges: readonly ProtocolRanges[], dir: Direction,
  prev: Map<number, SubjectEntry> | null, d: Delta | null, kind: TableKind = 'allowed', shared?: SideContext,
): SidesResult {
  const ctx = shared ?? sideContext(engine, ids, ranges);
  const admitted: AdmitCache = new Map();
  const entries = new Map<number, SubjectEntry>();
  const tables: SideTable[] = [];
  const rows: SubjectRow[] = [];
  let recomputed = 0;
  let patched = 0;
  const policiesSame = d !== null && d.added.length === 0 && d.removed.size === 0;
  const n = ids.maxId + 1;
  const cols = d ? { ...d, ids: d.ids.filter((id) => id < n) } : null;
  for (const ident of ids.list) {
    if (!isLocalPod(ident)) continue;
    const old = resized(prev?.get(ident.id), n);
    let entry: SubjectEntry | undefined;
    let view: SubjectView | undefined;
    if (old && d && old.identKey === ident.key) {
      // The same subject: its policies are the old ones unless a policy it had went away or a new one selects it.
      const pod = (ident.rep as Extract<Endpoint, { kind: 'pod' }>).pod;
      const samePolicySet = policiesSame
        || (!old.policies.some((p) => d.removed.has(p)) && !d.added.some((p) => selectsPod(p, pod, engine.cluster)));
      if (samePolicySet) {
        if (cols!.ids.length === 0) entry = old;
        else if (!old.policies.some((p) => d.hit.has(p)) && constantColumns(old.table, cols!.ids, kind === 'allowed' && !old.isolated)) entry = old;
        else {
          const table = patchColumns(cols!, ident, dir, old, ranges, ctx.full, kind, admitted);
          if (table === old.table) entry = old;
          else {
            patched++;
            entry = { ...old, table, row: reuseRow(old, subjectRow(table, ranges, ids.maxId)) };
          }
        }
      }
    }
    if (!entry) {
      recomputed++;
      view ??= subjectView(ctx, ident, dir);
      const table = subjectTable(ctx, ident, dir, view, kind);
      entry = { identKey: ident.key, policies: view.policies, isolated: view.isolated, table, row: reuseRow(old, subjectRow(table, ranges, ids.maxId)) };
    }
    if (d && ids.maxId < d.maxId && entry.row.tails.some((t) => t[1] > ids.maxId)) entry = { ...entry, row: subjectRow(entry.table, ranges, ids.maxId) };
    entries.set(ident.id, entry);
    tables.push(entry.table);
    rows.push(entry.row);
  }
  return { tables, rows, entries, recomputed, patched };
}

/** `e` with its table's bit sets at `n` bits (ids at or above `n` dropped), or `e` when they have that size. */
function resized(e: SubjectEntry | undefined, n: number): SubjectEntry | undefined {
  if (!e || e.table.allowed.every((byRange) => byRange.every((b) => b.size === n))) return e;
  const fit = (b: BitSet): BitSet => {
    const out = new BitSet(n);
    out.words.set(b.words.subarray(0, out.words.length));
    const extra = out.words.length * 32 - n;
    if (extra > 0 && out.words.length > 0) out.words[out.words.length - 1]! &= 0xffffffff >>> extra;
    return out;
  };
  return { ...e, table: { ...e.table, allowed: e.table.allowed.map((byRange) => byRange.map(fit)) } };
}

/** Whether column `id` is `value` on every port range, for each of `ids`. */
function constantColumns(t: SideTable, ids: readonly number[], value: boolean): boolean {
  return t.allowed.every((byRange) => byRange.every((b) => ids.every((id) => b.has(id) === value)));
}

/** The old row when the tails came out the same (its objects, and its element group, stay). */
function reuseRow(old: SubjectEntry | undefined, row: SubjectRow): SubjectRow {
  return old && old.row.tailsKey === row.tailsKey && old.row.open === row.open ? old.row : row;
}

/** The ids whose identity changed between `prev` (id → key) and `ids`, and those that went away. */
export function changedIds(prev: Map<number, string>, ids: Identities): { ids: number[]; idents: Identity[] } {
  const out: number[] = [];
  const idents: Identity[] = [];
  for (const i of ids.list) {
    if (prev.get(i.id) !== i.key) {
      out.push(i.id);
      idents.push(i);
    }
  }
  const now = new Set(ids.list.map((i) => i.id));
  for (const id of prev.keys()) if (!now.has(id)) out.push(id);
  return { ids: out, idents };
}
