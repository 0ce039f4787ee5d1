import { stringHash } from '../hash.js';
import { elementKey, type Chain, type Element, type NamedSet, type Ruleset, type Table } from '../ruleset.js';
import { renderElements, renderFlush, type NftCommand, type NftJson } from './render.js';
import { renderReplace } from './replace.js';

export interface Plan {
  /** `none`: nothing to do; `elements`: same chains and sets, only elements change; `replace`: the whole table. */
  kind: 'none' | 'elements' | 'replace';
  json: NftJson;
  added: number;
  deleted: number;
  /** Sets flushed and filled again instead of element deletes (see `REFILL_FACTOR`). */
  refilled: string[];
}

/**
 * What the kernel's set backends cost (measured on this machine's kernel, 1,000-pod ruleset):
 * - concatenated interval sets (pipapo, `egress`/`ingress`): each element delete costs time in
 *   proportion to the set's size (~2 ms from 8,800 elements) and `flush set` is worse (4.4 s for
 *   8,800), while a whole-table replace costs ~25 µs per element (200 ms for 10,000);
 * - interval maps and sets (rbtree, `ident`): deletes ~0.3 ms each from 840 elements, flush 2 ms.
 * So element changes go in place while deletes × set size stays under REPLACE_FACTOR × the new
 * ruleset's size for the pipapo sets (else the whole table is replaced), and an rbtree set is flushed
 * and refilled when deletes × size exceed REFILL_FACTOR × its new size.
 */
export const REPLACE_FACTOR = 100;
export const REFILL_FACTOR = 30;

const isPipapo = (s: NamedSet) => s.type.length > 1 && s.flags.includes('interval');
const total = (rs: Ruleset) => rs.tables.reduce((n, t) => n + t.sets.reduce((m, s) => m + s.elements.length, 0), 0);

const chainHashes = new WeakMap<Chain, string>();

/** A chain's content hash: its definition and its rules' comments, which carry each rule's content hash. Chains are never changed once made. */
export function chainHash(c: Chain): string {
  let h = chainHashes.get(c);
  if (h === undefined) chainHashes.set(c, (h = stringHash(JSON.stringify([c.name, c.hook ?? null, c.priority ?? null, c.policy ?? null, c.rules.map((r) => r.comment)]), 16)));
  return h;
}

function setShape(s: NamedSet): string {
  return JSON.stringify([s.name, s.type, s.map ?? null, [...s.flags].sort()]);
}

/** Everything but the elements: equal shapes mean elements can be changed in place. */
export function tableShape(t: Table): string {
  const sets = t.sets.map(setShape).sort();
  const chains = t.chains.map(chainHash).sort();
  return JSON.stringify([t.family, t.name, sets, chains]);
}

function sameShape(prev: Ruleset, next: Ruleset): boolean {
  if (prev.tables.length !== next.tables.length) return false;
  return next.tables.every((t) => {
    const p = prev.tables.find((x) => x.family === t.family && x.name === t.name);
    return p !== undefined && tableShape(p) === tableShape(t);
  });
}

const checked = new WeakSet<Ruleset>();

/** Identities are below 2^24 (identity.ts): a larger mark in a set read from the kernel was not written by podwall as it is. */
function foreignMarks(rs: Ruleset): boolean {
  if (checked.has(rs)) return false;
  const foreign = rs.tables.some((t) => t.sets.some((s) => s.type.includes('mark') && s.elements.some((e) => e.key.some((c, i) => {
    if (s.type[i] !== 'mark') return false;
    return (typeof c === 'number' ? c : c[1]) >= 0x1000000;
  }))));
  if (!foreign) checked.add(rs);
  return foreign;
}

/**
 * Elements to delete and to add. An incremental compile hands on the element objects of what did not
 * change (src/dataplane/incremental.ts): those are skipped by identity, and only the rest is compared
 * by key, so a small change costs little however large the set.
 */
function elementChanges(prev: NamedSet, next: NamedSet): { del: Element[]; add: Element[] } {
  if (prev.elements === next.elements) return { del: [], add: [] };
  let prevList = prev.elements;
  let nextList = next.elements;
  if (prevList.length > 64 && nextList.length > 64) {
    const before = new Set(prevList);
    const shared = new Set<Element>();
    for (const e of nextList) if (before.has(e)) shared.add(e);
    if (shared.size > 0) {
      prevList = prevList.filter((e) => !shared.has(e));
      nextList = nextList.filter((e) => !shared.has(e));
    }
  }
  const before = new Map(prevList.map((e) => [elementKey(e), e]));
  const after = new Map(nextList.map((e) => [elementKey(e), e]));
  const del: Element[] = [];
  const add: Element[] = [];
  for (const [k, e] of before) {
    const n = after.get(k);
    if (!n || n.value !== e.value || n.goto !== e.goto) del.push(e);
  }
  for (const [k, e] of after) {
    const p = before.get(k);
    if (!p || p.value !== e.value || p.goto !== e.goto) add.push(e);
  }
  return { del, add };
}

/**
 * What to apply to go from `prev` (what was applied last, or what the kernel holds: `parseListing`) to
 * `next`, as one transaction. Same chains and sets: element deletes, then adds (a map value that
 * changed is deleted and added again; an interval that was split is gone before its parts arrive;
 * see REPLACE_FACTOR for when deletes would cost more than starting over).
 * Anything else, no `prev`, or a `prev` holding marks podwall never writes (an element stored wrongly by
 * an older nft path cannot be deleted by its listed value): a full replace (`renderReplace`, which keeps
 * the elements of external sets). Sets marked
 * `external` (the DNS proxy's `fqdn`) keep their elements.
 *
 * @example
 * const p = plan(lastApplied, next);
 * if (p.kind !== 'none') await executor.apply(p.json);
 */
export function plan(prev: Ruleset | null, next: Ruleset): Plan {
  const replace = (): Plan => ({ kind: 'replace', json: renderReplace(prev, next), added: total(next), deleted: 0, refilled: [] });
  // What is planned towards comes from compile, whose ids stay below 2^24 (identity.ts): as the next
  // pass's `prev` it needs no scan (a table read back gets one).
  checked.add(next);
  if (!prev || !sameShape(prev, next) || foreignMarks(prev)) return replace();
  const changes = next.tables.flatMap((t) => {
    const p = prev.tables.find((x) => x.family === t.family && x.name === t.name)!;
    return [...t.sets].sort((a, b) => (a.name < b.name ? -1 : 1)).filter((s) => !s.external).map((s) => {
      const before = p.sets.find((x) => x.name === s.name)!;
      return { t, s, before, ...elementChanges(before, s) };
    });
  });
  const pipapoCost = changes.reduce((n, c) => n + (isPipapo(c.s) ? c.del.length * c.before.elements.length : 0), 0);
  if (pipapoCost > REPLACE_FACTOR * Math.max(total(next), 1)) return replace();
  const deletes: NftCommand[] = [];
  const adds: NftCommand[] = [];
  const refilled: string[] = [];
  let added = 0;
  let deleted = 0;
  for (const { t, s, before, del, add } of changes) {
    if (!isPipapo(s) && del.length * before.elements.length > REFILL_FACTOR * Math.max(s.elements.length, 1)) {
      deletes.push(renderFlush(t, s));
      adds.push(...renderElements('add', t, s, s.elements));
      refilled.push(s.name);
      added += s.elements.length;
      deleted += before.elements.length;
      continue;
    }
    deletes.push(...renderElements('delete', t, s, del));
    adds.push(...renderElements('add', t, s, add));
    added += add.length;
    deleted += del.length;
  }
  const nftables = [...deletes, ...adds];
  return { kind: nftables.length === 0 ? 'none' : 'elements', json: { nftables }, added, deleted, refilled };
}

/** The transaction of `plan` (empty `nftables` when nothing changed). */
export function diff(prev: Ruleset | null, next: Ruleset): NftJson {
  return plan(prev, next).json;
}
