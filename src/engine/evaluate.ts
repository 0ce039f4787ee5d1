import { podNamespace, type Cluster, type PodInfo, type Protocol } from './cluster.js';
import { endpointText, isLocalNode, type Endpoint } from './endpoint.js';
import { peerMatches, portsMatch, selectsPod, type MatchContext } from './match.js';
import type { Direction, Origin, Peer, Policy, Rule } from './policy.js';

export interface Flow {
  src: Endpoint;
  dst: Endpoint;
  port: number;
  protocol: Protocol;
}

/** Why one side (egress of the source, ingress of the destination) let a flow pass or dropped it. */
export const SIDE_REASONS = [
  'not-a-pod', 'no-policy-selects', 'allowed-by-rule', 'default-deny', 'explicit-deny', 'host-local', 'same-pod',
] as const;
export type SideReason = (typeof SIDE_REASONS)[number];

/** A rule that matched, with the peer that matched it. */
export interface RuleHit {
  origin: Origin;
  rule: Rule;
  peer: Peer;
}

export interface SideVerdict {
  direction: Direction;
  /** The pod whose policies were consulted; null when that end is not a pod. */
  subject: string | null;
  allowed: boolean;
  reason: SideReason;
  selectedBy: Origin[];
  isolatedBy: Origin[];
  allowedBy: RuleHit[];
  deniedBy: RuleHit[];
}

export interface Decision {
  allowed: boolean;
  /** The deciding side's reason: the egress side's when it drops, else the ingress side's. */
  reason: SideReason;
  egress: SideVerdict;
  ingress: SideVerdict;
}

/** The policies and cluster an evaluation runs against, with per-pod policy lists cached. */
export class PolicySet {
  private readonly byPod = new Map<PodInfo, Policy[]>();
  /** Pod policies by namespace (CNP, NetworkPolicy) and cluster-wide ones under `null`, in input order. */
  private readonly byNamespace = new Map<string | null, Policy[]>();
  private readonly order = new Map<Policy, number>();
  /** An earlier set with the same cluster-wide policies: its lists still hold where a namespace is unchanged. */
  private earlier: PolicySet | null;
  private readonly namespaceSame = new Map<string, boolean>();

  /**
   * `previous`: the set of an earlier build. A pod that is the same object there (unchanged, see
   * cluster.ts), in a namespace with the same labels and the same policies (the same objects, as the
   * agent's policy cache keeps them), and with the same cluster-wide policies, is selected by what selected it there.
   */
  constructor(readonly cluster: Cluster, readonly policies: readonly Policy[], previous?: PolicySet) {
    policies.forEach((p, i) => {
      if (p.subject.type !== 'pods') return; // node policies never select pods
      const key = p.subject.namespace ?? null;
      const list = this.byNamespace.get(key) ?? [];
      list.push(p);
      this.byNamespace.set(key, list);
      this.order.set(p, i);
    });
    this.earlier = previous && sameList(previous.byNamespace.get(null), this.byNamespace.get(null)) ? previous : null;
    // One step back only: a chain of earlier sets would keep every earlier cluster alive.
    if (previous) previous.earlier = null;
  }

  /** The policies that select `pod`, in input order. Only its namespace's and cluster-wide policies can. */
  selecting(pod: PodInfo): Policy[] {
    const known = this.byPod.get(pod);
    if (known) return known;
    let list = this.fromEarlier(pod);
    if (!list) {
      const local = (this.byNamespace.get(pod.namespace) ?? []).filter((p) => selectsPod(p, pod, this.cluster));
      const global = (this.byNamespace.get(null) ?? []).filter((p) => selectsPod(p, pod, this.cluster));
      list = global.length === 0 ? local : [...local, ...global].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    }
    this.byPod.set(pod, list);
    return list;
  }

  private fromEarlier(pod: PodInfo): Policy[] | undefined {
    const list = this.earlier?.byPod.get(pod);
    if (!list) return undefined;
    let same = this.namespaceSame.get(pod.namespace);
    if (same === undefined) {
      const before = this.earlier!;
      same = sameList(before.byNamespace.get(pod.namespace), this.byNamespace.get(pod.namespace))
        && sameLabels(podNamespace(before.cluster, pod).labels, podNamespace(this.cluster, pod).labels);
      this.namespaceSame.set(pod.namespace, same);
    }
    return same ? list : undefined;
  }
}

function sameList<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function hits(policies: readonly Policy[], dir: Direction, action: 'allow' | 'deny', peer: Endpoint, subject: PodInfo, flow: Flow, ctx: MatchContext): RuleHit[] {
  const out: RuleHit[] = [];
  for (const policy of policies) {
    for (const rule of policy.rules) {
      if (rule.direction !== dir || rule.action !== action) continue;
      if (!portsMatch(rule.ports, flow.port, flow.protocol, flow.dst)) continue;
      const p = rule.peers.find((x) => peerMatches(x, peer, subject, ctx));
      if (p) out.push({ origin: policy.origin, rule, peer: p });
    }
  }
  return out;
}

function side(set: PolicySet, dir: Direction, flow: Flow, ctx: MatchContext): SideVerdict {
  const subjectEp = dir === 'egress' ? flow.src : flow.dst;
  const peer = dir === 'egress' ? flow.dst : flow.src;
  const base = { direction: dir, selectedBy: [] as Origin[], isolatedBy: [] as Origin[], allowedBy: [] as RuleHit[], deniedBy: [] as RuleHit[] };
  if (subjectEp.kind !== 'pod' || subjectEp.pod.hostNetwork) {
    return { ...base, subject: null, allowed: true, reason: 'not-a-pod' };
  }
  const subject = subjectEp.pod;
  const policies = set.selecting(subject);
  const selectedBy = policies.map((p) => p.origin);
  const isolatedBy = policies.filter((p) => p.isolates[dir]).map((p) => p.origin);
  const v = { ...base, subject: subject.id, selectedBy, isolatedBy };
  if (peer.kind === 'pod' && peer.pod === subject) return { ...v, allowed: true, reason: 'same-pod' };
  const deniedBy = hits(policies, dir, 'deny', peer, subject, flow, ctx);
  if (deniedBy.length > 0) return { ...v, deniedBy, allowed: false, reason: 'explicit-deny' };
  // A pod cannot block its own node (kubelet probes): Kubernetes docs "What you can't do", Cilium allow-localhost.
  if (dir === 'ingress' && isLocalNode(peer, subject)) return { ...v, allowed: true, reason: 'host-local' };
  // Allow rules count even without isolation (Cilium enableDefaultDeny: false still installs them, L7 DNS included).
  const allowedBy = hits(policies, dir, 'allow', peer, subject, flow, ctx);
  if (allowedBy.length > 0) return { ...v, allowedBy, allowed: true, reason: 'allowed-by-rule' };
  if (isolatedBy.length === 0) return { ...v, allowed: true, reason: 'no-policy-selects' };
  return { ...v, allowed: false, reason: 'default-deny' };
}

/**
 * Decide a flow: the source's egress and the destination's ingress must both allow it; explicit deny
 * rules win over any allow. Replies of allowed connections are not flows of their own.
 *
 * @example
 * const d = evaluate(set, { src, dst, port: 80, protocol: 'TCP' }, ctx);
 * d.allowed; d.egress.reason; d.ingress.allowedBy[0]?.origin.name
 */
export function evaluate(set: PolicySet, flow: Flow, ctx: MatchContext): Decision {
  const egress = side(set, 'egress', flow, ctx);
  const ingress = side(set, 'ingress', flow, ctx);
  const allowed = egress.allowed && ingress.allowed;
  return { allowed, reason: overallReason(egress, ingress), egress, ingress };
}

function overallReason(egress: SideVerdict, ingress: SideVerdict): SideReason {
  if (!egress.allowed) return egress.reason;
  if (!ingress.allowed) return ingress.reason;
  for (const r of ['same-pod', 'allowed-by-rule', 'host-local'] as const) {
    if (egress.reason === r || ingress.reason === r) return r;
  }
  return ingress.subject !== null ? ingress.reason : egress.reason;
}

export function flowText(f: Flow): string {
  return `${endpointText(f.src)} -> ${endpointText(f.dst)} ${f.port}/${f.protocol}`;
}
