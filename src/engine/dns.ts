import type { DnsAnswers } from '../api/hosts.js';
import { normalizeName } from '../fqdn/pattern.js';
import type { Cluster, PodInfo, Protocol } from './cluster.js';
import { endpointText, podEndpoint, type Endpoint } from './endpoint.js';
import { evaluate, type Decision, type PolicySet } from './evaluate.js';
import type { MatchContext } from './match.js';

export const KUBE_DNS_IP = '10.96.0.10';

/**
 * What became of one lookup by one pod:
 * - `learned`: allowed, seen by the DNS proxy (an L7 DNS rule covers it), answers feed toFQDNs selectors;
 * - `resolved`: allowed but not proxied (no L7 DNS rule applies), so toFQDNs learns nothing;
 * - `refused`: the proxy refused the name (no DNS rule pattern matches);
 * - `dropped`: policy dropped the DNS packet itself;
 * - `no-answer`: the name has no address in the answers.
 */
export type LookupStatus = 'learned' | 'resolved' | 'refused' | 'dropped' | 'no-answer';

export interface LookupOutcome {
  name: string;
  status: LookupStatus;
  ips: string[];
  /** The DNS request as a flow decision (pod → cluster DNS, 53/UDP). */
  decision?: Decision;
  server: string;
}

/** The cluster DNS backend: kube-system/kube-dns's first backend pod, or an implicit one at 10.96.0.10. */
export function dnsServer(cluster: Cluster): { endpoint: Endpoint; port: number; protocol: Protocol } {
  const svc = cluster.services.find((s) => s.namespace === 'kube-system' && s.name === 'kube-dns');
  const sel = svc?.selector;
  const backend = sel
    ? cluster.pods.find((p) => p.namespace === 'kube-system' && Object.entries(sel).every(([k, v]) => p.labels[k] === v))
    : undefined;
  if (svc && backend) {
    const sp = svc.ports.find((p) => p.port === 53 && p.protocol === 'UDP');
    const target = sp?.targetPort ?? 53;
    const port = typeof target === 'number' ? target : backend.namedPorts.find((n) => n.name === target)?.port ?? 53;
    return { endpoint: podEndpoint(backend), port, protocol: 'UDP' };
  }
  const implicit: PodInfo = {
    id: 'kube-system/kube-dns', namespace: 'kube-system', name: 'kube-dns', labels: { 'k8s-app': 'kube-dns' },
    ips: [KUBE_DNS_IP], hostNetwork: false, serviceAccount: 'coredns', namedPorts: [], declaredPorts: [],
  };
  return { endpoint: podEndpoint(implicit), port: 53, protocol: 'UDP' };
}

const NO_FQDN: Omit<MatchContext, 'cluster'> = { learnedNames: () => [] };

/**
 * DNS knowledge for toFQDNs: which names each pod looked up, what policy made of each lookup, and so
 * which (name, IP) pairs the DNS proxy learned for the pod. Only proxied, allowed lookups teach anything.
 */
export class DnsKnowledge implements MatchContext {
  private readonly outcomes = new Map<PodInfo, Map<string, LookupOutcome>>();
  private readonly learned = new Map<PodInfo, Map<string, string[]>>();

  constructor(
    readonly cluster: Cluster,
    private readonly set: PolicySet,
    private readonly answers: DnsAnswers,
    /** The names a pod looked up; by default every name of the answers. */
    private readonly lookups: (pod: PodInfo) => Iterable<string> = () => answers.keys(),
  ) {}

  outcome(pod: PodInfo, name: string): LookupOutcome {
    const key = normalizeName(name);
    let perPod = this.outcomes.get(pod);
    if (!perPod) this.outcomes.set(pod, (perPod = new Map()));
    let out = perPod.get(key);
    if (!out) perPod.set(key, (out = this.decide(pod, key)));
    return out;
  }

  private decide(pod: PodInfo, name: string): LookupOutcome {
    const server = dnsServer(this.cluster);
    const ips = this.answers.get(name) ?? [];
    const decision = evaluate(this.set, { src: podEndpoint(pod), dst: server.endpoint, ...server }, { cluster: this.cluster, ...NO_FQDN });
    const base = { name, ips, decision, server: `${endpointText(server.endpoint)} (${server.endpoint.ip})` };
    if (!decision.allowed) return { ...base, status: 'dropped' };
    const rules = decision.egress.allowedBy.map((h) => h.rule);
    const proxied = rules.some((r) => r.dns !== undefined);
    if (!proxied) return { ...base, status: ips.length ? 'resolved' : 'no-answer' };
    // An allowing rule without L7 DNS rules on an explicit port acts as a wildcard DNS rule (Cilium merges L7 rules per port).
    const nameOk = rules.some((r) => (r.dns ?? []).some((m) => m.matches(name)) || (r.dns === undefined && r.ports !== null));
    if (!nameOk) return { ...base, status: 'refused' };
    return { ...base, status: ips.length ? 'learned' : 'no-answer' };
  }

  private learnedFor(pod: PodInfo): Map<string, string[]> {
    let byIp = this.learned.get(pod);
    if (!byIp) {
      byIp = new Map();
      for (const name of this.lookups(pod)) {
        const o = this.outcome(pod, name);
        if (o.status !== 'learned') continue;
        for (const ip of o.ips) byIp.set(ip, [...(byIp.get(ip) ?? []), o.name]);
      }
      this.learned.set(pod, byIp);
    }
    return byIp;
  }

  learnedNames(pod: PodInfo, ip: string): readonly string[] {
    return this.learnedFor(pod).get(ip) ?? [];
  }

  /** Names whose answers include `ip` (for showing world endpoints by name). */
  namesOf(ip: string): string[] {
    return [...this.answers.entries()].filter(([, ips]) => ips.includes(ip)).map(([n]) => n);
  }
}
