/**
 * Incremental compile: a pass recomputes only the sides that a change can touch (docs/lab.md,
 * "Identities and incremental compile"). With stable identity ids (allocate.ts) a policy or label change
 * leaves almost every local pod class's side table as it was; what is reused must equal what a full
 * compile would give, so the rules for reuse are conservative:
 * - Anything that changes how every peer is seen (nodes, namespaces' labels, port ranges, the id space)
 *   makes the pass a full one.
 * - A subject (local pod class) whose identity or whose selecting policies (by object identity: the
 *   agent reuses the normalised policies of unchanged objects) changed is recomputed.
 * - Otherwise only the columns of the identity ids whose key changed (or that appeared or went away)
 *   can change: they are decided afresh from the rules whose peers match any of them (a column no rule
 *   matches is `isolated ? 0 : 1`) and patched into the old table.
 * Tails and element groups are reused by their canonical text, so unchanged parts keep their objects.
 */
import type { Engine } from '../engine/engine.js';
import type { Direction, Policy } from '../engine/policy.js';
import { subjectRow, type SubjectRow } from './elements.js';
import type { Identities, Identity } from './identity.js';
import type { ProtocolRanges } from './ports.js';
import type { Element } from './ruleset.js';
import { BitSet } from '../engine/bitset.js';
import { isLocalPod, ruleBitsOf, ruleMask, sideContext, subjectTable, subjectView, type SideContext, type SideTable, type SubjectView } from './sides.js';

interface SubjectEntry {
  identKey: string;
  policies: readonly Policy[];
  table: SideTable;
  row: SubjectRow;
}

/** What one pass leaves for the next. Opaque outside the dataplane. */
export interface CompileMemo {
  universe: string;
  keys: Map<number, string>;
  sides: Record<Direction, Map<number, SubjectEntry>>;
  groups: Record<Direction, Map<string, Element[]>>;
}

/** Everything that changes how all peers and subjects are seen at once. */
export function universeKey(engine: Engine, ids: Identities, ranges: readonly ProtocolRanges[]): string {
  const ns = [...engine.cluster.namespaces.values()].map((n) => [n.name, n.labels]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  const nodes = engine.cluster.nodes.map((n) => [n.name, n.ips, n.labels]);
  return JSON.stringify([ids.node, ids.maxId, ids.podCidr.text, ns, nodes, ranges]);
}

function samePolicies(a: readonly Policy[], b: readonly Policy[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/**
 * The subject's table with the changed ids' columns decided afresh, from the rules whose peers match
 * any of them (the other rules cannot set those bits); `old` itself when no column changed.
 */
function patchColumns(narrow: SideContext, ident: Identity, dir: Direction, v: SubjectView, old: SideTable, ids: readonly number[]): SideTable {
  const bits = ruleBitsOf(narrow, v);
  const active = v.rules.flatMap((r, k) => (bits[k]!.isEmpty() ? [] : [{ r, b: bits[k]! }]));
  // No rule names a changed id: each such column is `isolated ? 0 : 1` everywhere (most subjects, most changes).
  if (active.length === 0 && old.allowed.every((byRange) => byRange.every((b) => ids.every((id) => b.has(id) === !v.isolated)))) return old;
  let allowed: BitSet[][] | null = null;
  narrow.ranges.forEach(({ protocol, ranges: list }, pi) => list.forEach(({ from: port }, ri) => {
    const allow = new BitSet(narrow.n);
    const deny = new BitSet(narrow.n);
    for (const { r, b } of active) {
      const m = ruleMask(r, dir, protocol, port, ident.rep, b, narrow.named);
      if (m) (r.action === 'deny' ? deny : allow).or(m);
    }
    const before = old.allowed[pi]![ri]!;
    for (const id of ids) {
      const want = (!v.isolated || allow.has(id)) && !deny.has(id);
      if (before.has(id) === want) continue;
      allowed ??= old.allowed.map((byRange) => [...byRange]);
      const row = allowed[pi]!;
      if (row[ri] === before) row[ri] = before.clone();
      if (want) row[ri]!.set(id);
      else row[ri]!.clear(id);
    }
  }));
  if (!allowed) return old;
  const open = (allowed as BitSet[][]).every((byRange) => byRange.every((b) => sameBits(b, narrow.full)));
  return { subject: old.subject, direction: dir, allowed, open };
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

/** One direction's side tables and rows, reusing `prev`'s where `changed` (ids) cannot touch them (null: all new). */
export function incrementalSides(
  engine: Engine, ids: Identities, ranges: readonly ProtocolRanges[], dir: Direction,
  prev: Map<number, SubjectEntry> | null, changed: { ids: number[]; idents: Identity[] } | null,
): SidesResult {
  const ctx = sideContext(engine, ids, ranges);
  let narrow: SideContext | null = null;
  const entries = new Map<number, SubjectEntry>();
  const tables: SideTable[] = [];
  const rows: SubjectRow[] = [];
  let recomputed = 0;
  let patched = 0;
  for (const ident of ids.list) {
    if (!isLocalPod(ident)) continue;
    const view = subjectView(ctx, ident, dir);
    const old = prev?.get(ident.id);
    let entry: SubjectEntry | undefined;
    if (old && changed && old.identKey === ident.key && samePolicies(old.policies, view.policies)) {
      if (changed.ids.length === 0) entry = old;
      else {
        narrow ??= sideContext(engine, ids, ranges, changed.idents);
        const table = patchColumns(narrow, ident, dir, view, old.table, changed.ids);
        if (table === old.table) entry = old;
        else {
          patched++;
          entry = { identKey: ident.key, policies: view.policies, table, row: reuseRow(old, subjectRow(table, ranges, ids.maxId)) };
        }
      }
    }
    if (!entry) {
      recomputed++;
      const table = subjectTable(ctx, ident, dir, view);
      entry = { identKey: ident.key, policies: view.policies, table, row: reuseRow(old, subjectRow(table, ranges, ids.maxId)) };
    }
    entries.set(ident.id, entry);
    tables.push(entry.table);
    rows.push(entry.row);
  }
  return { tables, rows, entries, recomputed, patched };
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
