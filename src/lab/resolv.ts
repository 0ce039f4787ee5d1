import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPodNetns } from './names.js';

/**
 * Each pod's resolv.conf, as a kubelet writes it for `dnsPolicy: ClusterFirst`: the cluster DNS Service,
 * Kubernetes' search domains and ndots:5. It lives at /etc/netns/<pod netns>/resolv.conf, which
 * `ip netns exec` (how every pod process and `podwall exec` runs) bind-mounts over /etc/resolv.conf.
 */

export const ETC_NETNS = '/etc/netns';
/** The kube-dns Service's ClusterIP (docs/lab.md). */
export const CLUSTER_DNS_IP = '10.96.0.10';
export const CLUSTER_DOMAIN = 'cluster.local';

/** Pure: the file's text for a pod of `namespace`. */
export function resolvConf(namespace: string): string {
  return [
    `nameserver ${CLUSTER_DNS_IP}`,
    `search ${namespace}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}`,
    'options ndots:5',
    '',
  ].join('\n');
}

export function podResolvConfPath(netns: string): string {
  return join(ETC_NETNS, netns, 'resolv.conf');
}

export function writePodResolvConf(netns: string, namespace: string): void {
  mkdirSync(join(ETC_NETNS, netns), { recursive: true, mode: 0o755 });
  writeFileSync(podResolvConfPath(netns), resolvConf(namespace), { mode: 0o644 });
}

/** Remove the pod's file and its directory (only when empty: someone else's files stay). Idempotent. */
export function removePodResolvConf(netns: string): void {
  rmSync(podResolvConfPath(netns), { force: true });
  try {
    rmdirSync(join(ETC_NETNS, netns));
  } catch {
    // absent, or holds other files
  }
}

/** The /etc/netns directories of the prefix's pods (left by a crashed run, or still in use). */
export function listPodResolvDirs(prefix: string): string[] {
  if (!existsSync(ETC_NETNS)) return [];
  return readdirSync(ETC_NETNS).filter((n) => isPodNetns(n, prefix));
}
