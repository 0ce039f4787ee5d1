import type { ApiObject, CiliumCIDRGroup, Labels, Node as K8sNode, Pod as K8sPod, Service as K8sService } from '../api/types.js';
import { isIp } from '../shared/ip.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

export interface NamedPort {
  name: string;
  port: number;
  protocol: Protocol;
}

export interface NamespaceInfo {
  name: string;
  /** Always carries `kubernetes.io/metadata.name` (set by the API server since 1.21). */
  labels: Labels;
}

export interface PodInfo {
  /** `namespace/name`. */
  id: string;
  namespace: string;
  name: string;
  labels: Labels;
  ips: string[];
  node?: string;
  /** The node's address as the pod reports it (status.hostIP). */
  hostIP?: string;
  hostNetwork: boolean;
  serviceAccount: string;
  namedPorts: NamedPort[];
  /** Ports the pod's containers declare (for the default port list of `analyze`). */
  declaredPorts: { port: number; protocol: Protocol }[];
}

export interface NodeInfo {
  name: string;
  labels: Labels;
  ips: string[];
}

export interface ServiceInfo {
  id: string;
  namespace: string;
  name: string;
  clusterIPs: string[];
  labels: Labels;
  selector?: Labels;
  ports: { name?: string; port: number; targetPort: number | string; protocol: Protocol }[];
}

/** The cluster as the engine sees it: pure data, built once from manifests. */
export interface Cluster {
  namespaces: Map<string, NamespaceInfo>;
  pods: PodInfo[];
  podById: Map<string, PodInfo>;
  nodes: NodeInfo[];
  services: ServiceInfo[];
  cidrGroups: Map<string, { name: string; labels: Labels; cidrs: string[] }>;
  /** IP → pod (non-host-network pods only) and IP → node. */
  podByIp: Map<string, PodInfo>;
  nodeByIp: Map<string, NodeInfo>;
}

function namespaceOf(cluster: Cluster, name: string): NamespaceInfo {
  let ns = cluster.namespaces.get(name);
  if (!ns) {
    ns = { name, labels: { 'kubernetes.io/metadata.name': name } };
    cluster.namespaces.set(name, ns);
  }
  return ns;
}

const podInfos = new WeakMap<K8sPod, PodInfo>();

function podInfo(p: K8sPod): PodInfo {
  const namespace = p.metadata.namespace ?? 'default';
  const ips = new Set<string>();
  if (p.status?.podIP) ips.add(p.status.podIP);
  for (const x of p.status?.podIPs ?? []) ips.add(x.ip);
  const namedPorts: NamedPort[] = [];
  const declaredPorts: { port: number; protocol: Protocol }[] = [];
  for (const c of p.spec?.containers ?? []) {
    for (const cp of c.ports ?? []) {
      const protocol = cp.protocol ?? 'TCP';
      declaredPorts.push({ port: cp.containerPort, protocol });
      if (cp.name) namedPorts.push({ name: cp.name, port: cp.containerPort, protocol });
    }
  }
  return {
    id: `${namespace}/${p.metadata.name}`,
    namespace,
    name: p.metadata.name,
    labels: { ...(p.metadata.labels ?? {}) },
    ips: [...ips].filter(isIp),
    node: p.spec?.nodeName,
    hostIP: p.status?.hostIP && isIp(p.status.hostIP) ? p.status.hostIP : undefined,
    hostNetwork: p.spec?.hostNetwork === true,
    serviceAccount: p.spec?.serviceAccountName ?? 'default',
    namedPorts,
    declaredPorts,
  };
}

const nodeInfos = new WeakMap<K8sNode, NodeInfo>();

/** One NodeInfo per manifest object, as for pods: an unchanged node is the same object in the next build. */
function nodeInfo(n: K8sNode): NodeInfo {
  let info = nodeInfos.get(n);
  if (!info) {
    const ips = (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP').map((a) => a.address);
    nodeInfos.set(n, (info = { name: n.metadata.name, labels: { ...(n.metadata.labels ?? {}) }, ips: ips.filter(isIp) }));
  }
  return info;
}

function serviceInfo(s: K8sService): ServiceInfo {
  const namespace = s.metadata.namespace ?? 'default';
  const ips = new Set<string>();
  if (s.spec?.clusterIP && s.spec.clusterIP !== 'None') ips.add(s.spec.clusterIP);
  for (const ip of s.spec?.clusterIPs ?? []) if (ip !== 'None') ips.add(ip);
  return {
    id: `${namespace}/${s.metadata.name}`,
    namespace,
    name: s.metadata.name,
    clusterIPs: [...ips].filter(isIp),
    labels: { ...(s.metadata.labels ?? {}) },
    selector: s.spec?.selector,
    ports: (s.spec?.ports ?? []).map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** Build the cluster model. Pods of namespaces that no manifest declares get an implicit namespace. */
export function buildCluster(objects: readonly ApiObject[]): Cluster {
  const cluster: Cluster = {
    namespaces: new Map(), pods: [], podById: new Map(), nodes: [], services: [],
    cidrGroups: new Map(), podByIp: new Map(), nodeByIp: new Map(),
  };
  for (const o of objects) {
    switch (o.kind) {
      case 'Namespace': {
        const labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
        cluster.namespaces.set(o.metadata.name, { name: o.metadata.name, labels });
        break;
      }
      case 'Pod': {
        // PodInfo is a pure function of the manifest and never mutated: one object per manifest object,
        // so that a poller rebuilding the cluster for every change (the agent) pays only for changed pods.
        let info = podInfos.get(o);
        if (!info) podInfos.set(o, (info = podInfo(o)));
        cluster.pods.push(info);
        break;
      }
      case 'Node': cluster.nodes.push(nodeInfo(o)); break;
      case 'Service': cluster.services.push(serviceInfo(o)); break;
      case 'CiliumCIDRGroup': cluster.cidrGroups.set(o.metadata.name, cidrGroup(o)); break;
      default: break;
    }
  }
  for (const p of cluster.pods) {
    namespaceOf(cluster, p.namespace);
    cluster.podById.set(p.id, p);
    if (!p.hostNetwork) for (const ip of p.ips) cluster.podByIp.set(ip, p);
  }
  addImpliedNodes(cluster);
  for (const n of cluster.nodes) for (const ip of n.ips) cluster.nodeByIp.set(ip, n);
  return cluster;
}

/** Nodes that pods name (spec.nodeName, status.hostIP) but no Node manifest declares. */
function addImpliedNodes(cluster: Cluster): void {
  for (const p of cluster.pods) {
    if (!p.node && !p.hostIP) continue;
    const byName = p.node ? cluster.nodes.find((n) => n.name === p.node) : undefined;
    const byIp = p.hostIP ? cluster.nodes.find((n) => n.ips.includes(p.hostIP!)) : undefined;
    // A copy with the address: the NodeInfo of a manifest is shared between builds (nodeInfo) and never changed.
    if (byName && p.hostIP && !byName.ips.includes(p.hostIP)) cluster.nodes[cluster.nodes.indexOf(byName)] = { ...byName, ips: [...byName.ips, p.hostIP] };
    if (!byName && !byIp) cluster.nodes.push({ name: p.node ?? p.hostIP!, labels: {}, ips: p.hostIP ? [p.hostIP] : [] });
  }
}

function cidrGroup(g: CiliumCIDRGroup) {
  return { name: g.metadata.name, labels: { ...(g.metadata.labels ?? {}) }, cidrs: [...(g.spec?.externalCIDRs ?? [])] };
}

/** The namespace record of a pod (implicit namespaces included). */
export function podNamespace(cluster: Cluster, pod: PodInfo): NamespaceInfo {
  return namespaceOf(cluster, pod.namespace);
}
