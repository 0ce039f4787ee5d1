import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiObject, NetworkPolicy, Pod } from '../src/api/types.js';
import { podStateDir, type LabContext } from '../src/lab/names.js';
import { DEFAULT_OPTIONS, syntheticCluster } from './synthetic-cluster.js';

/**
 * The desired state of bench:apply: the synthetic cluster of bench/engine.ts scaled to 998 pods and 998
 * policies on the lab's two nodes, plus namespace `bench` with two real pods (client on node1, server on
 * node2) and the two policies whose changes the benchmark times: `default-deny` (ingress) and
 * `allow-client` (server ← pods with role=client, TCP 80).
 */

export const BENCH_NS = 'bench';
export const CLIENT = 'client';
export const SERVER = 'server';
export const PORT = 80;
export const CLIENT_IP = '10.244.0.2';
export const SERVER_IP = '10.244.1.2';

export interface ApplyCluster {
  /** Every object, for one store write. */
  objects: ApiObject[];
  /** The synthetic pods (no real netns): what the agents must believe they already run. */
  crowd: Pod[];
  policies: number;
}

/** `allow-client` with the peer selecting role=`role` (`client`: the measured flow is allowed). */
export function allowPolicy(role: string): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-client', namespace: BENCH_NS },
    spec: { podSelector: { matchLabels: { app: SERVER } }, ingress: [{ from: [{ podSelector: { matchLabels: { role } } }], ports: [{ port: PORT, protocol: 'TCP' }] }] },
  };
}

function realPod(name: string, labels: Record<string, string>, node: number, ip: string, command: string[]): Pod {
  const container = { name, command, ports: [{ containerPort: PORT, protocol: 'TCP' as const }] };
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: BENCH_NS, labels },
    spec: { nodeName: `node${node}`, containers: [container] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: `10.0.0.${node}` },
  };
}

/**
 * The synthetic cluster moved onto the lab: its nodes `node-K` become `node(K+1)` (10.0.0.(K+1)), its
 * addresses (pods and the ipBlocks over pod subnets) move up 16 /24s so that the lab nodes' own pod
 * CIDRs (10.244.0.0/24, 10.244.1.0/24) hold only the real pods. The lab's Node objects stay as they are.
 */
export function applyCluster(httpd: string, total = 1000): ApplyCluster {
  const synthetic = total - 2;
  const cnps = Math.round((DEFAULT_OPTIONS.ciliumPolicies / 2000) * synthetic);
  const { objects } = syntheticCluster({
    ...DEFAULT_OPTIONS, pods: synthetic, namespaces: Math.round(total / 100), nodes: 2,
    networkPolicies: synthetic - cnps - 1, ciliumPolicies: cnps, clusterwidePolicies: 1,
  });
  const moved = JSON.parse(JSON.stringify(objects.filter((o) => o.kind !== 'Node')).replace(/"10\.244\.(\d+)\./g, (_, o: string) => `"10.244.${Number(o) + 16}.`)
    .replace(/"node-(\d+)"/g, (_, k: string) => `"node${Number(k) + 1}"`).replace(/"10\.0\.0\.1(\d)"/g, (_, k: string) => `"10.0.0.${Number(k) + 1}"`)) as ApiObject[];
  const crowd = moved.filter((o): o is Pod => o.kind === 'Pod');
  const bench: ApiObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: BENCH_NS, labels: { team: 'bench', env: 'bench' } } },
    realPod(CLIENT, { app: CLIENT, role: CLIENT }, 1, CLIENT_IP, ['sleep', 'infinity']),
    realPod(SERVER, { app: SERVER }, 2, SERVER_IP, [httpd, String(PORT)]),
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace: BENCH_NS }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
    allowPolicy(CLIENT),
  ];
  const policies = moved.filter((o) => o.kind.endsWith('NetworkPolicy')).length + 2;
  return { objects: [...moved, ...bench], crowd, policies };
}

/**
 * Make the agents take the synthetic pods as already running: the state a node's agent keeps per pod
 * (`pods/<ns>_<name>/{node,spec.json}`, src/agent/pods.ts), without a netns or a process. Their
 * addresses still go into every ruleset, which is what the benchmark needs of them; 998 real pods
 * would need 998 network namespaces and processes on a 2-core machine.
 */
export function adoptCrowd(ctx: LabContext, crowd: readonly Pod[]): void {
  for (const p of crowd) {
    const namespace = p.metadata.namespace ?? 'default';
    const dir = podStateDir(ctx, namespace, p.metadata.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'node'), `${p.spec!.nodeName}\n`);
    const local = { key: `${namespace}/${p.metadata.name}`, namespace, name: p.metadata.name, ip: p.status!.podIP!, argv: ['agnhost', 'pause'] };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(local));
  }
}
