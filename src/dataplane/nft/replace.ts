import type { NamedSet, Ruleset, Table } from '../ruleset.js';
import { render, renderElements, renderTable, type NftCommand, type NftJson } from './render.js';

const shape = (s: NamedSet) => JSON.stringify([s.name, s.type, s.map ?? null, [...s.flags].sort()]);
const where = (t: Pick<Table, 'family' | 'name'>) => ({ family: t.family, table: t.name });

/**
 * A whole-table replace that keeps the elements of external sets (the DNS proxy's `fqdn`: IPs a pod
 * may reach because of a lookup it made; a replace that dropped them would cut every pod off the names
 * it resolved until their next lookup). One transaction: flush every rule, delete the other sets and then
 * the chains of `prev` (what the kernel holds), then add everything of `next` but the kept sets. When
 * no set can be kept (no `prev` table, or the set's type changed), the plain replace of `render`.
 */
export function renderReplace(prev: Ruleset | null, next: Ruleset): NftJson {
  const nftables: NftCommand[] = [];
  for (const t of next.tables) {
    const p = prev?.tables.find((x) => x.family === t.family && x.name === t.name);
    const kept = new Set(t.sets.filter((s) => s.external && p?.sets.some((x) => shape(x) === shape(s))).map((s) => s.name));
    if (!p || kept.size === 0) {
      nftables.push(...render({ tables: [t] }).nftables);
      continue;
    }
    const id = { family: t.family, name: t.name };
    nftables.push({ add: { table: id } }, { flush: { table: id } });
    // Sets first: a verdict map's elements hold references to the chains they go to (EBUSY otherwise).
    for (const s of p.sets) if (!kept.has(s.name)) nftables.push({ delete: { [s.map ? 'map' : 'set']: { ...where(t), name: s.name } } });
    for (const c of p.chains) nftables.push({ delete: { chain: { ...where(t), name: c.name } } });
    const rest: Table = { ...t, sets: t.sets.filter((s) => !kept.has(s.name)) };
    // renderTable's `add table` is harmless; its sets, chains, rules and elements are what is new.
    nftables.push(...renderTable(rest).slice(1));
    for (const s of t.sets) if (kept.has(s.name) && s.elements.length) nftables.push(...renderElements('add', t, s, s.elements));
  }
  return { nftables };
}
