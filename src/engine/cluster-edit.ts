import type { Cluster, PodInfo } from './cluster.js';

/** A copy of the cluster with one pod replaced (same id), indexes rebuilt for it. */
export function buildClusterWithPod(cluster: Cluster, old: PodInfo, changed: PodInfo): Cluster {
  const pods = cluster.pods.map((p) => (p === old ? changed : p));
  const podById = new Map(cluster.podById);
  podById.set(changed.id, changed);
  const podByIp = new Map(cluster.podByIp);
  for (const ip of changed.ips) if (podByIp.get(ip) === old) podByIp.set(ip, changed);
  return { ...cluster, pods, podById, podByIp };
}
