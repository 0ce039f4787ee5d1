import type { PodInfo } from '../src/engine/cluster.js';
import { podEndpoint } from '../src/engine/endpoint.js';
import type { Engine } from '../src/engine/engine.js';
import { peerMatches, selectsPod, type MatchContext } from '../src/engine/match.js';
import type { Direction, Peer, PortMatch } from '../src/engine/policy.js';
import { cidrContainsIp, parseCidr } from '../src/shared/ip.js';

/**
 * The same policies compiled the naive way, as Azure NPM and kube-router do: one nft rule per
 * (policy, rule, peer) in one linear chain per direction, after the same `ct state established,related
 * accept`. Pod selectors become address lists (their ipsets), subjects the node's selected pods.
 * Only what bench:dataplane's cluster uses is supported (NetworkPolicy pod, namespace and ipBlock peers,
 * numeric ports); anything else throws.
 */

/** An address match: a list of /32s (pods) or one CIDR with its excepts. */
type Addr = { ips: string[] } | { cidr: string; except: string[] };

export interface NaiveRule {
  direction: Direction;
  policy: string;
  /** Local pods the policy selects (the rule's subject side). */
  subjects: string[];
  peer: Addr;
  /** null: every port and protocol. */
  ports: { proto: 'tcp' | 'udp'; ranges: [number, number][] } | null;
}

export interface NaiveChain {
  table: string;
  rules: NaiveRule[];
  /** Local pods isolated per direction (dropped at the end of that direction's chain). */
  isolated: Record<Direction, string[]>;
}

/** Matches nothing in the lab (TEST-NET-1): stands in for an empty ipset so the rule count stays one per peer. */
const NOBODY = '192.0.2.255';

function portsOf(list: readonly PortMatch[] | null): NaiveRule['ports'][] {
  if (list === null) return [null];
  const byProto = new Map<'tcp' | 'udp', [number, number][]>();
  for (const p of list) {
    if (p.name !== undefined) throw new Error('naive chain: named ports are not supported');
    for (const proto of p.protocols) {
      if (proto !== 'TCP' && proto !== 'UDP') throw new Error(`naive chain: protocol ${proto} is not supported`);
      const key = proto === 'TCP' ? 'tcp' : 'udp';
      const range: [number, number] = p.range ? [p.range.from, p.range.to] : [0, 65535];
      byProto.set(key, [...(byProto.get(key) ?? []), range]);
    }
  }
  return [...byProto].map(([proto, ranges]) => ({ proto, ranges }));
}

function addrOf(peer: Peer, subject: PodInfo, engine: Engine, ctx: MatchContext): Addr {
  if (peer.type === 'cidr') return { cidr: peer.cidr.text, except: peer.except.map((e) => e.text) };
  if (peer.type !== 'k8s-pods') throw new Error(`naive chain: peer type ${peer.type} is not supported`);
  const ips = engine.cluster.pods.filter((p) => !p.hostNetwork && p.ips[0] && peerMatches(peer, podEndpoint(p), subject, ctx)).map((p) => p.ips[0]!);
  return { ips };
}

/** The naive rules of `node`, in policy order. */
export function naiveChain(engine: Engine, node: string, table = 'pwnaive'): NaiveChain {
  const ctx: MatchContext = { cluster: engine.cluster, learnedNames: () => [] };
  const local = engine.cluster.pods.filter((p) => p.node === node && !p.hostNetwork && p.ips[0]);
  const rules: NaiveRule[] = [];
  const isolated = { ingress: new Set<string>(), egress: new Set<string>() };
  for (const pol of engine.policies) {
    const selected = local.filter((p) => selectsPod(pol, p, engine.cluster));
    if (selected.length === 0) continue;
    for (const d of ['ingress', 'egress'] as const) if (pol.isolates[d]) for (const p of selected) isolated[d].add(p.ips[0]!);
    const subjects = selected.map((p) => p.ips[0]!);
    for (const rule of pol.rules) {
      if (rule.action !== 'allow') throw new Error('naive chain: deny rules are not supported');
      const name = `${pol.origin.namespace}/${pol.origin.name}`;
      for (const peer of rule.peers) {
        const addr = addrOf(peer, selected[0]!, engine, ctx);
        for (const ports of portsOf(rule.ports)) rules.push({ direction: rule.direction, policy: name, subjects, peer: addr, ports });
      }
    }
  }
  return { table, rules, isolated: { ingress: [...isolated.ingress].sort(), egress: [...isolated.egress].sort() } };
}

function inAddr(a: Addr, ip: string): boolean {
  if ('ips' in a) return a.ips.includes(ip);
  const has = (c: string) => cidrContainsIp(parseCidr(c)!, ip);
  return has(a.cidr) && !a.except.some(has);
}

/** The rules that match a TCP flow, as the kernel would test them (for the bench's self-check). */
export function matchingRules(chain: NaiveChain, src: string, dst: string, port: number): { index: number; rule: NaiveRule }[] {
  const out: { index: number; rule: NaiveRule }[] = [];
  chain.rules.forEach((rule, index) => {
    const [self, other] = rule.direction === 'egress' ? [src, dst] : [dst, src];
    if (!rule.subjects.includes(self) || !inAddr(rule.peer, other)) return;
    if (rule.ports && (rule.ports.proto !== 'tcp' || !rule.ports.ranges.some(([f, t]) => port >= f && port <= t))) return;
    out.push({ index, rule });
  });
  return out;
}

/** Address lists as named sets (one per distinct content, as ipsets are), single addresses inline. */
class AddrSets {
  readonly byKey = new Map<string, { name: string; ips: readonly string[] }>();
  ref(ips: readonly string[]): string {
    if (ips.length === 0) return NOBODY;
    if (ips.length === 1) return ips[0]!;
    const key = ips.join(',');
    let s = this.byKey.get(key);
    if (!s) this.byKey.set(key, (s = { name: `a${this.byKey.size}`, ips }));
    return `@${s.name}`;
  }
}

function addrText(field: 'saddr' | 'daddr', a: Addr, sets: AddrSets): string {
  if ('ips' in a) return `ip ${field} ${sets.ref(a.ips)}`;
  return [`ip ${field} ${a.cidr}`, ...a.except.map((e) => `ip ${field} != ${e}`)].join(' ');
}

function portText(p: NaiveRule['ports']): string {
  if (!p) return '';
  const items = p.ranges.map(([f, t]) => (f === t ? String(f) : `${f}-${t}`));
  return ` ${p.proto} dport ${items.length === 1 ? items[0] : `{ ${items.join(', ')} }`}`;
}

/**
 * nft syntax for the whole table (one transaction; creates the table). Every rule tests the subject
 * first (the policy's pods), then the peer, then the port, as iptables-based implementations order
 * their matches.
 */
export function renderNaive(chain: NaiveChain): string {
  const sets = new AddrSets();
  const body: string[] = [];
  body.push('  chain forward {', '    type filter hook forward priority 0; policy accept;',
    '    ct state established,related accept', '    jump egress', '    jump ingress', '  }');
  for (const d of ['egress', 'ingress'] as const) {
    const [self, other] = d === 'egress' ? (['saddr', 'daddr'] as const) : (['daddr', 'saddr'] as const);
    body.push(`  chain ${d} {`);
    for (const r of chain.rules) {
      if (r.direction !== d) continue;
      body.push(`    ${addrText(self, { ips: r.subjects }, sets)} ${addrText(other, r.peer, sets)}${portText(r.ports)} ${d === 'egress' ? 'return' : 'accept'}`);
    }
    if (chain.isolated[d].length > 0) body.push(`    ip ${self} ${sets.ref(chain.isolated[d])} drop`);
    body.push('  }');
  }
  const setLines = [...sets.byKey.values()].map((s) => `  set ${s.name} { type ipv4_addr; elements = { ${s.ips.join(', ')} } }`);
  return `table inet ${chain.table} {\n${[...setLines, ...body].join('\n')}\n}\n`;
}

/** How many rules and named sets `renderNaive` makes. */
export function naiveSize(text: string): { rules: number; sets: number } {
  const lines = text.split('\n');
  return { rules: lines.filter((l) => /(accept|return|drop)$/.test(l.trim()) && !l.includes('ct state')).length, sets: lines.filter((l) => l.trim().startsWith('set ')).length };
}
