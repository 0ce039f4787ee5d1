import { readFileSync, statSync, watch } from 'node:fs';
import { basename } from 'node:path';
import type { Server } from 'node:http';
import { createExecutor, type NftExecutor } from '../../dataplane/nft/executor.js';
import { nodeIp } from '../../lab/names.js';
import { DnsCache } from '../cache.js';
import { controlRequest, serveControl } from './control.js';
import { elementKey } from '../elements.js';
import { proxyFiles, readJson, writeJsonAtomic } from './files.js';
import { FqdnWriter } from './nft-writer.js';
import { DnsProxy } from './server.js';
import { DnsEventLog } from './events.js';
import { isProxyRules, type L4, type ProxyRules } from '../rules.js';

export interface ProxyProcessOptions {
  node: string;
  stateDir: string;
  /** --tofqdns-min-ttl (s), default 0: honour the TTL. */
  minTtl?: number;
  /** --tofqdns-max-ip-per-hostname, default 50. */
  maxIpsPerName?: number;
  maxQps?: number;
}

const EMPTY = (node: string): ProxyRules => ({ version: 1, node, revision: -1, listeners: [], pods: {}, notes: [] });

/** What the kernel's `fqdn` set holds now: element → expiry (epoch s). The proxy starts from it. */
async function kernelElements(nft: NftExecutor, nowSec: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const listing = (await nft.list()) as { nftables?: Record<string, Record<string, unknown>>[] } | null;
  for (const item of listing?.nftables ?? []) {
    const s = item.set;
    if (!s || s.name !== 'fqdn') continue;
    for (const raw of (s.elem as unknown[] | undefined) ?? []) {
      const e = (raw as { elem?: { val: { concat: [string, string, string, number] }; expires?: number; timeout?: number } }).elem;
      if (!e?.val?.concat) continue;
      const [podIp, ip, proto, port] = e.val.concat;
      out.set(elementKey(podIp, ip, proto.toUpperCase() as L4, Number(port)), nowSec + Math.ceil(e.expires ?? e.timeout ?? 0));
    }
  }
  return out;
}

/** Live connections of the node (its conntrack table), read at most once a second: IPs in use are evicted last. */
function conntrackUse(): (podIp: string, ip: string) => boolean {
  let at = 0;
  let pairs = new Set<string>();
  return (podIp, ip) => {
    if (Date.now() - at > 1000) {
      at = Date.now();
      pairs = new Set();
      try {
        for (const line of readFileSync('/proc/net/nf_conntrack', 'utf8').split('\n')) {
          const m = /src=(\S+) dst=(\S+)/.exec(line);
          if (m && !/ (TIME_WAIT|CLOSE|FIN_WAIT|LAST_ACK|CLOSE_WAIT) /.test(line)) pairs.add(`${m[1]} ${m[2]}`);
        }
      } catch { /* no conntrack table: nothing is known to be in use */ }
    }
    return pairs.has(`${podIp} ${ip}`);
  };
}

/**
 * The `podwall dns-proxy --node X` process, started inside the node's netns next to the agent (and
 * restarted by it): it follows the rules file the agent writes, answers the redirected DNS of the
 * node's pods, keeps the cache persisted in the state dir and re-adds its live elements at start.
 */
export async function runDnsProxy(opts: ProxyProcessOptions): Promise<void> {
  const files = proxyFiles(opts.stateDir, opts.node);
  // Another proxy of this node that still answers: two would fight over the ports.
  if (await controlRequest(files.socket, 'GET', '/status', 500)) throw new Error(`a DNS proxy of ${opts.node} already runs (${files.socket})`);
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const nft = createExecutor();
  // Fractional: element timeouts are the time left to the answer's expiry, rounded (src/fqdn/elements.ts).
  const nowSec = () => Date.now() / 1000;
  const cache = new DnsCache({ maxIpsPerName: opts.maxIpsPerName ?? 50 });
  const restored = cache.load(readJson(files.cache), Date.now());
  const writer = new FqdnWriter(nft, nowSec);
  for (const [k, exp] of await kernelElements(nft, nowSec())) writer.applied.set(k, exp);
  let persistTimer: NodeJS.Timeout | null = null;
  const events = new DnsEventLog();
  const persist = () => {
    events.cacheVersion++;
    // At most once a second: serialising a large cache blocks the event loop (and the answers) for a while.
    persistTimer ??= setTimeout(() => {
      persistTimer = null;
      writeJsonAtomic(files.cache, cache.toJSON());
    }, 1000);
  };
  const proxy = new DnsProxy({
    bindIp: nodeIp(opts.node), cache, writer, minTtl: opts.minTtl ?? 0, inUse: conntrackUse(), onChange: persist, log, onLookup: (e) => events.add(e),
    ...(opts.maxQps ? { maxQps: opts.maxQps } : {}),
  });
  let rulesMtime = '';
  const loadRules = async () => {
    let m = 'none';
    // The agent replaces the file by rename: a new inode is a new file, whatever the clock's resolution.
    try { const st = statSync(files.rules); m = `${st.ino} ${st.mtimeMs} ${st.size}`; } catch { /* none yet */ }
    if (m === rulesMtime) return;
    rulesMtime = m;
    const r = readJson(files.rules);
    const rules = isProxyRules(r) ? r : EMPTY(opts.node);
    await proxy.setRules(rules);
    log(`rules of revision ${rules.revision}: ${Object.keys(rules.pods).length} pods, ${rules.listeners.length} listeners${rules.notes.length ? `; ${rules.notes.join('; ')}` : ''}`);
  };
  await loadRules();
  log(`DNS proxy of ${opts.node} up (pid ${process.pid}); ${restored} cache entries restored`);
  const control: Server = await serveControl(files.socket, {
    status: () => ({ node: opts.node, pid: process.pid, revision: proxy.currentRules.revision, cacheEntries: cache.size, elements: writer.applied.size, transactions: writer.transactions, counters: proxy.counters }),
    cache: () => ({ now: Date.now(), entries: cache.list() }),
    events: (after) => events.since(after),
    clean: async (pod) => {
      const removed = cache.clean((e) => pod === null || e.podIp === pod || e.pod === pod);
      events.cacheVersion++;
      await proxy.resync();
      writeJsonAtomic(files.cache, cache.toJSON());
      return removed.length;
    },
  });
  let busy = false;
  // The agent replaces the rules file by rename: react at once (the 100 ms tick is the fallback).
  const watcher = watch(opts.stateDir, (_e, name) => {
    if (name === basename(files.rules) && !busy) {
      busy = true;
      loadRules().catch((e: Error) => log(`rules: ${e.message}`)).finally(() => { busy = false; });
    }
  });
  let ticks = 0;
  const tick = setInterval(() => {
    if (busy) return;
    busy = true;
    if (++ticks % 10 === 0) {
      const expired = cache.expire(Date.now());
      writer.expire(nowSec());
      if (expired.length) persist();
    }
    loadRules().catch((e: Error) => log(`rules: ${e.message}`)).finally(() => { busy = false; });
  }, 100);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  clearInterval(tick);
  watcher.close();
  if (persistTimer) clearTimeout(persistTimer);
  writeJsonAtomic(files.cache, cache.toJSON());
  proxy.close();
  control.close();
  nft.close();
}
