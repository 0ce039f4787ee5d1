/**
 * The agent's feed from its node's DNS proxy (a process in the node's netns, reached over its unix
 * control socket): every ~200 ms the lookups since the last one become L7 DNS flows in the ring and
 * DNS metrics; when the proxy's cache changed (its version moved), the names it learned per address
 * are read once and become the world names of flows (`observe` shows example.com for 198.18.0.10).
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { CacheEntry } from '../fqdn/cache.js';
import { controlRequest } from '../fqdn/proxy/control.js';
import type { DnsLookupEvent } from '../fqdn/proxy/events.js';
import { proxyFiles } from '../fqdn/proxy/files.js';
import { dnsFlows } from './dns-flows.js';
import type { FlowService } from './service.js';

export const FEED_INTERVAL_MS = 200;

interface EventsReply { last: number; first: number; cacheVersion: number; events: DnsLookupEvent[] }

export interface ProxyFeed {
  /** One poll now (tests; the timer polls on its own). */
  poll(): Promise<void>;
  stop(): void;
}

/** Names by IP from cache entries: every name any pod of the node learned for the address. */
export function namesByIp(entries: readonly CacheEntry[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const e of entries) for (const x of e.ips) {
    let s = out.get(x.ip);
    if (!s) out.set(x.ip, (s = new Set()));
    s.add(e.name);
  }
  return new Map([...out].map(([ip, s]) => [ip, [...s].sort()]));
}

export function startProxyFeed(service: FlowService, stateDir: string, node: string, intervalMs = FEED_INTERVAL_MS): ProxyFeed {
  const socket = proxyFiles(stateDir, node).socket;
  const m = service.metrics;
  let queries!: Counter<'rcode' | 'verdict'>;
  let latency!: Histogram;
  let cacheNames!: Gauge;
  let cacheIps!: Gauge;
  let lost!: Counter;
  m.register((r) => {
    queries = new Counter({ name: 'podwall_dns_proxy_queries_total', help: 'Lookups the DNS proxy answered or refused, by response code and verdict', labelNames: ['rcode', 'verdict'], registers: [r] });
    latency = new Histogram({
      name: 'podwall_dns_proxy_latency_seconds', help: 'DNS proxy: query in to answer out (upstream and the nft update included)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [r],
    });
    cacheNames = new Gauge({ name: 'podwall_dns_proxy_cache_names', help: 'DNS proxy cache: (pod, name) entries', registers: [r] });
    cacheIps = new Gauge({ name: 'podwall_dns_proxy_cache_ips', help: 'DNS proxy cache: addresses held over all entries', registers: [r] });
    lost = new Counter({ name: 'podwall_dns_events_lost_total', help: 'DNS proxy lookups overwritten in the proxy\'s event ring before the agent read them', registers: [r] });
  });
  let after = 0;
  let cacheVersion = -1;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const readCache = async () => {
    const c = await controlRequest<{ entries: CacheEntry[] }>(socket, 'GET', '/cache');
    if (!c) return false;
    service.setNames(namesByIp(c.entries));
    cacheNames.set(c.entries.length);
    cacheIps.set(c.entries.reduce((n, e) => n + e.ips.length, 0));
    return true;
  };

  const poll = async () => {
    const r = await controlRequest<EventsReply>(socket, 'GET', `/events?after=${after}`);
    if (!r) return;
    // A restarted proxy numbers from 1 again.
    if (r.last < after) {
      after = 0;
      return;
    }
    if (r.first > after + 1 && after > 0) lost.inc(r.first - after - 1);
    if (r.cacheVersion !== cacheVersion && (await readCache())) cacheVersion = r.cacheVersion;
    for (const ev of r.events) {
      const state = service.states.at(ev.time);
      service.addL7(dnsFlows(ev, { node, engine: state?.engine ?? null, names: service.namesOf }));
      queries.inc({ rcode: ev.rcode, verdict: ev.verdict });
      latency.observe(ev.latencyMs / 1000);
      after = ev.seq;
    }
    // More than one reply's worth waiting: go on at once.
    if (r.events.length > 0 && after < r.last) await poll();
  };

  const loop = () => {
    if (stopped) return;
    poll().catch(() => undefined).finally(() => {
      if (!stopped) {
        timer = setTimeout(loop, intervalMs);
        timer.unref();
      }
    });
  };
  loop();
  return {
    poll,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
