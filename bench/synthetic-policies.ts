import type {
  ApiObject, CiliumEgressRule, CiliumIngressRule, CiliumNetworkPolicy, CiliumPortRule, LabelSelector, NetworkPolicy,
  NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
} from '../src/api/types.js';
import { pick, sample, type Rand } from '../src/shared/random.js';
import type { AppModel, ClusterModel, NamespaceModel, SyntheticOptions } from './synthetic-cluster.js';

/**
 * Policies in the shapes real clusters use: per-namespace default deny plus DNS and monitoring
 * exceptions, tier-to-tier allows, cross-namespace allows by team/env, external ipBlocks, a few legacy
 * ipBlocks over pod subnets, Cilium L3/L4 rules with entities, CIDRs and deny rules, and cluster-wide
 * guard rails.
 */

const NS_KEY = 'k8s:io.kubernetes.pod.namespace';
const NS_LABEL = (k: string) => `k8s:io.cilium.k8s.namespace.labels.${k}`;
const EXTERNAL = { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] };
const PUBLIC_CIDRS = ['203.0.113.0/24', '198.51.100.0/24', '192.0.2.0/24', '52.94.0.0/16'];

interface Ctx {
  r: Rand;
  model: ClusterModel;
  /** A handful of pod /24s that "legacy" ipBlocks allow: pod IPs inside ipBlocks split pod classes. */
  legacySubnets: string[];
}

const app = (a: AppModel): LabelSelector => ({ matchLabels: { app: a.name } });

function appSelector(c: Ctx, ns: NamespaceModel): LabelSelector {
  const a = pick(c.r, ns.apps);
  const roll = c.r();
  if (roll < 0.55) return app(a);
  if (roll < 0.75) return { matchLabels: { tier: a.tier } };
  if (roll < 0.85 && a.versioned) return { matchLabels: { app: a.name, version: pick(c.r, ['v1', 'v2', 'v3']) } };
  if (roll < 0.95) return { matchExpressions: [{ key: 'app', operator: 'In', values: sample(c.r, ns.apps, 2).map((x) => x.name) }] };
  return { matchLabels: { app: a.name }, matchExpressions: [{ key: 'version', operator: 'NotIn', values: ['v1'] }] };
}

function otherNamespace(c: Ctx, ns: NamespaceModel): NamespaceModel {
  const candidates = c.model.namespaces.filter((x) => x !== ns && x.apps.length > 0);
  return pick(c.r, candidates);
}

function nsSelector(c: Ctx, ns: NamespaceModel): LabelSelector {
  const roll = c.r();
  if (roll < 0.35) return { matchLabels: { team: ns.team } };
  if (roll < 0.6) return { matchLabels: { team: ns.team, env: ns.env } };
  if (roll < 0.75) return { matchLabels: { env: ns.env } };
  if (roll < 0.9) return { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] };
  return { matchLabels: { 'kubernetes.io/metadata.name': otherNamespace(c, ns).name } };
}

function k8sPeer(c: Ctx, ns: NamespaceModel): NetworkPolicyPeer {
  const roll = c.r();
  if (roll < 0.4) return { podSelector: appSelector(c, ns) };
  if (roll < 0.55) return { namespaceSelector: nsSelector(c, ns) };
  if (roll < 0.78) {
    const other = otherNamespace(c, ns);
    return { namespaceSelector: nsSelector(c, other), podSelector: appSelector(c, other) };
  }
  if (roll < 0.82) return { namespaceSelector: {}, podSelector: { matchLabels: { tier: 'front' } } };
  if (roll < 0.96) return { ipBlock: EXTERNAL };
  return { ipBlock: { cidr: pick(c.r, c.legacySubnets) } };
}

function k8sPorts(c: Ctx, target: AppModel | undefined): NetworkPolicyPort[] | undefined {
  const roll = c.r();
  if (roll < 0.15) return undefined;
  if (roll < 0.4) return [{ port: target?.portName ?? 'http' }];
  if (roll < 0.6) return [{ port: target?.port ?? 80, protocol: 'TCP' }];
  if (roll < 0.7) return [{ port: 80, endPort: pick(c.r, [90, 443, 8080]) }];
  if (roll < 0.78) return [{ port: 8000, endPort: 8999, protocol: 'TCP' }];
  if (roll < 0.88) return [{ port: 'http' }, { port: 'metrics' }, { port: 'grpc' }];
  if (roll < 0.95) return [{ port: 443 }, { port: 8443, protocol: 'TCP' }];
  return [{ port: 514, protocol: 'UDP' }, { port: 8125, protocol: 'UDP' }];
}

function netpol(ns: NamespaceModel, name: string, spec: NetworkPolicy['spec']): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns.name }, spec };
}

/** The fixed head of a namespace's NetworkPolicies: default deny and its usual exceptions. */
function baseline(c: Ctx, ns: NamespaceModel): NetworkPolicy[] {
  const out: NetworkPolicy[] = [];
  if (c.r() < 0.3) return out;
  const egress = c.r() < 0.4;
  out.push(netpol(ns, 'default-deny', { podSelector: {}, policyTypes: egress ? ['Ingress', 'Egress'] : ['Ingress'] }));
  if (egress) {
    out.push(netpol(ns, 'allow-dns', {
      podSelector: {}, policyTypes: ['Egress'],
      egress: [{
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }],
      }],
    }));
  }
  out.push(netpol(ns, 'allow-monitoring', {
    podSelector: {},
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 'metrics' }] }],
  }));
  return out;
}

function appNetpol(c: Ctx, ns: NamespaceModel, i: number): NetworkPolicy {
  const target = pick(c.r, ns.apps);
  const ingressRule = (): NetworkPolicyIngressRule => {
    const ports = k8sPorts(c, target);
    return { from: Array.from({ length: 1 + Math.floor(c.r() * c.r() * 3) }, () => k8sPeer(c, ns)), ...(ports ? { ports } : {}) };
  };
  const egressRule = (): NetworkPolicyEgressRule => {
    const roll = c.r();
    if (roll < 0.5) {
      const data = ns.apps.filter((a) => a.tier === 'data');
      const to = data.length > 0 ? pick(c.r, data) : target;
      return { to: [{ podSelector: app(to) }], ports: [{ port: to.port, protocol: 'TCP' }] };
    }
    if (roll < 0.8) return { to: [{ ipBlock: EXTERNAL }], ports: [{ port: 443, protocol: 'TCP' }] };
    const ports = k8sPorts(c, undefined);
    return { to: [k8sPeer(c, ns)], ...(ports ? { ports } : {}) };
  };
  const kind = c.r();
  const selector = c.r() < 0.8 ? app(target) : { matchLabels: { tier: target.tier } };
  if (kind < 0.6) return netpol(ns, `allow-${target.name}-ingress-${i}`, { podSelector: selector, ingress: [ingressRule(), ...(c.r() < 0.3 ? [ingressRule()] : [])] });
  if (kind < 0.85) return netpol(ns, `allow-${target.name}-egress-${i}`, { podSelector: selector, policyTypes: ['Egress'], egress: [egressRule()] });
  return netpol(ns, `${target.name}-${i}`, { podSelector: selector, policyTypes: ['Ingress', 'Egress'], ingress: [ingressRule()], egress: [egressRule(), egressRule()] });
}

function ciliumPorts(c: Ctx, target: AppModel): CiliumPortRule[] | undefined {
  const roll = c.r();
  if (roll < 0.2) return undefined;
  if (roll < 0.55) return [{ ports: [{ port: String(target.port), protocol: 'TCP' }] }];
  if (roll < 0.7) return [{ ports: [{ port: target.portName }] }];
  if (roll < 0.8) return [{ ports: [{ port: '80', endPort: 8080, protocol: 'TCP' }] }];
  if (roll < 0.9) return [{ ports: [{ port: '80', protocol: 'TCP' }, { port: '443', protocol: 'TCP' }] }, { ports: [{ port: '9090' }] }];
  return [{ ports: [{ port: '8125', protocol: 'UDP' }] }];
}

function endpointsOf(c: Ctx, ns: NamespaceModel): LabelSelector {
  const roll = c.r();
  const a = pick(c.r, ns.apps);
  if (roll < 0.5) return { matchLabels: { [`k8s:app`]: a.name } };
  if (roll < 0.65) return { matchLabels: { tier: a.tier } };
  if (roll < 0.85) {
    const other = otherNamespace(c, ns);
    return { matchLabels: { [NS_KEY]: other.name, 'k8s:app': pick(c.r, other.apps).name } };
  }
  if (roll < 0.95) return { matchLabels: { [NS_LABEL('team')]: ns.team, 'k8s:tier': 'front' } };
  return {};
}

function cnpIngress(c: Ctx, ns: NamespaceModel, target: AppModel): CiliumIngressRule {
  const toPorts = ciliumPorts(c, target);
  const roll = c.r();
  if (roll < 0.75) return { fromEndpoints: Array.from({ length: 1 + Math.floor(c.r() * c.r() * 3) }, () => endpointsOf(c, ns)), ...(toPorts ? { toPorts } : {}) };
  if (roll < 0.9) return { fromEntities: [pick(c.r, ['cluster', 'world', 'host'] as const)], ...(toPorts ? { toPorts } : {}) };
  return { fromCIDRSet: [{ cidr: pick(c.r, PUBLIC_CIDRS) }], ...(toPorts ? { toPorts } : {}) };
}

function cnpEgress(c: Ctx, ns: NamespaceModel, target: AppModel): CiliumEgressRule {
  const roll = c.r();
  if (roll < 0.45) {
    const to = pick(c.r, ns.apps);
    return { toEndpoints: [endpointsOf(c, ns)], toPorts: [{ ports: [{ port: String(to.port), protocol: 'TCP' }] }] };
  }
  if (roll < 0.6) return { toEntities: ['world'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] };
  if (roll < 0.7) return { toEntities: ['cluster'] };
  if (roll < 0.85) return { toCIDR: sample(c.r, PUBLIC_CIDRS, 2) };
  if (roll < 0.95) return { toCIDRSet: [EXTERNAL], toPorts: ciliumPorts(c, target) ?? [{ ports: [{ port: '443' }] }] };
  return {
    toEndpoints: [{ matchLabels: { [NS_KEY]: 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
    toPorts: [{ ports: [{ port: '53', protocol: 'UDP' }], rules: { dns: [{ matchPattern: '*' }] } }],
  };
}

function cnp(c: Ctx, ns: NamespaceModel, i: number): CiliumNetworkPolicy {
  const target = pick(c.r, ns.apps);
  const spec: NonNullable<CiliumNetworkPolicy['spec']> = { endpointSelector: c.r() < 0.7 ? { matchLabels: { app: target.name } } : appSelector(c, ns) };
  const shape = c.r();
  if (shape < 0.55 || shape >= 0.85) spec.ingress = Array.from({ length: 1 + Math.floor(c.r() * 2) }, () => cnpIngress(c, ns, target));
  if (shape >= 0.55) spec.egress = Array.from({ length: 1 + Math.floor(c.r() * 2) }, () => cnpEgress(c, ns, target));
  // Deny rules next to allows, as operators add them to carve out exceptions.
  if (c.r() < 0.15) spec.ingressDeny = [{ fromEndpoints: [{ matchLabels: { [NS_LABEL('env')]: 'dev' } }] }];
  if (c.r() < 0.1) spec.egressDeny = [pick(c.r, [{ toCIDR: ['169.254.169.254/32'] }, { toEndpoints: [endpointsOf(c, ns)], toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }] }] }])];
  return { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: `cnp-${target.name}-${i}`, namespace: ns.name }, spec };
}

/** Cluster-wide guard rails; they never isolate (enableDefaultDeny off), as such CCNPs are written. */
function ccnp(i: number): CiliumNetworkPolicy {
  const off = { ingress: false, egress: false };
  const specs: CiliumNetworkPolicy['spec'][] = [
    { endpointSelector: { matchLabels: { [NS_LABEL('env')]: 'prod' } }, enableDefaultDeny: off, ingressDeny: [{ fromEndpoints: [{ matchLabels: { [NS_LABEL('env')]: 'dev' } }] }] },
    { endpointSelector: {}, enableDefaultDeny: off, egressDeny: [{ toCIDR: ['169.254.169.254/32'] }] },
    { endpointSelector: {}, enableDefaultDeny: off, ingress: [{ fromEndpoints: [{ matchLabels: { [NS_KEY]: 'monitoring' } }], toPorts: [{ ports: [{ port: '9090', protocol: 'TCP' }] }] }] },
    { endpointSelector: { matchLabels: { [NS_LABEL('env')]: 'staging' } }, enableDefaultDeny: off, egressDeny: [{ toEndpoints: [{ matchLabels: { [NS_LABEL('env')]: 'prod', 'k8s:tier': 'data' } }] }] },
    { endpointSelector: { matchLabels: { 'k8s:tier': 'data' } }, enableDefaultDeny: off, ingressDeny: [{ fromEntities: ['world'] }] },
  ];
  return { apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy', metadata: { name: `guardrail-${i}` }, spec: specs[i % specs.length]! };
}

/** Spread `total` items over the namespaces round-robin; kube-system and monitoring get none. */
function perNamespace<T>(c: Ctx, total: number, make: (ns: NamespaceModel, i: number) => T[]): T[] {
  const nss = c.model.namespaces.filter((ns) => ns.apps.length > 0);
  const out: T[] = [];
  for (let i = 0; out.length < total; i++) {
    if (i > total * 4) throw new Error('policy generator made no progress');
    out.push(...make(nss[i % nss.length]!, i));
  }
  return out.slice(0, total);
}

/** All policies of the synthetic cluster: NetworkPolicies, then CNPs, then CCNPs. */
export function syntheticPolicies(r: Rand, model: ClusterModel, o: SyntheticOptions): ApiObject[] {
  const c: Ctx = { r, model, legacySubnets: sample(r, model.podSubnets, 6) };
  const withBaseline = new Set<NamespaceModel>();
  const nps = perNamespace(c, o.networkPolicies, (ns, i) => {
    if (withBaseline.has(ns)) return [appNetpol(c, ns, i)];
    withBaseline.add(ns);
    return [...baseline(c, ns), appNetpol(c, ns, i)];
  });
  const cnps = perNamespace(c, o.ciliumPolicies, (ns, i) => [cnp(c, ns, i)]);
  const ccnps = Array.from({ length: o.clusterwidePolicies }, (_, i) => ccnp(i));
  return [...nps, ...cnps, ...ccnps];
}
