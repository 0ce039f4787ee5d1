import { cidrContainsIp } from '../shared/ip.js';
import type { Cluster, PodInfo, Protocol } from './cluster.js';
import { podNamespace } from './cluster.js';
import { ciliumIdentity, ipFamily, isLocalNode, reservedIdentity, type Endpoint } from './endpoint.js';
import type { Peer, Policy, PortMatch } from './policy.js';

/** What peer matching needs besides the peer: the cluster, and what the DNS proxy learned per pod. */
export interface MatchContext {
  cluster: Cluster;
  /** Names the DNS proxy saw answered with `ip` for lookups by `pod` (for toFQDNs). */
  learnedNames(pod: PodInfo, ip: string): readonly string[];
}

/** Whether `policy` applies to `pod`. Host-network pods are the node's, and node policies never select pods. */
export function selectsPod(policy: Policy, pod: PodInfo, cluster: Cluster): boolean {
  const s = policy.subject;
  if (s.type !== 'pods' || pod.hostNetwork) return false;
  if (s.namespace !== undefined && s.namespace !== pod.namespace) return false;
  const labels = policy.origin.kind === 'NetworkPolicy' ? pod.labels : ciliumIdentity(cluster, pod);
  return s.selector.matches(labels);
}

function entityMatches(entity: string, ep: Endpoint, subject: PodInfo): boolean {
  switch (entity) {
    case 'all': return true;
    case 'world': return ep.kind === 'world';
    case 'world-ipv4': return ep.kind === 'world' && ipFamily(ep.ip) === 4;
    case 'world-ipv6': return ep.kind === 'world' && ipFamily(ep.ip) === 6;
    case 'cluster': return ep.kind !== 'world';
    case 'host': return ep.kind === 'node' && isLocalNode(ep, subject);
    case 'remote-node': return ep.kind === 'node' && !isLocalNode(ep, subject);
    // kube-apiserver, health, init, ingress, unmanaged: no such endpoints in podwall's model.
    default: return false;
  }
}

function inCidr(peer: Extract<Peer, { type: 'cidr' }>, ip: string): boolean {
  return cidrContainsIp(peer.cidr, ip) && !peer.except.some((e) => cidrContainsIp(e, ip));
}

/** Whether `peer` (a rule of a policy selecting `subject`) matches endpoint `ep`. */
export function peerMatches(peer: Peer, ep: Endpoint, subject: PodInfo, ctx: MatchContext): boolean {
  switch (peer.type) {
    case 'any': return true;
    case 'k8s-pods': {
      if (ep.kind !== 'pod' || ep.pod.hostNetwork) return false;
      const nsOk = peer.namespaces
        ? peer.namespaces.matches(podNamespace(ctx.cluster, ep.pod).labels)
        : ep.pod.namespace === peer.namespace;
      return nsOk && (peer.pods === undefined || peer.pods.matches(ep.pod.labels));
    }
    case 'cilium-endpoints': {
      if (ep.kind === 'pod') {
        if (ep.pod.hostNetwork) return false;
        if (peer.namespace !== undefined && ep.pod.namespace !== peer.namespace) return false;
        return peer.selector.matches(ciliumIdentity(ctx.cluster, ep.pod));
      }
      // Non-pod peers carry only reserved labels; only a selector that names one can match them
      // (Cilium scopes every other endpoint selector to pods: a namespace, or `namespace Exists` in a CCNP).
      const reserved = peer.selector.requirements.some((r) => r.key.startsWith('reserved:'));
      return reserved && peer.namespace === undefined && peer.selector.matches(reservedIdentity(ep, subject));
    }
    case 'cidr': return (peer.selectsCluster || ep.kind === 'world') && inCidr(peer, ep.ip);
    case 'entity': return entityMatches(peer.entity, ep, subject);
    case 'fqdn': return ep.kind === 'world' && ctx.learnedNames(subject, ep.ip).some((n) => peer.matcher.matches(n));
    case 'nodes': {
      if (ep.kind !== 'node') return false;
      const node = ctx.cluster.nodes.find((n) => n.name === ep.name);
      return node !== undefined && peer.selector.matches(node.labels);
    }
  }
}

/** Whether a port condition list admits the flow's port; named ports resolve through the destination pod. */
export function portsMatch(ports: readonly PortMatch[] | null, port: number, protocol: Protocol, dst: Endpoint): boolean {
  if (ports === null) return true;
  return ports.some((p) => portMatches(p, port, protocol, dst));
}

export function portMatches(p: PortMatch, port: number, protocol: Protocol, dst: Endpoint): boolean {
  if (!p.protocols.includes(protocol)) return false;
  if (p.range) return port >= p.range.from && port <= p.range.to;
  if (p.name !== undefined) {
    if (dst.kind !== 'pod') return false;
    return dst.pod.namedPorts.some((np) => np.name === p.name && np.port === port && (np.protocol === protocol));
  }
  return true;
}
