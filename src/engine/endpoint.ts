import type { Labels } from '../api/types.js';
import { parseIp } from '../shared/ip.js';
import type { Cluster, NamespaceInfo, NodeInfo, PodInfo } from './cluster.js';
import { podNamespace } from './cluster.js';
import { CILIUM_NS_KEY } from './normalize-cilium.js';

/** One end of a flow as policy sees it. */
export type Endpoint =
  | { kind: 'pod'; pod: PodInfo; ip: string }
  /** A node's own network namespace. `name` is unknown for a bare IP; `pod` is set for a host-network pod. */
  | { kind: 'node'; name?: string; ip: string; pod?: PodInfo }
  /** Anything outside the cluster; `names` are DNS names known for the IP. */
  | { kind: 'world'; ip: string; names: string[] };

export function endpointText(e: Endpoint): string {
  switch (e.kind) {
    case 'pod': return e.pod.id;
    case 'node':
      if (e.pod) return `${e.pod.id} (host network)`;
      return e.name ? `node ${e.name} (${e.ip})` : `node ${e.ip}`;
    case 'world': return e.names.length > 0 ? `${e.names[0]} (${e.ip})` : e.ip;
  }
}

/** A pod as a flow end. A host-network pod shares its node's network namespace, so policy sees the node. */
export function podEndpoint(pod: PodInfo): Endpoint {
  if (pod.hostNetwork) return { kind: 'node', name: pod.node, ip: pod.ips[0] ?? pod.hostIP ?? '', pod };
  return { kind: 'pod', pod, ip: pod.ips[0] ?? '' };
}

/** The node a pod runs on, as an endpoint; its IP from the Node object or the pod's hostIP. */
export function nodeEndpointOf(cluster: Cluster, pod: PodInfo): Endpoint {
  const node = cluster.nodes.find((n) => n.name === pod.node) ?? cluster.nodes.find((n) => pod.hostIP !== undefined && n.ips.includes(pod.hostIP));
  return { kind: 'node', name: node?.name ?? pod.node, ip: node?.ips[0] ?? pod.hostIP ?? '' };
}

/** Resolve an IP to the pod, node or world address it belongs to. */
export function endpointForIp(cluster: Cluster, ip: string, names: string[] = []): Endpoint {
  const pod = cluster.podByIp.get(ip);
  if (pod) return { kind: 'pod', pod, ip };
  const node: NodeInfo | undefined = cluster.nodeByIp.get(ip);
  if (node) return { kind: 'node', name: node.name, ip };
  return { kind: 'world', ip, names };
}

/** Whether a node endpoint is the node of `pod` (Cilium's `host` entity) rather than another node. */
export function isLocalNode(e: Endpoint, pod: PodInfo): boolean {
  if (e.kind !== 'node') return false;
  if (e.name !== undefined && pod.node !== undefined) return e.name === pod.node;
  if (pod.hostIP !== undefined && e.ip !== '') return e.ip === pod.hostIP;
  // A pod placed nowhere: with a single node in the model its node is the only one there is.
  return true;
}

/** By pod, with the namespace it was made with: a PodInfo outlives one cluster (cluster.ts), its namespace's labels may not. */
const identityCache = new WeakMap<PodInfo, { ns: NamespaceInfo; labels: Labels }>();

/** A pod's Cilium identity labels, source prefixes stripped: pod labels plus namespace, its labels, SA, cluster. */
export function ciliumIdentity(cluster: Cluster, pod: PodInfo): Labels {
  const ns = podNamespace(cluster, pod);
  const cached = identityCache.get(pod);
  if (cached && cached.ns === ns) return cached.labels;
  const labels: Labels = { ...pod.labels };
  for (const [k, v] of Object.entries(ns.labels)) labels[`io.cilium.k8s.namespace.labels.${k}`] = v;
  labels[CILIUM_NS_KEY] = pod.namespace;
  labels['io.cilium.k8s.policy.serviceaccount'] = pod.serviceAccount;
  labels['io.cilium.k8s.policy.cluster'] = 'default';
  identityCache.set(pod, { ns, labels });
  return labels;
}

/** Reserved identity labels of non-pod endpoints (`reserved:host`, `reserved:world`, ...). */
export function reservedIdentity(e: Endpoint, localTo?: PodInfo): Labels {
  if (e.kind === 'world') return { 'reserved:world': '' };
  if (e.kind === 'node') return localTo && isLocalNode(e, localTo) ? { 'reserved:host': '' } : { 'reserved:remote-node': '' };
  return {};
}

export function ipFamily(ip: string): 4 | 6 | null {
  return parseIp(ip)?.family ?? null;
}
