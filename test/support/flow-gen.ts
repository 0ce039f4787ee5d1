import type { ApiObject } from '../../src/api/types.js';
import type { Flow, FlowEndpoint } from '../../src/flows/flow.js';
import { pick, rng } from '../../src/shared/random.js';

/**
 * Generated input for the UI's load test: a cluster of `pods` pods in namespaces of 50 with `policies`
 * NetworkPolicies, and `flows` flows between them (each pod talks to a few peers, some to world names),
 * deterministic by seed. Flows follow the contract of src/flows/flow.ts field for field.
 */
export interface GeneratedLoad {
  objects: ApiObject[];
  flows: Flow[];
}

const WORLD = ['example.com', 'api.github.com', 'blocked.com', 'registry.npmjs.org', 'pypi.org', 'cdn.example.net'];

export function generateLoad(seed: number, sizes: { pods: number; policies: number; flows: number; nodes?: number }): GeneratedLoad {
  const r = rng(seed);
  const nodes = sizes.nodes ?? 2;
  const nsCount = Math.ceil(sizes.pods / 50);
  const objects: ApiObject[] = [];
  const namespaces = Array.from({ length: nsCount }, (_, i) => `team-${String(i).padStart(2, '0')}`);
  for (const ns of namespaces) objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as ApiObject);
  const pods: FlowEndpoint[] = [];
  for (let i = 0; i < sizes.pods; i++) {
    const ns = namespaces[Math.floor(i / 50)]!;
    const app = `app${i % 10}`;
    const name = `${app}-${String(i).padStart(4, '0')}`;
    const ip = `10.244.${Math.floor(i / 250)}.${(i % 250) + 2}`;
    const node = `node${(i % nodes) + 1}`;
    objects.push({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app } },
      spec: { nodeName: node, containers: [{ name: 'c' }] },
      status: { podIP: ip, phase: 'Running' },
    } as ApiObject);
    pods.push({ ip, kind: 'pod', namespace: ns, pod: name, labels: [`app=${app}`], node });
  }
  for (let i = 0; i < sizes.policies; i++) {
    objects.push({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: { name: `allow-app${i % 10}-from-app${(i + 3) % 10}`, namespace: namespaces[i % nsCount]! },
      spec: {
        podSelector: { matchLabels: { app: `app${i % 10}` } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: `app${(i + 3) % 10}` } } }], ports: [{ port: 80, protocol: 'TCP' }] }],
      },
    } as ApiObject);
  }
  // Each pod has 3 peers (mostly in its namespace) and sometimes a world name.
  const peers = pods.map((_, i) => Array.from({ length: 3 }, () => {
    const sameNs = r() < 0.8;
    const base = sameNs ? Math.floor(i / 50) * 50 : Math.floor(r() * pods.length / 50) * 50;
    return Math.min(pods.length - 1, base + Math.floor(r() * 50));
  }));
  const t0 = Date.parse('2026-11-25T12:00:00.000Z');
  const seqs = new Map<string, number>();
  const flows: Flow[] = [];
  for (let k = 0; k < sizes.flows; k++) {
    const si = Math.floor(r() * pods.length);
    const src = pods[si]!;
    const toWorld = r() < 0.08;
    const dst: FlowEndpoint = toWorld
      ? (() => { const name = pick(r, WORLD); return { ip: `198.18.0.${WORLD.indexOf(name) + 10}`, kind: 'world', names: [name] } as FlowEndpoint; })()
      : pods[peers[si]![Math.floor(r() * 3)]!]!;
    const dropped = r() < 0.3;
    const node = (toWorld ? src.node : dst.node) ?? 'node1';
    const seq = seqs.get(node) ?? 0;
    seqs.set(node, seq + 1);
    const policy = { kind: 'NetworkPolicy' as const, namespace: dst.namespace ?? src.namespace!, name: `allow-app${k % 10}-from-app${(k + 3) % 10}`, direction: (toWorld ? 'egress' : 'ingress') as 'egress' | 'ingress' };
    flows.push({
      seq, time: new Date(t0 + k * 10).toISOString(), node, type: 'L3_L4',
      source: { ...src, port: 30000 + (k % 30000) }, destination: { ...dst, port: toWorld ? 443 : 80 },
      l4: { protocol: 'TCP', tcpFlags: ['SYN'] }, trafficDirection: toWorld ? 'EGRESS' : 'INGRESS',
      verdict: dropped ? 'DROPPED' : 'FORWARDED',
      ...(dropped ? { dropReason: 'POLICY_DENIED' as const } : {}),
      policies: [dropped ? { ...policy, action: 'deny' as const } : { ...policy, rule: 0, action: 'allow' as const }],
      reason: dropped ? `${policy.namespace}/${policy.name} isolates the destination and no rule allows it` : `${policy.namespace}/${policy.name} ingress rule 0 allows it`,
      ...(dropped ? { suggestion: `label pod ${src.namespace}/${src.pod} app=app${(k + 3) % 10}` } : {}),
    });
  }
  return { objects, flows };
}
