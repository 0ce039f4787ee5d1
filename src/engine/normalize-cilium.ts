import type {
  CIDRRule, CiliumEgressRule, CiliumIngressRule, CiliumNetworkPolicy, CiliumPortProtocol, CiliumRule, LabelSelector,
} from '../api/types.js';
import type { Path } from '../api/source.js';
import { compileFqdnSelector } from '../fqdn/pattern.js';
import { parseCidr, type Cidr } from '../shared/ip.js';
import type { Cluster } from './cluster.js';
import { compileSelector, selectorKeys, type Selector } from './selector.js';
import type { Direction, Origin, Peer, Policy, PortMatch, Rule } from './policy.js';

/** Label key of the pod's namespace in Cilium identities. */
export const CILIUM_NS_KEY = 'io.kubernetes.pod.namespace';

/** Cilium label sources: `k8s:` and `any:` select pod labels; `reserved:` stays distinct. */
export function ciliumKey(key: string): string {
  if (key.startsWith('k8s:')) return key.slice(4);
  if (key.startsWith('any:')) return key.slice(4);
  return key;
}

export function compileCiliumSelector(sel: LabelSelector | undefined): Selector {
  return compileSelector(sel, ciliumKey);
}

/**
 * Whether Cilium leaves a CNP's endpoint selector unscoped: it names the namespace, a namespace label,
 * or a reserved identity (pkg/policy/api getEndpointSelector adds the policy's namespace otherwise).
 */
function unscoped(sel: LabelSelector | undefined): boolean {
  return selectorKeys(sel, ciliumKey).some((k) => k === CILIUM_NS_KEY || k.startsWith('io.cilium.k8s.namespace.labels.') || k.startsWith('reserved:'));
}

function cidrPeers(rule: CIDRRule, cluster: Cluster, path: Path): Peer[] {
  const except = (rule.except ?? []).map((e) => parseCidr(e)).filter((c): c is Cidr => c !== null);
  let cidrs: string[] = [];
  if (rule.cidr) cidrs = [rule.cidr];
  else if (rule.cidrGroupRef) cidrs = cluster.cidrGroups.get(rule.cidrGroupRef)?.cidrs ?? [];
  else if (rule.cidrGroupSelector) {
    const sel = compileSelector(rule.cidrGroupSelector);
    cidrs = [...cluster.cidrGroups.values()].filter((g) => sel.matches(g.labels)).flatMap((g) => g.cidrs);
  }
  const label = rule.cidr ?? (rule.cidrGroupRef ? `cidrGroupRef ${rule.cidrGroupRef}` : 'cidrGroupSelector');
  return cidrs.flatMap((c) => {
    const cidr = parseCidr(c);
    if (!cidr) return [];
    const text = `CIDR ${c}${label !== c ? ` (${label})` : ''}${except.length ? ` except ${except.map((e) => e.text).join(',')}` : ''}`;
    // CIDR selectors do not select pods or nodes (Documentation/security/policy/layer3.rst, "IP/CIDR based").
    return [{ type: 'cidr', cidr, except, selectsCluster: false, path, text } satisfies Peer];
  });
}

type AnyRule = CiliumIngressRule & CiliumEgressRule;

interface ServiceRef {
  k8sService?: { serviceName?: string; namespace?: string };
  k8sServiceSelector?: { selector?: LabelSelector; namespace?: string };
}

/**
 * toServices: a Service with a selector stands for its backend pods (the selector, in the Service's
 * namespace); a Service without one has no pods podwall knows of, so it selects nothing.
 */
function servicePeers(raw: unknown, cluster: Cluster, origin: Origin, path: Path): Peer[] {
  const ref = raw as ServiceRef;
  const ns = ref.k8sService?.namespace ?? ref.k8sServiceSelector?.namespace ?? origin.namespace;
  let services = cluster.services.filter((s) => ns === undefined || s.namespace === ns);
  if (ref.k8sService) services = services.filter((s) => s.name === ref.k8sService?.serviceName);
  else if (ref.k8sServiceSelector) {
    const sel = compileSelector(ref.k8sServiceSelector.selector);
    services = services.filter((s) => sel.matches(s.labels));
  } else services = [];
  return services.filter((s) => s.selector).map((s) => ({
    type: 'cilium-endpoints', selector: compileSelector({ matchLabels: s.selector }), namespace: s.namespace, path, text: `service ${s.id}`,
  }));
}

function l3Peers(r: AnyRule, direction: Direction, origin: Origin, cluster: Cluster, path: Path): Peer[] {
  const ing = direction === 'ingress';
  const key = (name: string) => (ing ? `from${name}` : `to${name}`) as keyof AnyRule;
  const peers: Peer[] = [];
  const endpoints = (r[key('Endpoints')] as LabelSelector[] | undefined) ?? [];
  endpoints.forEach((sel, i) => {
    const selector = compileCiliumSelector(sel);
    // A CNP's endpoint selectors are limited to the policy's namespace unless they name one
    // (Documentation/security/policy/kubernetes.rst, "Namespaces"); a CCNP's span the cluster.
    const namespace = origin.kind === 'CiliumNetworkPolicy' && !unscoped(sel) ? origin.namespace : undefined;
    const text = `endpoints {${selector.key}}${namespace ? ` in namespace ${namespace}` : ''}`;
    peers.push({ type: 'cilium-endpoints', selector, namespace, path: [...path, key('Endpoints'), i], text });
  });
  ((r[key('CIDR')] as string[] | undefined) ?? []).forEach((c, i) => {
    peers.push(...cidrPeers({ cidr: c }, cluster, [...path, key('CIDR'), i]));
  });
  ((r[key('CIDRSet')] as CIDRRule[] | undefined) ?? []).forEach((c, i) => {
    peers.push(...cidrPeers(c, cluster, [...path, key('CIDRSet'), i]));
  });
  ((r[key('Entities')] as string[] | undefined) ?? []).forEach((e, i) => {
    peers.push({ type: 'entity', entity: e as never, path: [...path, key('Entities'), i], text: `entity ${e}` });
  });
  ((r[key('Nodes')] as LabelSelector[] | undefined) ?? []).forEach((sel, i) => {
    const selector = compileSelector(sel);
    peers.push({ type: 'nodes', selector, path: [...path, key('Nodes'), i], text: `nodes {${selector.key}}` });
  });
  if (!ing) {
    (r.toServices ?? []).forEach((svc, i) => peers.push(...servicePeers(svc, cluster, origin, [...path, 'toServices', i])));
    (r.toFQDNs ?? []).forEach((f, i) => {
      const matcher = compileFqdnSelector(f);
      peers.push({ type: 'fqdn', matcher, path: [...path, 'toFQDNs', i], text: `toFQDNs ${matcher.text}` });
    });
  }
  return peers;
}

function hasL3(r: AnyRule): boolean {
  const lists = [
    r.fromEndpoints, r.fromCIDR, r.fromCIDRSet, r.fromEntities, r.fromNodes, r.fromGroups, r.fromRequires,
    r.toEndpoints, r.toCIDR, r.toCIDRSet, r.toEntities, r.toNodes, r.toGroups, r.toFQDNs, r.toServices, r.toRequires,
  ];
  return lists.some((l) => Array.isArray(l) && l.length > 0);
}

function portMatch(p: CiliumPortProtocol, path: Path): PortMatch {
  const proto = p.protocol ?? 'ANY';
  const protocols = proto === 'ANY' ? (['TCP', 'UDP', 'SCTP'] as const) : proto === 'ICMP' || proto === 'ICMPV6' ? (['ICMP'] as const) : [proto];
  const text = p.port ?? '0';
  if (text === '0' || text === '') return { protocols, path };
  // Cilium compares port names case-insensitively; container port names are lower case (IANA_SVC_NAME).
  if (!/^\d+$/.test(text)) return { protocols, name: text.toLowerCase(), path };
  const from = Number(text);
  return { protocols, range: { from, to: p.endPort && p.endPort >= from ? p.endPort : from }, path };
}

function normalizeRule(
  r: AnyRule, index: number, direction: Direction, action: 'allow' | 'deny', origin: Origin, cluster: Cluster, base: Path,
): Rule[] {
  const path = [...base, index];
  let peers = l3Peers(r, direction, origin, cluster, path);
  const toPorts = r.toPorts ?? [];
  const icmps = r.icmps ?? [];
  // No L3 selector: an L4 rule applies to every peer; a rule with neither is Cilium's empty rule and selects nothing.
  if (!hasL3(r) && (toPorts.length > 0 || icmps.length > 0)) peers = [{ type: 'any', path, text: 'any peer' }];
  const out: Rule[] = [];
  toPorts.forEach((pr, j) => {
    const ports = (pr.ports ?? []).length === 0
      ? null
      : (pr.ports ?? []).map((p, k) => portMatch(p, [...path, 'toPorts', j, 'ports', k]));
    const dns = pr.rules?.dns?.map(compileFqdnSelector);
    out.push({ direction, action, index, portRule: j, path, peers, ports, ...(dns ? { dns } : {}) });
  });
  if (icmps.length > 0) out.push({ direction, action, index, path, peers, ports: [{ protocols: ['ICMP'], path: [...path, 'icmps'] }] });
  if (toPorts.length === 0 && icmps.length === 0) out.push({ direction, action, index, path, peers, ports: null });
  return out;
}

function normalizeSpec(spec: CiliumRule, origin: Origin, cluster: Cluster, base: Path): Policy {
  const subject: Policy['subject'] = spec.nodeSelector
    ? { type: 'nodes', selector: compileSelector(spec.nodeSelector) }
    : { type: 'pods', namespace: origin.namespace, selector: compileCiliumSelector(spec.endpointSelector) };
  const rules: Rule[] = [];
  const lists: [keyof CiliumRule, Direction, 'allow' | 'deny'][] = [
    ['ingress', 'ingress', 'allow'], ['ingressDeny', 'ingress', 'deny'], ['egress', 'egress', 'allow'], ['egressDeny', 'egress', 'deny'],
  ];
  for (const [field, direction, action] of lists) {
    ((spec[field] as AnyRule[] | undefined) ?? []).forEach((r, i) => {
      rules.push(...normalizeRule(r, i, direction, action, origin, cluster, [...base, field]));
    });
  }
  // Default deny for each direction that has rules, allow or deny, unless enableDefaultDeny says otherwise
  // (CiliumRule.EnableDefaultDeny; Documentation/security/policy/intro.rst, "default" mode).
  const has = (d: Direction) => (spec[d]?.length ?? 0) > 0 || (spec[`${d}Deny`]?.length ?? 0) > 0;
  const isolates = {
    ingress: spec.enableDefaultDeny?.ingress ?? has('ingress'),
    egress: spec.enableDefaultDeny?.egress ?? has('egress'),
  };
  return { origin, subject, isolates, rules };
}

/** Normalise a CNP or CCNP: one Policy per entry of `spec` and `specs`. */
export function normalizeCiliumPolicy(p: CiliumNetworkPolicy, cluster: Cluster): Policy[] {
  const namespace = p.kind === 'CiliumNetworkPolicy' ? p.metadata.namespace ?? 'default' : undefined;
  const base: Origin = { kind: p.kind, name: p.metadata.name, ...(namespace ? { namespace } : {}) };
  const out: Policy[] = [];
  if (p.spec) out.push(normalizeSpec(p.spec, base, cluster, ['spec']));
  (p.specs ?? []).forEach((s, i) => out.push(normalizeSpec(s, { ...base, spec: i }, cluster, ['specs', i])));
  return out;
}
