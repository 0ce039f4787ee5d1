import { BitSet } from '../engine/bitset.js';
import type { PodInfo, Protocol } from '../engine/cluster.js';
import { isLocalNode, type Endpoint } from '../engine/endpoint.js';
import type { Engine } from '../engine/engine.js';
import { peerMatches, portMatches, type MatchContext } from '../engine/match.js';
import type { Direction, Peer, Policy, Rule } from '../engine/policy.js';
import type { Identities, Identity } from './identity.js';
import type { ProtocolRanges } from './ports.js';

/**
 * One side (egress or ingress) of one local pod class, decided for every peer identity, protocol and
 * port range at once: `allowed[protocol][range]` has bit `id` set when the side lets the flow pass.
 */
export interface SideTable {
  subject: number;
  direction: Direction;
  allowed: BitSet[][];
  /** Every peer, protocol and port allowed: the id goes into the `*_open` set instead. */
  open: boolean;
}

/**
 * toFQDNs peers match nothing here: the DNS proxy adds what it learns at run time (the `fqdn` set),
 * so the compiled rules never depend on DNS answers the engine may have been given.
 */
const noDns = (engine: Engine): MatchContext => ({ cluster: engine.cluster, learnedNames: () => [] });

function peerKey(peer: Peer): string {
  if (peer.type === 'cidr') return `cidr|${peer.cidr.text}|${peer.except.map((e) => e.text).sort().join(',')}|${peer.selectsCluster}`;
  return `${peer.type}|${'namespace' in peer ? peer.namespace ?? '*' : ''}|${peer.text}`;
}

/** Which identities each peer matches, as bits; interned by the peer's canonical text (as matrix.ts does). */
export class PeerBits {
  private readonly cache = new Map<string, BitSet>();
  private readonly ruleCache = new Map<Rule, Map<string, BitSet>>();
  private readonly pods: Identity[];
  private readonly podsByNs = new Map<string, Identity[]>();
  private readonly ctx: MatchContext;
  constructor(engine: Engine, private readonly ids: Identities) {
    this.ctx = noDns(engine);
    this.pods = ids.list.filter((i) => i.kind === 'pod');
    for (const i of this.pods) {
      const ns = (i.rep as Extract<Endpoint, { kind: 'pod' }>).pod.namespace;
      this.podsByNs.set(ns, [...(this.podsByNs.get(ns) ?? []), i]);
    }
  }

  private candidates(peer: Peer): Identity[] {
    if (peer.type === 'k8s-pods') return peer.namespaces ? this.pods : this.podsByNs.get(peer.namespace) ?? [];
    if (peer.type === 'cilium-endpoints' && peer.namespace !== undefined) return this.podsByNs.get(peer.namespace) ?? [];
    return this.ids.list;
  }

  /** `flavor` names how the subject sees the nodes (host or remote), the only thing peers read from it. */
  bits(peer: Peer, subject: PodInfo, flavor: string): BitSet {
    const key = `${flavor}\u0000${peerKey(peer)}`;
    let b = this.cache.get(key);
    if (!b) {
      b = new BitSet(this.ids.maxId + 1);
      for (const i of this.candidates(peer)) if (peerMatches(peer, i.rep, subject, this.ctx)) b.set(i.id);
      this.cache.set(key, b);
    }
    return b;
  }

  ruleBits(rule: Rule, subject: PodInfo, flavor: string): BitSet {
    let byFlavor = this.ruleCache.get(rule);
    if (!byFlavor) this.ruleCache.set(rule, (byFlavor = new Map()));
    let b = byFlavor.get(flavor);
    if (!b) {
      b = new BitSet(this.ids.maxId + 1);
      for (const p of rule.peers) b.or(this.bits(p, subject, flavor));
      byFlavor.set(flavor, b);
    }
    return b;
  }
}

/** Pod identities whose pods declare `name` as `port`/`protocol` (named ports resolve through the destination). */
export class NamedPortBits {
  private readonly cache = new Map<string, BitSet>();
  constructor(private readonly ids: Identities) {}
  bits(name: string, protocol: Protocol, port: number): BitSet {
    const key = `${name}/${protocol}/${port}`;
    let b = this.cache.get(key);
    if (!b) {
      b = new BitSet(this.ids.maxId + 1);
      for (const i of this.ids.list) {
        if (i.rep.kind === 'pod' && i.rep.pod.namedPorts.some((n) => n.name === name && n.port === port && n.protocol === protocol)) b.set(i.id);
      }
      this.cache.set(key, b);
    }
    return b;
  }
}

/**
 * The identities a rule reaches for one protocol and port: its peers, limited by its port conditions.
 * Only named ports at egress depend on the peer (the destination); elsewhere a condition admits all
 * peers or none. null: the rule does not apply.
 */
export function ruleMask(
  rule: Rule, dir: Direction, protocol: Protocol, port: number, subject: Endpoint, peers: BitSet, named: NamedPortBits,
): BitSet | null {
  if (rule.ports === null) return peers;
  let all = false;
  let byName: BitSet | null = null;
  for (const pm of rule.ports) {
    if (!pm.protocols.includes(protocol)) continue;
    if (pm.name !== undefined && !pm.range && dir === 'egress') {
      byName = byName ?? new BitSet(peers.size);
      byName.or(named.bits(pm.name, protocol, port));
    } else if (portMatches(pm, port, protocol, subject)) {
      all = true;
      break;
    }
  }
  if (all) return peers;
  if (!byName) return null;
  const b = peers.clone();
  b.and(byName);
  return b;
}

/** What deciding the sides of one pass shares: peer and named-port bits are interned across subjects. */
export interface SideContext {
  engine: Engine;
  ids: Identities;
  ranges: readonly ProtocolRanges[];
  peers: PeerBits;
  named: NamedPortBits;
  nodes: Identity[];
  full: BitSet;
  n: number;
}

export function sideContext(engine: Engine, ids: Identities, ranges: readonly ProtocolRanges[], only?: readonly Identity[]): SideContext {
  const n = ids.maxId + 1;
  const full = BitSet.full(n);
  full.clear(0);
  // Built on first use: an incremental pass that recomputes no subject needs no peer bits.
  let peers: PeerBits | undefined;
  return {
    engine, ids, ranges, n, full,
    get peers() {
      return (peers ??= new PeerBits(engine, only ? { ...ids, list: [...only] } : ids));
    },
    named: new NamedPortBits(ids),
    nodes: ids.list.filter((i) => i.kind === 'host' || i.kind === 'remote'),
  };
}

/** How one local pod class sees the policies: what its side's verdicts depend on, besides the peers. */
export interface SubjectView {
  pod: PodInfo;
  policies: readonly Policy[];
  isolated: boolean;
  rules: Rule[];
  ownNodes: BitSet;
  flavor: string;
}

export function subjectView(ctx: SideContext, ident: Identity, dir: Direction): SubjectView {
  const pod = (ident.rep as Extract<Endpoint, { kind: 'pod' }>).pod;
  const policies = ctx.engine.set.selecting(pod);
  const isolated = policies.some((p) => p.isolates[dir]);
  const rules = policies.flatMap((p) => p.rules.filter((r) => r.direction === dir));
  const ownNodes = new BitSet(ctx.n);
  for (const node of ctx.nodes) if (isLocalNode(node.rep, pod)) ownNodes.set(node.id);
  const flavor = ctx.nodes.map((node) => (ownNodes.has(node.id) ? '1' : '0')).join('');
  return { pod, policies, isolated, rules, ownNodes, flavor };
}

/** The peers each of the subject's rules names, as bits (only over `ctx`'s identities). */
export function ruleBitsOf(ctx: SideContext, v: SubjectView): BitSet[] {
  return v.rules.map((r) => ctx.peers.ruleBits(r, v.pod, v.flavor));
}

/**
 * What a side table holds: `allowed`, the flows the side lets pass; `denied`, the flows an explicit
 * deny rule refuses (the `egress_deny` set, looked up before the DNS proxy's toFQDNs addresses).
 */
export type TableKind = 'allowed' | 'denied';

/**
 * Decide one side of one local pod class with the engine's semantics (evaluate.ts `side`): explicit
 * deny first, then the node's own traffic at ingress (a pod cannot block its node), then allow rules,
 * then no isolation. `open` when nothing is ever refused. With `kind` `denied`: only what the deny
 * rules refuse (never open).
 */
export function subjectTable(ctx: SideContext, ident: Identity, dir: Direction, v: SubjectView = subjectView(ctx, ident, dir), kind: TableKind = 'allowed'): SideTable {
  if (kind === 'denied') return deniedTable(ctx, ident, dir, v);
  const { n, full } = ctx;
  const ruleBits = ruleBitsOf(ctx, v);
  let open = true;
  const allowed = ctx.ranges.map(({ protocol, ranges: list }) => list.map(({ from: port }) => {
    const allow = v.isolated ? new BitSet(n) : full.clone();
    const deny = new BitSet(n);
    v.rules.forEach((r, k) => {
      const m = ruleMask(r, dir, protocol, port, ident.rep, ruleBits[k]!, ctx.named);
      if (m) (r.action === 'deny' ? deny : allow).or(m);
    });
    if (dir === 'ingress') allow.or(v.ownNodes);
    allow.andNot(deny);
    allow.clear(0);
    if (open && !sameBits(allow, full)) open = false;
    return allow;
  }));
  return { subject: ident.id, direction: dir, allowed, open };
}

/** The flows the subject's deny rules refuse; a subject without deny rules shares one empty bit set (never written: patches clone). */
function deniedTable(ctx: SideContext, ident: Identity, dir: Direction, v: SubjectView): SideTable {
  const denies = v.rules.some((r) => r.action === 'deny');
  const none = new BitSet(ctx.n);
  const ruleBits = denies ? ruleBitsOf(ctx, v) : [];
  const allowed = ctx.ranges.map(({ protocol, ranges: list }) => list.map(({ from: port }) => {
    if (!denies) return none;
    const deny = new BitSet(ctx.n);
    v.rules.forEach((r, k) => {
      if (r.action !== 'deny') return;
      const m = ruleMask(r, dir, protocol, port, ident.rep, ruleBits[k]!, ctx.named);
      if (m) deny.or(m);
    });
    deny.clear(0);
    return deny;
  }));
  return { subject: ident.id, direction: dir, allowed, open: false };
}

/** Every local pod class's side (`subjectTable`), in id order. */
export function sideTables(engine: Engine, ids: Identities, ranges: readonly ProtocolRanges[], dir: Direction): SideTable[] {
  const ctx = sideContext(engine, ids, ranges);
  return ids.list.filter(isLocalPod).map((ident) => subjectTable(ctx, ident, dir));
}

export const isLocalPod = (i: Identity) => i.kind === 'pod' && i.local && i.rep.kind === 'pod';

function sameBits(a: BitSet, b: BitSet): boolean {
  for (let i = 0; i < a.words.length; i++) if (a.words[i] !== b.words[i]) return false;
  return true;
}
