import type { CacheEntry } from '../cache.js';
import { controlRequest } from './control.js';
import { proxyFiles, readJson } from './files.js';

/** One row of `podwall fqdn cache list` (like `cilium fqdn cache list`). */
export interface CacheRow {
  node: string;
  pod: string;
  podIp: string;
  fqdn: string;
  /** Seconds left until the latest IP of the name expires. */
  ttlLeft: number;
  expiration: string;
  ips: string[];
  source: string;
}

function rows(node: string, now: number, entries: readonly CacheEntry[]): CacheRow[] {
  return entries.flatMap((e) => {
    const live = e.ips.filter((x) => x.expiresAt > now);
    if (live.length === 0) return [];
    const last = Math.max(...live.map((x) => x.expiresAt));
    return [{ node, pod: e.pod, podIp: e.podIp, fqdn: e.name, ttlLeft: Math.ceil((last - now) / 1000), expiration: new Date(last).toISOString(), ips: live.map((x) => x.ip), source: e.source }];
  });
}

/** The cache of each node's proxy: live from its control socket, else what it last persisted. */
export async function readCaches(stateDir: string, nodes: readonly string[]): Promise<{ rows: CacheRow[]; offline: string[] }> {
  const out: CacheRow[] = [];
  const offline: string[] = [];
  for (const node of nodes) {
    const files = proxyFiles(stateDir, node);
    const live = await controlRequest<{ now: number; entries: CacheEntry[] }>(files.socket, 'GET', '/cache');
    if (live) {
      out.push(...rows(node, live.now, live.entries));
      continue;
    }
    offline.push(node);
    const saved = readJson(files.cache) as { entries?: CacheEntry[] } | null;
    out.push(...rows(node, Date.now(), Array.isArray(saved?.entries) ? saved.entries : []));
  }
  return { rows: out.sort((a, b) => (a.pod + a.fqdn < b.pod + b.fqdn ? -1 : 1)), offline };
}
