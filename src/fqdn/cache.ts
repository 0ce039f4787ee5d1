/**
 * The DNS proxy's cache (pure: times are passed in, in ms): per pod and queried name, the addresses
 * answered and when each expires. It is what `podwall fqdn cache list` shows and what decides the
 * `fqdn` set's elements (src/fqdn/elements.ts). Persisted as JSON so a restarted proxy resumes with it.
 */

export interface CachedIp {
  ip: string;
  /** Epoch ms: the answer's TTL (raised to --tofqdns-min-ttl) from the last answer that carried the IP. */
  expiresAt: number;
  /** Epoch ms of the first answer that carried it: eviction under the per-name cap takes the oldest first. */
  firstSeen: number;
  ttl: number;
}

export interface CacheEntry {
  /** The pod's IP and `namespace/name`. */
  podIp: string;
  pod: string;
  /** Lower case, no trailing dot. */
  name: string;
  ips: CachedIp[];
  /** `lookup`: from an answer; `restored`: read back from the file at start. */
  source: 'lookup' | 'restored';
  /** Epoch ms of the last answer. */
  lookupAt: number;
}

export interface CacheOptions {
  /** --tofqdns-max-ip-per-hostname (default 50). */
  maxIpsPerName: number;
}

export interface Evicted {
  podIp: string;
  name: string;
  ip: string;
}

const entryKey = (podIp: string, name: string) => `${podIp} ${name}`;

export class DnsCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly opts: CacheOptions) {}

  /**
   * Record an answer. Returns the addresses evicted under the per-name cap: the oldest first, but never
   * one `inUse` (a live connection) while an unused one remains (Cilium keeps IPs of live connections).
   */
  record(a: { podIp: string; pod: string; name: string; ips: readonly string[]; ttl: number; now: number }, inUse: (podIp: string, ip: string) => boolean = () => false): { entry: CacheEntry; evicted: Evicted[] } {
    const k = entryKey(a.podIp, a.name);
    const e = this.entries.get(k) ?? { podIp: a.podIp, pod: a.pod, name: a.name, ips: [], source: 'lookup' as const, lookupAt: a.now };
    e.source = 'lookup';
    e.lookupAt = a.now;
    e.pod = a.pod;
    const expiresAt = a.now + a.ttl * 1000;
    for (const ip of a.ips) {
      const c = e.ips.find((x) => x.ip === ip);
      if (c) {
        c.expiresAt = Math.max(c.expiresAt, expiresAt);
        c.ttl = a.ttl;
      } else e.ips.push({ ip, expiresAt, firstSeen: a.now, ttl: a.ttl });
    }
    this.entries.set(k, e);
    const evicted: Evicted[] = [];
    while (e.ips.length > this.opts.maxIpsPerName) {
      const answered = new Set(a.ips);
      const order = [...e.ips].sort((x, y) => x.firstSeen - y.firstSeen);
      // Never the addresses of this very answer, then unused before used.
      const victim = order.find((x) => !answered.has(x.ip) && !inUse(a.podIp, x.ip)) ?? order.find((x) => !answered.has(x.ip)) ?? order[0]!;
      e.ips = e.ips.filter((x) => x !== victim);
      evicted.push({ podIp: a.podIp, name: a.name, ip: victim.ip });
    }
    return { entry: e, evicted };
  }

  /** Drop what expired; returns the removed (pod, name, ip). */
  expire(now: number): Evicted[] {
    const out: Evicted[] = [];
    for (const [k, e] of this.entries) {
      for (const x of e.ips) if (x.expiresAt <= now) out.push({ podIp: e.podIp, name: e.name, ip: x.ip });
      e.ips = e.ips.filter((x) => x.expiresAt > now);
      if (e.ips.length === 0) this.entries.delete(k);
    }
    return out;
  }

  /** Remove entries (all, or one pod's by IP); returns what was removed. */
  clean(match: (e: CacheEntry) => boolean = () => true): CacheEntry[] {
    const out: CacheEntry[] = [];
    for (const [k, e] of this.entries) {
      if (!match(e)) continue;
      out.push(e);
      this.entries.delete(k);
    }
    return out;
  }

  list(): CacheEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.pod + a.name < b.pod + b.name ? -1 : 1));
  }

  /** One pod's entries, unsorted (on the answer path: no sort of the whole cache per query). */
  forPod(podIp: string): CacheEntry[] {
    const out: CacheEntry[] = [];
    for (const e of this.entries.values()) if (e.podIp === podIp) out.push(e);
    return out;
  }

  get size(): number {
    return this.entries.size;
  }

  toJSON(): { version: 1; entries: CacheEntry[] } {
    return { version: 1, entries: [...this.entries.values()] };
  }

  /** Entries of a persisted file that have not expired, marked `restored`. Anything malformed is skipped. */
  load(data: unknown, now: number): number {
    const entries = (data as { version?: number; entries?: unknown[] } | null)?.entries;
    if (!Array.isArray(entries)) return 0;
    let n = 0;
    for (const raw of entries) {
      const e = raw as CacheEntry;
      if (typeof e?.podIp !== 'string' || typeof e.name !== 'string' || !Array.isArray(e.ips)) continue;
      const ips = e.ips.filter((x) => typeof x?.ip === 'string' && typeof x.expiresAt === 'number' && x.expiresAt > now);
      if (ips.length === 0) continue;
      this.entries.set(entryKey(e.podIp, e.name), { podIp: e.podIp, pod: String(e.pod ?? ''), name: e.name, ips, source: 'restored', lookupAt: Number(e.lookupAt) || now });
      n++;
    }
    return n;
  }
}
