import { BitSet } from './bitset.js';
import { podNamespace, type PodInfo, type Protocol } from './cluster.js';
import { podEndpoint, type Endpoint } from './endpoint.js';
import type { Engine } from './engine.js';
import { evaluate, type Decision } from './evaluate.js';
import { peerMatches, portsMatch } from './match.js';
import { podClasses, type PodClasses } from './pod-classes.js';
import type { Direction, Peer, Policy, Rule } from './policy.js';

export interface PortProto {
  port: number;
  protocol: Protocol;
}

/** Verdicts of every ordered pod pair for one port/protocol. */
export interface Matrix extends PortProto {
  pods: readonly PodInfo[];
  classes: PodClasses;
  allowed(src: number, dst: number): boolean;
  /** The full explanation (computed on class representatives, cached per class pair). */
  decision(src: number, dst: number): Decision;
}

/** Bits over classes: which classes a peer matches, interned by the peer's canonical text. */
class PeerBits {
  private readonly cache = new Map<string, BitSet>();
  private readonly eps: Endpoint[];
  constructor(private readonly engine: Engine, private readonly classes: PodClasses) {
    this.eps = classes.reps.map(podEndpoint);
  }

  private candidates(peer: Peer): Iterable<number> {
    const all = () => this.classes.reps.keys();
    if (peer.type === 'k8s-pods') {
      if (!peer.namespaces) return this.classes.byNamespace.get(peer.namespace) ?? [];
      const out: number[] = [];
      for (const [ns, list] of this.classes.byNamespace) {
        if (peer.namespaces.matches(podNamespace(this.engine.cluster, this.classes.reps[list[0]!]!).labels)) out.push(...list);
        void ns;
      }
      return out;
    }
    if (peer.type === 'cilium-endpoints' && peer.namespace !== undefined) return this.classes.byNamespace.get(peer.namespace) ?? [];
    return all();
  }

  bits(peer: Peer): BitSet {
    const key = `${peer.type}|${'namespace' in peer ? peer.namespace ?? '*' : ''}|${peer.text}`;
    let b = this.cache.get(key);
    if (!b) {
      const n = this.classes.reps.length;
      if (peer.type === 'any') b = BitSet.full(n);
      else {
        b = new BitSet(n);
        for (const c of this.candidates(peer)) {
          if (peerMatches(peer, this.eps[c]!, this.classes.reps[c]!, this.engine.dns)) b.set(c);
        }
      }
      this.cache.set(key, b);
    }
    return b;
  }

  ruleBits(rule: Rule): BitSet {
    const b = new BitSet(this.classes.reps.length);
    for (const p of rule.peers) b.or(this.bits(p));
    return b;
  }
}

/** Column sets to row sets: out[s] has d when sets[d] has s. */
function transpose(sets: readonly BitSet[], n: number): BitSet[] {
  const out = Array.from({ length: n }, () => new BitSet(n));
  sets.forEach((set, d) => {
    const w = set.words;
    for (let k = 0; k < w.length; k++) {
      let x = w[k]!;
      while (x !== 0) {
        out[(k << 5) + (31 - Math.clz32(x & -x))]!.set(d);
        x &= x - 1;
      }
    }
  });
  return out;
}

function rulesOf(policies: readonly Policy[], dir: Direction) {
  return policies.flatMap((p) => p.rules.filter((r) => r.direction === dir));
}

/**
 * Build the matrix on pod equivalence classes: per class, the allowed peer classes of its ingress and
 * egress as bit sets (unions of rule bit sets), then pod rows per source class. Agrees with `evaluate`
 * pair by pair; a pod to itself is always allowed.
 */
export function buildMatrix(engine: Engine, pp: PortProto): Matrix {
  const { cluster, set } = engine;
  const classes = podClasses(cluster, engine.policies, pp.port, pp.protocol);
  const n = classes.reps.length;
  const peers = new PeerBits(engine, classes);
  const ruleCache = new Map<Rule, BitSet>();
  const ruleBits = (r: Rule) => {
    let b = ruleCache.get(r);
    if (!b) ruleCache.set(r, (b = peers.ruleBits(r)));
    return b;
  };
  const eps = classes.reps.map(podEndpoint);
  const portOk = (r: Rule, dst: number) => portsMatch(r.ports, pp.port, pp.protocol, eps[dst]!);

  // Ingress of class d: which source classes it admits.
  const inAllowed = classes.reps.map((rep, d) => {
    const policies = set.selecting(rep);
    const rules = rulesOf(policies, 'ingress').filter((r) => portOk(r, d));
    const isolated = policies.some((p) => p.isolates.ingress);
    const allow = isolated ? new BitSet(n) : BitSet.full(n);
    if (isolated) for (const r of rules) if (r.action === 'allow') allow.or(ruleBits(r));
    for (const r of rules) if (r.action === 'deny') allow.andNot(ruleBits(r));
    return allow;
  });
  // A rule's peers limited to the destination classes its ports admit, once per rule: only named
  // ports depend on the destination, other port conditions admit all classes or none.
  const maskedCache = new Map<Rule, BitSet>();
  const masked = (r: Rule) => {
    let b = maskedCache.get(r);
    if (b) return b;
    if (r.ports === null || !r.ports.some((p) => p.name !== undefined)) {
      b = portOk(r, 0) ? ruleBits(r) : new BitSet(n);
    } else {
      b = ruleBits(r).clone();
      for (let d = 0; d < n; d++) if (b.has(d) && !portOk(r, d)) b.words[d >>> 5]! &= ~(1 << (d & 31));
    }
    maskedCache.set(r, b);
    return b;
  };
  // Egress of class s: which destination classes it may reach.
  const outAllowed = classes.reps.map((rep) => {
    const policies = set.selecting(rep);
    const rules = rulesOf(policies, 'egress');
    const isolated = policies.some((p) => p.isolates.egress);
    const allow = isolated ? new BitSet(n) : BitSet.full(n);
    if (isolated) for (const r of rules) if (r.action === 'allow') allow.or(masked(r));
    for (const r of rules) if (r.action === 'deny') allow.andNot(masked(r));
    return allow;
  });
  // Class rows: s reaches d when s's egress admits d and d's ingress admits s (ingress sets transposed).
  // Pairs with a host-network class (the node itself, whose host/remote-node role depends on the other
  // end) are evaluated one by one.
  const pods = cluster.pods;
  const classOf = classes.classOf;
  const inT = transpose(inAllowed, n);
  const rows = outAllowed.map((out, s) => {
    out.and(inT[s]!);
    return out;
  });
  const hostNet = classes.reps.flatMap((r, c) => (r.hostNetwork ? [c] : []));
  for (const h of hostNet) {
    for (let c = 0; c < n; c++) {
      for (const [s, d] of [[h, c], [c, h]] as const) {
        if (evaluate(set, { src: eps[s]!, dst: eps[d]!, ...pp }, engine.dns).allowed) rows[s]!.set(d);
        else rows[s]!.clear(d);
      }
    }
  }
  return {
    ...pp, pods, classes,
    allowed: (i, j) => i === j || rows[classOf[i]!]!.has(classOf[j]!),
    // Explanations name the actual pods, so they are evaluated on them (the verdict is the matrix's).
    decision: (i, j) => {
      const d = evaluate(set, { src: podEndpoint(pods[i]!), dst: podEndpoint(pods[j]!), ...pp }, engine.dns);
      return i === j && !d.allowed ? { ...d, allowed: true, reason: 'same-pod' } : d;
    },
  };
}
