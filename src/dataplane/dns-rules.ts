/**
 * The DNS proxy's rules for one node compiled from the engine (pure; the types are src/fqdn/rules.ts).
 * The agent writes them as `<stateDir>/dns-rules-<node>.json` (src/fqdn/proxy/agent-hook.ts).
 */
import type { FQDNSelector } from '../api/types.js';
import { MAX_PORTS_PER_GRANT, PROXY_PORT_BASE, PROXY_PORT_COUNT, type DnsAllow, type DnsRuleRef, type DnsListener, type FqdnGrant, type L4, type PodRules, type ProxyRules } from '../fqdn/rules.js';
import type { PodInfo } from '../engine/cluster.js';
import { dnsServer, KUBE_DNS_IP } from '../engine/dns.js';
import { podEndpoint, type Endpoint } from '../engine/endpoint.js';
import type { Engine } from '../engine/engine.js';
import { evaluate } from '../engine/evaluate.js';
import type { Policy, Rule } from '../engine/policy.js';

const WILDCARD: FQDNSelector = { matchPattern: '*' };
const key = (ip: string, port: number) => `${ip}:${port}`;

/** Where a lookup goes: the DNS server's addresses (Service VIP and backend pod) and where the proxy forwards it. */
interface Destination {
  endpoint: Endpoint;
  ip: string;
  port: number;
  upstream: string;
  upstreamPort: number;
}

function destinations(engine: Engine): Destination[] {
  const server = dnsServer(engine.cluster);
  const out: Destination[] = [];
  const ep = server.endpoint;
  const backendIp = ep.kind === 'pod' ? ep.pod.ips[0] : undefined;
  const svc = engine.cluster.services.find((s) => s.namespace === 'kube-system' && s.name === 'kube-dns');
  const vips = svc?.clusterIPs.length ? svc.clusterIPs : [KUBE_DNS_IP];
  // The implicit server (no coredns pod) lives at the VIP itself; a real backend is reached at its own address.
  const real = backendIp && backendIp !== KUBE_DNS_IP ? backendIp : undefined;
  const coredns = real ?? engine.cluster.pods.find((p) => p.namespace === 'kube-system' && p.labels['k8s-app'] === 'kube-dns')?.ips[0];
  for (const vip of vips) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(vip)) continue;
    out.push({ endpoint: ep, ip: vip, port: 53, upstream: coredns ?? vip, upstreamPort: coredns ? server.port : 53 });
  }
  // The backend pod itself is a DNS destination too: asked directly, it must not bypass the L7 rule.
  if (coredns && !vips.includes(coredns)) out.push({ endpoint: ep, ip: coredns, port: server.port, upstream: coredns, upstreamPort: server.port });
  return out;
}

/** The names an allowing set of rules lets through the proxy, or null when no L7 DNS rule applies (not proxied). */
function dnsPatterns(rules: readonly Rule[]): FQDNSelector[] | null {
  if (!rules.some((r) => r.dns !== undefined)) return null;
  // Cilium merges L7 rules per port: an allowing rule on an explicit port without DNS rules acts as a wildcard (src/engine/dns.ts).
  if (rules.some((r) => r.dns === undefined && r.ports !== null)) return [WILDCARD];
  const seen = new Map<string, FQDNSelector>();
  for (const r of rules) for (const m of r.dns ?? []) seen.set(JSON.stringify(m.selector), m.selector);
  return [...seen.values()];
}

function podDns(engine: Engine, pod: PodInfo, dests: readonly Destination[]): DnsAllow[] {
  const out: DnsAllow[] = [];
  const ctx = { cluster: engine.cluster, learnedNames: () => [] };
  for (const d of dests) {
    const byProto = new Map<L4, FQDNSelector[]>();
    const refs = new Map<string, DnsRuleRef>();
    for (const protocol of ['UDP', 'TCP'] as const) {
      const decision = evaluate(engine.set, { src: podEndpoint(pod), dst: d.endpoint, port: d.port, protocol }, ctx);
      if (!decision.allowed) continue;
      const patterns = dnsPatterns(decision.egress.allowedBy.map((h) => h.rule));
      if (!patterns) continue;
      byProto.set(protocol, patterns);
      for (const h of decision.egress.allowedBy) {
        const ref: DnsRuleRef = { kind: h.origin.kind, ...(h.origin.namespace ? { namespace: h.origin.namespace } : {}), name: h.origin.name, rule: h.rule.index };
        refs.set(JSON.stringify(ref), ref);
      }
    }
    const by = [...refs.values()];
    const udp = byProto.get('UDP');
    const tcp = byProto.get('TCP');
    if (udp && tcp && JSON.stringify(udp) === JSON.stringify(tcp)) {
      out.push({ destination: d.ip, destinationPort: d.port, protocols: ['UDP', 'TCP'], patterns: udp, by });
    } else {
      for (const [protocol, patterns] of byProto) out.push({ destination: d.ip, destinationPort: d.port, protocols: [protocol], patterns, by });
    }
  }
  return out;
}

function grantPorts(rule: Rule): { protocol: L4; port: number }[] | null {
  if (rule.ports === null) return null;
  const out: { protocol: L4; port: number }[] = [];
  for (const p of rule.ports) {
    const range = p.range ?? (p.name === undefined ? { from: 1, to: 65535 } : null);
    if (!range || range.to - range.from + 1 > MAX_PORTS_PER_GRANT) continue;
    for (const protocol of p.protocols) {
      if (protocol !== 'TCP' && protocol !== 'UDP') continue;
      for (let port = range.from; port <= range.to; port++) out.push({ protocol, port });
    }
  }
  return out;
}

/** The pod's toFQDNs grants, and notes (to be prefixed with the pod) on what cannot be granted. */
function podFqdns(policies: readonly Policy[]): { grants: FqdnGrant[]; notes: string[] } {
  const out: FqdnGrant[] = [];
  const notes: string[] = [];
  for (const policy of policies) {
    for (const rule of policy.rules) {
      if (rule.direction !== 'egress' || rule.action !== 'allow') continue;
      const origin = `${policy.origin.kind} ${policy.origin.namespace ? `${policy.origin.namespace}/` : ''}${policy.origin.name} egress[${rule.index}]`;
      for (const peer of rule.peers) {
        if (peer.type !== 'fqdn') continue;
        const ports = grantPorts(rule);
        if (ports === null || ports.length === 0) {
          notes.push(`${origin} toFQDNs ${peer.matcher.text} grants ${ports === null ? 'every port' : 'a named port or a range over '
            + MAX_PORTS_PER_GRANT} ports, which the fqdn set (exact ports) does not express: nothing is allowed for it`);
          continue;
        }
        out.push({ selector: peer.matcher.selector, ports, origin });
      }
    }
  }
  return { grants: out, notes };
}

/** Keep each destination's proxy port from `prev` (conntrack keeps DNAT mappings of running flows); new ones take the lowest free port. */
function allocate(dests: readonly Destination[], prev: readonly DnsListener[]): DnsListener[] {
  const before = new Map(prev.map((l) => [key(l.destination, l.destinationPort), l.port]));
  const used = new Set<number>();
  const out: DnsListener[] = [];
  const pending: Destination[] = [];
  for (const d of dests) {
    const p = before.get(key(d.ip, d.port));
    if (p !== undefined && !used.has(p)) {
      used.add(p);
      out.push({ port: p, destination: d.ip, destinationPort: d.port, upstream: d.upstream, upstreamPort: d.upstreamPort });
    } else pending.push(d);
  }
  let next = PROXY_PORT_BASE;
  for (const d of pending) {
    while (used.has(next)) next++;
    if (next >= PROXY_PORT_BASE + PROXY_PORT_COUNT) break;
    used.add(next);
    out.push({ port: next, destination: d.ip, destinationPort: d.port, upstream: d.upstream, upstreamPort: d.upstreamPort });
  }
  return out.sort((a, b) => a.port - b.port);
}

export interface ProxyRulesOptions {
  node: string;
  revision: number;
  enforcement: 'podwall' | 'none';
  /** The previous rules: each DNS destination keeps its proxy port. */
  prev?: ProxyRules | null;
  /**
   * Pods no policy can tell apart get the same key (the compile's identity keys, src/dataplane/identity.ts):
   * the engine decides once per class instead of once per pod, and with `memo` once per class while
   * neither the class, its policies nor the DNS server's side changes.
   */
  classOf?: (pod: PodInfo) => string | undefined;
  memo?: ProxyRulesMemo;
}

interface ClassRules {
  policies: readonly Policy[];
  dns: DnsAllow[];
  grants: FqdnGrant[];
  notes: string[];
}

/**
 * What one `proxyRules` call leaves for the next: each class's rules with the policy list they were
 * decided from (`PolicySet.selecting` hands on the same list object while a pod's policies are the
 * same), valid while the DNS destinations, the DNS server's own pod and policies, and the namespaces and nodes are.
 */
export class ProxyRulesMemo {
  context = '';
  byClass = new Map<string, ClassRules>();
}

const tokens = new WeakMap<object, number>();
let nextToken = 1;
/** A number per object: equal numbers, the same object. */
function token(o: object): number {
  let t = tokens.get(o);
  if (t === undefined) tokens.set(o, (t = nextToken++));
  return t;
}

/** What every class's rules depend on besides the class and its policies. */
function memoContext(engine: Engine, dests: readonly Destination[]): string {
  const server = dests[0]?.endpoint;
  // The server pod by object while it is unchanged (a pod of the cluster), else by content (the implicit kube-dns); its policies by object.
  const serverSide = server?.kind === 'pod'
    ? [engine.cluster.podById.get(server.pod.id) === server.pod ? token(server.pod) : JSON.stringify(server), engine.set.selecting(server.pod).map(token)]
    : [JSON.stringify(server ?? null)];
  const ns = [...engine.cluster.namespaces.values()].map((n) => [n.name, n.labels]);
  const nodes = engine.cluster.nodes.map((n) => [n.name, n.ips, n.labels]);
  return JSON.stringify([dests.map((d) => [d.ip, d.port, d.upstream, d.upstreamPort]), serverSide, ns, nodes]);
}

/** Whether a policy selecting the pod has an egress rule with L7 DNS rules: without one, none of its lookups is proxied. */
function egressDnsRules(policies: readonly Policy[]): boolean {
  return policies.some((p) => p.rules.some((r) => r.direction === 'egress' && r.dns !== undefined));
}

function classRules(engine: Engine, pod: PodInfo, dests: readonly Destination[]): ClassRules {
  const policies = engine.set.selecting(pod);
  const dns = egressDnsRules(policies) ? podDns(engine, pod, dests) : [];
  return { policies, dns, ...(dns.length > 0 ? podFqdns(policies) : { grants: [], notes: [] }) };
}

/**
 * The DNS proxy's rules for `node`: for each of its pods, the DNS flows a policy's L7 DNS rule covers
 * (decided by the engine exactly as `policy trace` decides them) and its toFQDNs selectors. Empty when
 * enforcement is off (no L7 proxy then, as Cilium with policy enforcement `never`).
 *
 * @example
 * const rules = proxyRules(buildEngine(objects), { node: 'node1', revision: 7, enforcement: 'podwall' });
 * rules.pods['10.244.0.2']?.dns[0]?.patterns // [{ matchPattern: '*' }]
 */
export function proxyRules(engine: Engine, opts: ProxyRulesOptions): ProxyRules {
  const base: ProxyRules = { version: 1, node: opts.node, revision: opts.revision, listeners: [], pods: {}, notes: [] };
  const hasDnsRule = engine.policies.some((p) => p.rules.some((r) => r.dns !== undefined));
  if (opts.enforcement === 'none' || !hasDnsRule) return base;
  const dests = destinations(engine);
  const memo = opts.classOf ? opts.memo ?? new ProxyRulesMemo() : null;
  if (memo) {
    const context = memoContext(engine, dests);
    if (context !== memo.context) memo.byClass.clear();
    memo.context = context;
  }
  const seen = new Map<string, ClassRules>();
  const pods: Record<string, PodRules> = {};
  const used = new Set<string>();
  for (const pod of engine.cluster.pods) {
    if (pod.node !== opts.node || pod.hostNetwork || !pod.ips[0]) continue;
    const cls = opts.classOf?.(pod);
    let r = cls === undefined ? undefined : seen.get(cls);
    if (!r && cls !== undefined && memo) {
      const m = memo.byClass.get(cls);
      if (m && m.policies === engine.set.selecting(pod)) r = m;
    }
    r ??= classRules(engine, pod, dests);
    if (cls !== undefined) seen.set(cls, r);
    if (r.dns.length === 0) continue;
    for (const d of r.dns) used.add(key(d.destination, d.destinationPort));
    for (const n of r.notes) base.notes.push(`${pod.id}: ${n}`);
    pods[pod.ips[0]] = { pod: pod.id, dns: r.dns, fqdns: r.grants };
  }
  if (memo) memo.byClass = seen;
  const listeners = allocate(dests.filter((d) => used.has(key(d.ip, d.port))), opts.prev?.listeners ?? []);
  const served = new Set(listeners.map((l) => key(l.destination, l.destinationPort)));
  for (const r of Object.values(pods)) r.dns = r.dns.filter((d) => served.has(key(d.destination, d.destinationPort)));
  return { ...base, listeners, pods };
}
