import type { Cluster, PodInfo, Protocol } from './cluster.js';
import { cidrContainsIp } from '../shared/ip.js';
import type { Peer, Policy } from './policy.js';

/**
 * Equivalence classes of pods for one port/protocol: pods with the same namespace, labels, service
 * account, position inside the policies' ipBlocks and named ports on that port are indistinguishable to
 * every rule, so one representative decides for all (Cilium's identities, extended by what K8s ipBlocks
 * and named ports can tell apart).
 */
export interface PodClasses {
  /** Pod index → class index. */
  classOf: Int32Array;
  /** Class index → representative pod. */
  reps: PodInfo[];
  /** Namespace → class indexes in it. */
  byNamespace: Map<string, number[]>;
}

function clusterCidrs(policies: readonly Policy[]): Extract<Peer, { type: 'cidr' }>[] {
  const seen = new Map<string, Extract<Peer, { type: 'cidr' }>>();
  for (const p of policies) {
    for (const r of p.rules) {
      for (const peer of r.peers) if (peer.type === 'cidr' && peer.selectsCluster && !seen.has(peer.text)) seen.set(peer.text, peer);
    }
  }
  return [...seen.values()];
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}

export function podClasses(cluster: Cluster, policies: readonly Policy[], port: number, protocol: Protocol): PodClasses {
  const cidrs = clusterCidrs(policies);
  const classOf = new Int32Array(cluster.pods.length);
  const reps: PodInfo[] = [];
  const byNamespace = new Map<string, number[]>();
  const index = new Map<string, number>();
  // Host-network pods are their node: each is a class of its own, and whether a node is a pod's own
  // (host) or another (remote-node) depends on where the pod runs, so the node joins the key.
  const anyHostNet = cluster.pods.some((p) => p.hostNetwork);
  cluster.pods.forEach((pod, i) => {
    const inCidr = cidrs.map((c) => (pod.ips.some((ip) => cidrContainsIp(c.cidr, ip) && !c.except.some((e) => cidrContainsIp(e, ip))) ? '1' : '0')).join('');
    const names = pod.namedPorts.filter((n) => n.port === port && n.protocol === protocol).map((n) => n.name).sort().join(',');
    const where = !anyHostNet ? '' : pod.hostNetwork ? `host:${pod.id}` : `node:${pod.node ?? pod.hostIP ?? ''}`;
    const key = `${pod.namespace}\u0000${labelKey(pod.labels)}\u0000${pod.serviceAccount}\u0000${where}\u0000${inCidr}\u0000${names}`;
    let c = index.get(key);
    if (c === undefined) {
      c = reps.length;
      index.set(key, c);
      reps.push(pod);
      const list = byNamespace.get(pod.namespace) ?? [];
      list.push(c);
      byNamespace.set(pod.namespace, list);
    }
    classOf[i] = c;
  });
  return { classOf, reps, byNamespace };
}
