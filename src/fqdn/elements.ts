/**
 * Which `fqdn` set elements the cache and the rules call for (pure), and the nft JSON that changes them.
 * An element is pod IP . answered IP . protocol . port; several names (and selectors) can grant the same
 * one, so its timeout is the latest expiry among them and it goes only when none is left.
 */
import { compileFqdnSelector } from './pattern.js';
import type { CacheEntry } from './cache.js';
import type { FqdnGrant, L4, ProxyRules } from './rules.js';

export const FQDN_TABLE = { family: 'inet', table: 'podwall', name: 'fqdn' } as const;

/** `podIp ip proto port` */
export type ElementKey = string;

export interface Desired {
  key: ElementKey;
  podIp: string;
  ip: string;
  protocol: L4;
  port: number;
  /**
   * Epoch seconds (fractional): the answer's expiry. The kernel's timeouts are whole seconds counted from
   * the insert, so the timeout is the rounded time left: the element ends when `fqdn cache list` says
   * it does, not up to 2 s later (which rounding both ends up had allowed).
   */
  expiresAtSec: number;
}

const matcherCache = new Map<string, (name: string) => boolean>();
function matches(g: FqdnGrant, name: string): boolean {
  const k = JSON.stringify(g.selector);
  let m = matcherCache.get(k);
  if (!m) {
    const c = compileFqdnSelector(g.selector);
    m = (n) => c.matches(n);
    matcherCache.set(k, m);
  }
  return m(name);
}

export function elementKey(podIp: string, ip: string, protocol: L4, port: number): ElementKey {
  return `${podIp} ${ip} ${protocol} ${port}`;
}

/** The elements one cache entry grants under `rules` (IPv4 addresses only: the set is ipv4_addr). */
export function entryElements(e: Pick<CacheEntry, 'podIp' | 'name' | 'ips'>, rules: ProxyRules): Desired[] {
  const grants = (rules.pods[e.podIp]?.fqdns ?? []).filter((g) => matches(g, e.name));
  if (grants.length === 0) return [];
  const out: Desired[] = [];
  for (const g of grants) {
    for (const { protocol, port } of g.ports) {
      for (const x of e.ips) {
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(x.ip)) continue;
        out.push({ key: elementKey(e.podIp, x.ip, protocol, port), podIp: e.podIp, ip: x.ip, protocol, port, expiresAtSec: x.expiresAt / 1000 });
      }
    }
  }
  return out;
}

/** Every element the cache grants, each with its latest expiry. */
export function desiredElements(entries: readonly CacheEntry[], rules: ProxyRules): Map<ElementKey, Desired> {
  const out = new Map<ElementKey, Desired>();
  for (const e of entries) {
    for (const d of entryElements(e, rules)) {
      const cur = out.get(d.key);
      if (!cur || cur.expiresAtSec < d.expiresAtSec) out.set(d.key, d);
    }
  }
  return out;
}

const PROTO = { TCP: 'tcp', UDP: 'udp' } as const;
const concat = (d: Pick<Desired, 'podIp' | 'ip' | 'protocol' | 'port'>) => ({ concat: [d.podIp, d.ip, PROTO[d.protocol], d.port] });

/**
 * Adds (each with its timeout from `nowSec`, at least 1 s: an answer with TTL 0 still lets the connect
 * that follows it through) and deletes, as commands for one transaction. Re-adding an element sets its
 * new timeout (kernel >= 6.10 updates the timeout of an existing element).
 */
export function elementCommands(adds: readonly Desired[], deletes: readonly Pick<Desired, 'podIp' | 'ip' | 'protocol' | 'port'>[], nowSec: number): Record<string, unknown>[] {
  const cmds: Record<string, unknown>[] = [];
  for (let i = 0; i < deletes.length; i += 512) {
    cmds.push({ delete: { element: { ...FQDN_TABLE, elem: deletes.slice(i, i + 512).map(concat) } } });
  }
  for (let i = 0; i < adds.length; i += 512) {
    const elem = adds.slice(i, i + 512).map((d) => ({ elem: { val: concat(d), timeout: Math.max(1, Math.round(d.expiresAtSec - nowSec)) } }));
    cmds.push({ add: { element: { ...FQDN_TABLE, elem } } });
  }
  return cmds;
}
