import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '../api/types.js';
import type { Path } from '../api/source.js';
import { parseCidr, type Cidr } from '../shared/ip.js';
import { compileSelector } from './selector.js';
import type { Direction, Peer, Policy, PortMatch, Rule } from './policy.js';

/** policyTypes defaulting of the API server: Ingress always, Egress when egress rules exist. */
export function effectivePolicyTypes(np: NetworkPolicy): { ingress: boolean; egress: boolean } {
  const types = np.spec.policyTypes;
  if (types && types.length > 0) return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
  return { ingress: true, egress: (np.spec.egress?.length ?? 0) > 0 };
}

function peer(p: NetworkPolicyPeer, namespace: string, path: Path): Peer {
  if (p.ipBlock) {
    const cidr = parseCidr(p.ipBlock.cidr) as Cidr;
    const except = (p.ipBlock.except ?? []).map((e) => parseCidr(e) as Cidr);
    const text = `ipBlock ${p.ipBlock.cidr}${except.length ? ` except ${except.map((e) => e.text).join(',')}` : ''}`;
    // ipBlock matches by IP, pod IPs included (Kubernetes e2e "should allow egress access to server in CIDR block").
    return { type: 'cidr', cidr, except, selectsCluster: true, path, text };
  }
  const pods = p.podSelector ? compileSelector(p.podSelector) : undefined;
  const namespaces = p.namespaceSelector ? compileSelector(p.namespaceSelector) : undefined;
  const parts = [];
  if (namespaces) parts.push(`namespaceSelector {${namespaces.key}}`);
  else parts.push(`namespace ${namespace}`);
  if (pods) parts.push(`podSelector {${pods.key}}`);
  return { type: 'k8s-pods', pods, namespaces, namespace, path, text: parts.join(' and ') };
}

function port(p: NetworkPolicyPort, path: Path): PortMatch {
  // Protocol omitted ⇒ TCP (NetworkPolicyPort.protocol).
  const protocols = [p.protocol ?? 'TCP'] as const;
  if (p.port === undefined) return { protocols, path };
  if (typeof p.port === 'string' && !/^\d+$/.test(p.port)) return { protocols, name: p.port, path };
  const from = Number(p.port);
  return { protocols, range: { from, to: p.endPort ?? from }, path };
}

function rules(np: NetworkPolicy, direction: Direction): Rule[] {
  const list = direction === 'ingress' ? np.spec.ingress ?? [] : np.spec.egress ?? [];
  const namespace = np.metadata.namespace ?? 'default';
  return list.map((r, index) => {
    const path: Path = ['spec', direction, index];
    const peersKey = direction === 'ingress' ? 'from' : 'to';
    const rawPeers = (direction === 'ingress' ? (r as { from?: NetworkPolicyPeer[] }).from : (r as { to?: NetworkPolicyPeer[] }).to) ?? [];
    // Omitted or empty from/to ⇒ every peer; omitted or empty ports ⇒ every port.
    const peers: Peer[] = rawPeers.length === 0
      ? [{ type: 'any', path, text: 'any peer' }]
      : rawPeers.map((p, i) => peer(p, namespace, [...path, peersKey, i]));
    const ports = (r.ports ?? []).length === 0 ? null : (r.ports ?? []).map((p, i) => port(p, [...path, 'ports', i]));
    return { direction, action: 'allow', index, path, peers, ports };
  });
}

/** Normalise a NetworkPolicy. Rules of a direction not in policyTypes are ignored, as the API says. */
export function normalizeNetworkPolicy(np: NetworkPolicy): Policy {
  const namespace = np.metadata.namespace ?? 'default';
  const types = effectivePolicyTypes(np);
  return {
    origin: { kind: 'NetworkPolicy', namespace, name: np.metadata.name },
    subject: { type: 'pods', namespace, selector: compileSelector(np.spec.podSelector) },
    isolates: types,
    rules: [...(types.ingress ? rules(np, 'ingress') : []), ...(types.egress ? rules(np, 'egress') : [])],
  };
}
