import { join } from 'node:path';
import type { ApiObject } from '../api/types.js';
import { openStore } from '../store/index.js';
import { IoError } from '../shared/errors.js';
import { WORLD_DNS_ADDRESS } from '../world/dns-server.js';
import type { LabContext } from './names.js';
import type { LabNode } from './node.js';
import { CLUSTER_DNS_IP } from './resolv.js';
import { ipBatch, ipJson } from './ip-command.js';
import { podLogs, podProcessState } from './supervisor.js';
import { waitFor } from './wait.js';

/**
 * The lab's cluster DNS, as a cluster has it: the Service kube-system/kube-dns (ClusterIP 10.96.0.10, 53/UDP
 * and 53/TCP) backed by a real pod kube-system/coredns (k8s-app=kube-dns) on node1 at 10.244.0.53 (the
 * address the conformance clusters give it), running `podwall cluster-dns`. The node agents' Service DNAT
 * takes 10.96.0.10 to the pod; pods' resolv.conf points at 10.96.0.10 (src/lab/resolv.ts).
 */

export const CLUSTER_DNS_POD = { namespace: 'kube-system', name: 'coredns' } as const;
export const CLUSTER_DNS_POD_IP = '10.244.0.53';
const LABELS = { 'k8s-app': 'kube-dns' };

/** The DNS pod's command: `podwall cluster-dns` reading the lab's store. */
export function clusterDnsArgv(storePath: string): string[] {
  return ['podwall.js', 'cluster-dns', '--store', storePath, '--upstream', WORLD_DNS_ADDRESS];
}

/** What the DNS pod logs once it serves. */
export const CLUSTER_DNS_READY = 'cluster dns: serving';

/** Pure: the objects `lab up` applies. */
export function clusterDnsObjects(node: LabNode, storePath: string): ApiObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' } } },
    {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { ...CLUSTER_DNS_POD, labels: LABELS },
      spec: {
        nodeName: node.name,
        containers: [{
          name: 'coredns', image: 'podwall',
          command: clusterDnsArgv(storePath),
          ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }],
        }],
      },
      status: { phase: 'Running', hostIP: node.ip, podIP: CLUSTER_DNS_POD_IP, podIPs: [{ ip: CLUSTER_DNS_POD_IP }] },
    },
    {
      apiVersion: 'v1', kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels: LABELS },
      spec: {
        clusterIP: CLUSTER_DNS_IP, selector: LABELS,
        ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 }],
      },
    },
  ] as unknown as ApiObject[];
}

/** The Service range (docs/lab.md "Addresses"). */
export const SERVICE_CIDR = '10.96.0.0/12';
/** The link in each node netns that Service addresses are routed to (see `routeServices`). */
export const SERVICE_LINK = 'svc0';
const SERVICE_PEER = 'svc1';

/**
 * Give each node a route for the Service range, to a sink: a node's own packets to a ClusterIP need a route
 * before the nat output hook can DNAT them (the nodes have no default route); what no Service rule rewrites
 * goes to the sink and is dropped, never leaving the node. The sink is a veth pair inside the node whose other
 * end stays down (this kernel has no dummy links): the route is used ("linkdown"), the packets are dropped.
 * Pods' packets are DNATed in prerouting and need none of this. Idempotent.
 */
export async function routeServices(nodes: readonly LabNode[]): Promise<void> {
  for (const n of nodes) {
    const links = await ipJson<{ ifname: string }[]>(['link', 'show'], { netns: n.netns });
    await ipBatch([
      ...(links.some((l) => l.ifname === SERVICE_LINK) ? [] : [['link', 'add', SERVICE_LINK, 'type', 'veth', 'peer', 'name', SERVICE_PEER]]),
      ['link', 'set', SERVICE_LINK, 'up'],
      ['route', 'replace', SERVICE_CIDR, 'dev', SERVICE_LINK, 'src', n.ip],
    ], { netns: n.netns });
  }
}

/** Apply the cluster DNS objects, wait for node1's agent and for the server to serve. */
export async function installClusterDns(node: LabNode, ctx: LabContext, waitApplied: (revision: number) => Promise<void>): Promise<void> {
  const storePath = join(ctx.stateDir, 'store.db');
  const store = openStore(storePath);
  let revision: number;
  try {
    revision = store.apply(clusterDnsObjects(node, storePath));
  } finally {
    store.close();
  }
  await waitApplied(revision);
  await waitFor(() => {
    if (podLogs(CLUSTER_DNS_POD, ctx).includes(CLUSTER_DNS_READY)) return true;
    const st = podProcessState(CLUSTER_DNS_POD, ctx);
    if (st.state === 'exited') throw new IoError(`the cluster DNS pod ended (exit ${st.exitCode}):\n${podLogs(CLUSTER_DNS_POD, ctx).trim()}`);
    return false;
  }, { timeoutMs: 15_000, what: 'the cluster DNS (kube-system/coredns) to serve' });
}
