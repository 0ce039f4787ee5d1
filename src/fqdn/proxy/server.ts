import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import type { DnsCache } from '../cache.js';
import { desiredElements, entryElements, elementKey, type Desired } from '../elements.js';
import { checkQuery, DROP_REASONS, errorReply, readAnswer, type DropReason } from '../message.js';
import type { FqdnWriter } from './nft-writer.js';
import type { DnsLookupEvent } from './events.js';
import { compileFqdnSelector } from '../pattern.js';
import type { DnsAllow, DnsListener, L4, PodRules, ProxyRules } from '../rules.js';
import { frame, tcpExchange, tcpFramer, udpExchange, type Exchange } from './upstream.js';

export interface ProxyOptions {
  /** The node's address: the only one the proxy listens on (no open resolver). */
  bindIp: string;
  cache: DnsCache;
  writer: FqdnWriter;
  /** --tofqdns-min-ttl in seconds (0: honour the answer's TTL). */
  minTtl: number;
  upstreamTimeoutMs?: number;
  /** Queries per second one pod may send (a token bucket of one second's worth). */
  maxQps?: number;
  /** Whether a pod has a live connection to an IP (conntrack): such IPs are evicted last. */
  inUse?: (podIp: string, ip: string) => boolean;
  /** The cache changed (persist it). */
  onChange?: () => void;
  now?: () => number;
  log?: (line: string) => void;
  /** Each lookup answered or refused (the L7 DNS events the agent turns into flows). */
  onLookup?: (e: Omit<DnsLookupEvent, 'seq'>) => void;
}

export type Counters = Record<DropReason | 'queries' | 'refused' | 'forwarded' | 'answered' | 'truncated' | 'learned' | 'nft-errors' | 'evicted', number>;

interface Bucket {
  tokens: number;
  at: number;
}

interface Open {
  listener: DnsListener;
  udp: Socket;
  tcp: Server;
  upstream: Exchange;
  clients: Set<TcpSocket>;
}

const key = (l: Pick<DnsListener, 'port' | 'upstream' | 'upstreamPort' | 'destination' | 'destinationPort'>) => JSON.stringify([l.port, l.destination, l.destinationPort, l.upstream, l.upstreamPort]);

/**
 * The node's DNS proxy (issue 5): pods' DNS arrives here redirected by the node's nat chain, one port per
 * upstream destination. A name the pod's L7 DNS rule does not allow gets REFUSED (Cilium's default); an
 * allowed query goes to the upstream, and before the answer goes back the answered addresses are in the
 * `fqdn` set for every toFQDNs selector of the pod that matches the name, so the connect that follows the
 * answer never races the rule. Anything malformed, unexpected or in excess is dropped and counted.
 */
export class DnsProxy {
  readonly counters = Object.fromEntries([...DROP_REASONS, 'queries', 'refused', 'forwarded', 'answered', 'truncated', 'learned', 'nft-errors', 'evicted'].map((k) => [k, 0])) as Counters;
  private rules: ProxyRules = { version: 1, node: '', revision: -1, listeners: [], pods: {}, notes: [] };
  private readonly open = new Map<number, Open>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly allowCache = new Map<string, (name: string) => boolean>();
  private readonly now: () => number;

  constructor(private readonly opts: ProxyOptions) {
    this.now = opts.now ?? Date.now;
  }

  get currentRules(): ProxyRules {
    return this.rules;
  }

  /** Take new rules: open and close listeners, and bring the `fqdn` set in line with cache × rules. */
  async setRules(rules: ProxyRules): Promise<void> {
    this.rules = rules;
    const want = new Map(rules.listeners.map((l) => [l.port, l]));
    for (const [port, o] of this.open) {
      const w = want.get(port);
      if (!w || key(w) !== key(o.listener)) this.closeListener(port);
    }
    for (const l of rules.listeners) if (!this.open.has(l.port)) await this.openListener(l);
    await this.resync();
  }

  /** Make the kernel's `fqdn` set what the cache and the rules call for (adds and deletes). */
  async resync(): Promise<void> {
    const nowSec = Math.floor(this.now() / 1000);
    this.opts.writer.expire(nowSec);
    const desired = desiredElements(this.opts.cache.list(), this.rules);
    const stale = [...this.opts.writer.applied.keys()].filter((k) => !desired.has(k)).map(parseKey);
    if (stale.length) await this.opts.writer.remove(stale);
    await this.opts.writer.add(this.opts.writer.needed(desired.values()));
  }

  private async openListener(l: DnsListener): Promise<void> {
    const stray = () => { this.counters['upstream-unexpected']++; };
    const udp = createSocket('udp4');
    const o: Open = { listener: l, udp, tcp: createServer(), upstream: udpExchange(l.upstream, l.upstreamPort, stray), clients: new Set() };
    udp.on('message', (msg, rinfo) => {
      void this.handle(msg, rinfo.address, l, 'UDP', () => udpExchangeFor(o), rinfo.port).then((reply) => {
        if (reply) udp.send(reply, rinfo.port, rinfo.address);
      });
    });
    udp.on('error', (e) => this.opts.log?.(`udp ${l.port}: ${e.message}`));
    o.tcp.on('connection', (c) => this.serveTcp(c, o));
    o.tcp.on('error', (e) => this.opts.log?.(`tcp ${l.port}: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(l.port, this.opts.bindIp, () => resolve());
    });
    await new Promise<void>((resolve, reject) => {
      o.tcp.once('error', reject);
      o.tcp.listen(l.port, this.opts.bindIp, () => resolve());
    });
    this.open.set(l.port, o);
    this.opts.log?.(`listening on ${this.opts.bindIp}:${l.port} (udp, tcp) for ${l.destination}:${l.destinationPort} -> ${l.upstream}:${l.upstreamPort}`);
  }

  private serveTcp(c: TcpSocket, o: Open): void {
    o.clients.add(c);
    c.setNoDelay(true);
    const src = c.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    const sport = c.remotePort ?? 0;
    let upstream: Exchange | null = null;
    const exchange = () => (upstream ??= tcpExchange(o.listener.upstream, o.listener.upstreamPort, () => { this.counters['upstream-unexpected']++; }));
    // An idle client is let go after 10 s, as DNS servers do (RFC 7766 suggests a few seconds).
    c.setTimeout(10_000, () => c.destroy());
    c.on('data', tcpFramer((m) => {
      void this.handle(Buffer.from(m), src, o.listener, 'TCP', exchange, sport).then((reply) => {
        if (reply && !c.destroyed) c.write(frame(reply));
      });
    }, () => { this.counters.malformed++; c.destroy(); }));
    c.on('error', () => undefined);
    c.on('close', () => {
      o.clients.delete(c);
      upstream?.close();
    });
  }

  private closeListener(port: number): void {
    const o = this.open.get(port);
    if (!o) return;
    this.open.delete(port);
    try { o.udp.close(); } catch { /* closed */ }
    o.tcp.close();
    for (const c of o.clients) c.destroy();
    o.upstream.close();
  }

  close(): void {
    for (const port of [...this.open.keys()]) this.closeListener(port);
  }

  private drop(reason: DropReason): null {
    this.counters[reason]++;
    return null;
  }

  private takeToken(src: string): boolean {
    const max = this.opts.maxQps ?? 20_000;
    const now = this.now();
    const b = this.buckets.get(src) ?? { tokens: max, at: now };
    b.tokens = Math.min(max, b.tokens + ((now - b.at) / 1000) * max);
    b.at = now;
    this.buckets.set(src, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private allowed(d: DnsAllow, name: string): boolean {
    const k = JSON.stringify(d.patterns);
    let fn = this.allowCache.get(k);
    if (!fn) {
      const ms = d.patterns.map(compileFqdnSelector);
      fn = (n) => ms.some((m) => m.matches(n));
      if (this.allowCache.size > 10_000) this.allowCache.clear();
      this.allowCache.set(k, fn);
    }
    return fn(name);
  }

  /** One query from a pod: the bytes to send back, or null (dropped). */
  async handle(buf: Buffer, src: string, l: DnsListener, proto: L4, exchange: () => Exchange, sport = 0): Promise<Buffer | null> {
    const started = this.now();
    const t0 = performance.now();
    this.counters.queries++;
    const pod = this.rules.pods[src];
    if (!pod) return this.drop('unknown-source');
    if (!this.takeToken(src)) return this.drop('rate-limited');
    const allow = pod.dns.find((d) => d.destination === l.destination && d.destinationPort === l.destinationPort && d.protocols.includes(proto));
    if (!allow) return this.drop('not-redirected');
    const q = checkQuery(buf);
    if (!q.ok) return this.drop(q.reason);
    const record = (rcode: string, ips: string[], ttl: number, verdict: 'allowed' | 'refused' = 'allowed') => this.opts.onLookup?.({
      time: started, podIp: src, pod: pod.pod, sport, protocol: proto, server: l.destination, serverPort: l.destinationPort,
      upstream: l.upstream, upstreamPort: l.upstreamPort, query: q.query.name, qtype: q.query.qtype, rcode, ips, ttl,
      verdict, by: allow.by ?? [], latencyMs: performance.now() - t0,
    });
    if (!this.allowed(allow, q.query.name)) {
      this.counters.refused++;
      record('REFUSED', [], 0, 'refused');
      return errorReply(buf, 'REFUSED');
    }
    this.counters.forwarded++;
    const answer = await exchange().send(Buffer.from(buf), this.opts.upstreamTimeoutMs ?? 5000);
    if (!answer) return this.drop('upstream-timeout');
    const info = readAnswer(answer);
    if (!info) return this.drop('upstream-malformed');
    if (info.name !== q.query.name) return this.drop('upstream-unexpected');
    if (info.truncated) this.counters.truncated++;
    else if (info.ipv4.length > 0) {
      try {
        await this.learn(src, pod, q.query.name, info.ipv4, info.ttl);
      } catch (err) {
        // Fail closed: an answer the pod could not use is not released.
        this.counters['nft-errors']++;
        this.opts.log?.(`nft: ${err instanceof Error ? err.message : String(err)}`);
        record('SERVFAIL', [], 0);
        return errorReply(buf, 'SERVFAIL');
      }
    }
    answer.writeUInt16BE(q.query.id, 0);
    this.counters.answered++;
    record(info.rcode, [...info.ipv4, ...info.ipv6], Number.isFinite(info.ttl) ? Math.max(info.ttl, this.opts.minTtl) : 0);
    return answer;
  }

  private async learn(podIp: string, pod: PodRules, name: string, ips: string[], ttl: number): Promise<void> {
    const effective = Math.max(ttl, this.opts.minTtl);
    const now = this.now();
    const { entry, evicted } = this.opts.cache.record({ podIp, pod: pod.pod, name, ips, ttl: effective, now }, this.opts.inUse);
    this.counters.learned++;
    const adds: Desired[] = this.opts.writer.needed(entryElements(entry, this.rules));
    if (evicted.length) {
      this.counters.evicted += evicted.length;
      const still = desiredElements(this.opts.cache.forPod(podIp), this.rules);
      const gone = new Set(evicted.map((e) => e.ip));
      const removals = [...this.opts.writer.applied.keys()].filter((k) => k.startsWith(`${podIp} `) && gone.has(k.split(' ')[1]!) && !still.has(k)).map(parseKey);
      await this.opts.writer.remove(removals);
    }
    await this.opts.writer.add(adds);
    this.opts.onChange?.();
  }
}

function udpExchangeFor(o: Open): Exchange {
  return o.upstream;
}

export function parseKey(k: string): { key: string; podIp: string; ip: string; protocol: L4; port: number } {
  const [podIp, ip, protocol, port] = k.split(' ') as [string, string, L4, string];
  return { key: elementKey(podIp, ip, protocol, Number(port)), podIp, ip, protocol, port: Number(port) };
}
