import type { LabelSelector } from '../../api/types.js';
import type { Cluster, PodInfo } from '../cluster.js';
import { dnsServer } from '../dns.js';
import { podEndpoint } from '../endpoint.js';
import { evaluate, PolicySet, type Decision, type Flow } from '../evaluate.js';
import { selectsPod } from '../match.js';
import { ciliumKey } from '../normalize-cilium.js';
import type { Rule } from '../policy.js';
import { decisionSentence } from '../reason.js';
import { podList, valueAt, type LintContext, type LintRule, type LintTarget } from './context.js';
import { podsText } from './messages.js';

/** How a pod's lookups to the cluster DNS fare: what toFQDNs needs is an allowed lookup that an L7 DNS rule proxies. */
type DnsFate = { status: 'dropped'; decision: Decision } | { status: 'unproxied' } | { status: 'proxied'; rules: Rule[] };

function fate(d: Decision): DnsFate {
  if (!d.allowed) return { status: 'dropped', decision: d };
  const rules = d.egress.allowedBy.map((h) => h.rule);
  // Only a rule with L7 DNS rules sends the lookup through Cilium's DNS proxy (Documentation/security/dns.rst).
  return rules.some((r) => r.dns !== undefined) ? { status: 'proxied', rules } : { status: 'unproxied' };
}

/** Whether the proxied DNS rules admit `name`; as DnsKnowledge: a rule without DNS rules on an explicit port is a wildcard. */
function nameAllowed(rules: readonly Rule[], name: string): boolean {
  return rules.some((r) => (r.dns ?? []).some((m) => m.matches(name)) || (r.dns === undefined && r.ports !== null));
}

interface Subject {
  /** Set when judged on a stand-in pod: how to name it. */
  standIn?: string;
  pods: { pod: PodInfo; fate: DnsFate }[];
}

/**
 * With no Pod in the input, lint a stand-in pod carrying the endpointSelector's matchLabels, so a policy file
 * linted on its own still gets the warning. It is evaluated on a copy of the cluster, so the engine stays untouched.
 */
function standIn(ctx: LintContext, t: LintTarget): Subject | null {
  const sel = valueAt(t.object.object, [...t.base, 'endpointSelector']) as LabelSelector | undefined;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) labels[ciliumKey(k)] = String(v);
  const namespace = t.policy.origin.namespace ?? labels['io.kubernetes.pod.namespace'] ?? 'default';
  const pod: PodInfo = {
    id: `${namespace}/(stand-in)`, namespace, name: '(stand-in)', labels, ips: ['192.0.2.1'], hostNetwork: false,
    serviceAccount: 'default', namedPorts: [], declaredPorts: [],
  };
  const cluster: Cluster = { ...ctx.engine.cluster, namespaces: new Map(ctx.engine.cluster.namespaces) };
  if (!selectsPod(t.policy, pod, cluster)) return null;
  const set = new PolicySet(cluster, ctx.engine.policies);
  const server = dnsServer(cluster);
  const d = evaluate(set, { src: podEndpoint(pod), dst: server.endpoint, port: server.port, protocol: server.protocol }, { cluster, learnedNames: () => [] });
  const text = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  return { standIn: `a pod with labels {${text}} in namespace ${namespace} (no Pod in the input)`, pods: [{ pod, fate: fate(d) }] };
}

function selectedPods(ctx: LintContext, t: LintTarget): Subject | null {
  if (!ctx.hasPods) return standIn(ctx, t);
  const pods = ctx.selected(t.policy);
  if (pods.length === 0) return null;
  const server = dnsServer(ctx.engine.cluster);
  const flow = (pod: PodInfo): Flow => ({ src: podEndpoint(pod), dst: server.endpoint, port: server.port, protocol: server.protocol });
  return { pods: pods.map((pod) => ({ pod, fate: fate(ctx.engine.evaluate(flow(pod))) })) };
}

function who(s: Subject, pods: readonly PodInfo[]): string {
  return s.standIn ?? podsText(podList(pods));
}

/**
 * PW2021-PW2023: a toFQDNs rule only matches addresses the DNS proxy learned from the pod's own lookups, so
 * the selected pods need an allowed path to the cluster DNS with an L7 DNS rule that admits the names
 * (Documentation/security/policy/language.rst, "DNS based").
 */
export const fqdnWithoutDnsRule: LintRule = (ctx) => {
  const cluster = ctx.engine.cluster;
  const server = dnsServer(cluster);
  const serverText = `${server.endpoint.kind === 'pod' ? `${server.endpoint.pod.id} ` : ''}${server.endpoint.ip}:${server.port}/${server.protocol}`;
  for (const t of ctx.targets) {
    if (t.policy.subject.type !== 'pods') continue;
    const done = new Set<number>();
    for (const rule of t.policy.rules) {
      if (rule.direction !== 'egress' || rule.action !== 'allow' || done.has(rule.index)) continue;
      const fqdns = rule.peers.filter((p) => p.type === 'fqdn');
      if (fqdns.length === 0) continue;
      done.add(rule.index);
      const s = selectedPods(ctx, t);
      if (!s) continue;
      const at = [...rule.path, 'toFQDNs'];
      const dropped = s.pods.filter((p) => p.fate.status === 'dropped');
      const first = dropped[0]?.fate;
      if (first?.status === 'dropped') {
        const why = decisionSentence(first.decision);
        ctx.report('PW2021', t.object, at, { who: who(s, dropped.map((p) => p.pod)), server: serverText, why });
      }
      const unproxied = s.pods.filter((p) => p.fate.status === 'unproxied').map((p) => p.pod);
      if (unproxied.length > 0) ctx.report('PW2022', t.object, at, { who: who(s, unproxied), server: serverText });
      for (const peer of fqdns) {
        const name = valueAt(t.object.object, [...peer.path, 'matchName']);
        if (typeof name !== 'string') continue;
        const refused = s.pods.filter((p) => p.fate.status === 'proxied' && !nameAllowed(p.fate.rules, name)).map((p) => p.pod);
        if (refused.length > 0) ctx.report('PW2023', t.object, peer.path, { who: who(s, refused), name });
      }
    }
  }
};
