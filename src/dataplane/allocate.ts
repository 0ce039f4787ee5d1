import type { Identity, IpInterval } from './identity.js';
import { bounds, FAMILY, TABLE, type Ruleset } from './ruleset.js';

/**
 * Stable identity ids across passes. An identity takes the id that its addresses had in the previous
 * identity map (the ruleset in force: the last pass's, or the kernel's table read back), voted by
 * address: a pod class by its pods' addresses, a node by its addresses, a world cell by its intervals.
 * Contested ids go to the identity with most votes (then the one first in the fresh order); the host
 * keeps 1; identities without a previous id take the lowest free ids, in the fresh order (freed ids are
 * recycled). So a change renumbers nothing else: a relabelled pod class with the same pods keeps its
 * id, a class that splits keeps its id for the larger part. Pure and deterministic: the same fresh
 * identities and the same previous map give the same ids.
 */

/** The id of `ip` in sorted, disjoint intervals; 0 when none covers it. */
export function idAt(intervals: readonly IpInterval[], ip: number): number {
  let lo = 0;
  let hi = intervals.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const iv = intervals[mid]!;
    if (ip < iv.from) hi = mid - 1;
    else if (ip > iv.to) lo = mid + 1;
    else return iv.id;
  }
  return 0;
}

/**
 * Renumber `list` (fresh ids `1..n`, host first) after `previous`, in place (ids, and `ofPod`), and
 * return `fresh` intervals with the new ids.
 */
export function reallocate(list: Identity[], fresh: readonly IpInterval[], ofPod: Map<string, number>, previous: readonly IpInterval[]): IpInterval[] {
  const votes = new Map<number, Map<number, number>>();
  for (const iv of fresh) {
    if (iv.id === 0) continue;
    const old = idAt(previous, iv.from);
    if (old === 0) continue;
    let v = votes.get(iv.id);
    if (!v) votes.set(iv.id, (v = new Map()));
    v.set(old, (v.get(old) ?? 0) + 1);
  }
  const HOST = 1;
  const wants: { fresh: number; old: number; n: number }[] = [];
  for (const [f, v] of votes) {
    if (f === HOST) continue;
    let best = 0;
    let n = 0;
    for (const [old, k] of v) if (k > n || (k === n && old < best)) [best, n] = [old, k];
    wants.push({ fresh: f, old: best, n });
  }
  wants.sort((a, b) => b.n - a.n || a.fresh - b.fresh);
  const map = new Map<number, number>([[HOST, HOST]]);
  const taken = new Set<number>([HOST]);
  for (const w of wants) {
    if (w.old === HOST || taken.has(w.old) || w.old >= 0x1000000) continue;
    map.set(w.fresh, w.old);
    taken.add(w.old);
  }
  let next = 1;
  for (const i of list) {
    if (map.has(i.id)) continue;
    while (taken.has(next)) next++;
    map.set(i.id, next);
    taken.add(next);
  }
  for (const i of list) i.id = map.get(i.id)!;
  list.sort((a, b) => a.id - b.id);
  for (const [pod, id] of ofPod) ofPod.set(pod, map.get(id)!);
  return fresh.map((iv) => ({ ...iv, id: iv.id === 0 ? 0 : map.get(iv.id)! }));
}

/** The identity map of a ruleset (the `ident` map: address intervals → id), sorted by address. */
export function identMap(rs: Ruleset): IpInterval[] {
  const set = rs.tables.find((t) => t.family === FAMILY && t.name === TABLE)?.sets.find((s) => s.name === 'ident' && s.map === 'mark');
  const out = (set?.elements ?? []).flatMap((e): IpInterval[] => {
    const [from, to] = bounds(e.key[0]!);
    return e.value === undefined ? [] : [{ from, to, id: e.value }];
  });
  return out.sort((a, b) => a.from - b.from);
}
