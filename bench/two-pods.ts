import type {
  ApiObject, IPBlock, LabelSelector, Namespace, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Node, Pod,
} from '../src/api/types.js';
import { pick, rng, type Rand } from '../src/shared/random.js';

/**
 * The cluster of bench:dataplane: two measured pods (`shop/bench-client` → `shop/bench-server` on the
 * node `onNode` names) inside a crowd of pods and 1,000 NetworkPolicies with 10 peers each (10,000 peer
 * entries). Half of the policies are egress policies whose pod selector takes in the client with many
 * others, half are ingress policies that take in the server; no peer of theirs matches the measured
 * flows (TCP 80, and iperf3's 5201) except the very last peer of the last egress and of the last ingress
 * policy. So a linear chain (one rule per policy peer, in policy order) lets the flow through only at its
 * last rule. Deterministic (seeded).
 */

export const NAMESPACE = 'shop';
export const CLIENT = 'bench-client';
export const SERVER = 'bench-server';
export const PORT = 80;
/** iperf3's port: the allowing rules admit it too, for the throughput test. */
export const IPERF_PORT = 5201;

export interface TwoPodOptions {
  seed: number;
  pods: number;
  policies: number;
  peersPerPolicy: number;
  nodes: number;
  /** The node of the two measured pods (1-based), and their addresses (inside that node's pod CIDR). */
  node: number;
  clientIp: string;
  serverIp: string;
}

export const TWO_POD_DEFAULTS: TwoPodOptions = {
  seed: 4_242, pods: 1000, policies: 1000, peersPerPolicy: 10, nodes: 4, node: 1, clientIp: '10.244.0.2', serverIp: '10.244.0.3',
};

const APPS = Array.from({ length: 30 }, (_, i) => `app-${i}`);
const TIERS = ['front', 'back', 'data'] as const;
const OTHER_NS = Array.from({ length: 8 }, (_, i) => `ns-${i + 1}`);
const TEAMS = ['red', 'blue', 'green', 'gold'];
/** Ports the rules name; the measured flow uses 80, which many rules allow for other peers. */
const PORT_CHOICES: (NetworkPolicyPort[] | undefined)[] = [
  [{ port: 80, protocol: 'TCP' }], [{ port: 443, protocol: 'TCP' }], [{ port: 8080, protocol: 'TCP' }],
  [{ port: 5432, protocol: 'TCP' }], [{ port: 80, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }],
  [{ port: 8000, endPort: 8999, protocol: 'TCP' }], [{ port: 9090, protocol: 'TCP' }], [{ port: 53, protocol: 'UDP' }], undefined,
];
/** Partner and SaaS ranges outside the cluster, reused across policies as real ones are. */
const CIDR_POOL = Array.from({ length: 200 }, (_, k) => (k % 4 === 3
  ? `100.${64 + (k >> 2)}.${k & 255}.${(k * 7) & 255}/32`
  : `100.${64 + (k >> 2)}.${(k * 3) & 255}.0/24`));

function nodeObjects(n: number): Node[] {
  return Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1', kind: 'Node', metadata: { name: `node${i + 1}`, labels: { 'kubernetes.io/hostname': `node${i + 1}` } },
    spec: { podCIDR: `10.244.${i}.0/24` }, status: { addresses: [{ type: 'InternalIP', address: `10.0.0.${i + 1}` }] },
  }));
}

function pod(ns: string, name: string, labels: Record<string, string>, node: number, ip: string): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels },
    spec: { nodeName: `node${node}`, containers: [{ name: 'c', ports: [{ containerPort: PORT, protocol: 'TCP' }] }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: `10.0.0.${node}` },
  };
}

/** The crowd: half in the measured pods' namespace, spread round-robin over the nodes. */
function crowd(o: TwoPodOptions): Pod[] {
  const taken = new Set([o.clientIp, o.serverIp]);
  const next = Array.from({ length: o.nodes }, () => 2);
  const ipOn = (node: number) => {
    for (;;) {
      const k = next[node - 1]!++;
      if (k > 254) throw new Error(`node${node} is out of addresses`);
      const ip = `10.244.${node - 1}.${k}`;
      if (!taken.has(ip)) return ip;
    }
  };
  return Array.from({ length: o.pods - 2 }, (_, i) => {
    const k = i >> 1;
    const ns = i % 2 === 0 ? NAMESPACE : OTHER_NS[k % OTHER_NS.length]!;
    // Apps and versions independent of the namespace and of each other, so selectors rarely come out empty.
    const a = i % 2 === 0 ? (k * 7) % APPS.length : (Math.floor(k / OTHER_NS.length) * 7 + 3) % APPS.length;
    const version = `v${1 + (Math.floor(k / APPS.length) % 2)}`;
    const node = 1 + (i % o.nodes);
    return pod(ns, `${APPS[a]}-${i}`, { app: APPS[a]!, tier: TIERS[a % 3]!, version }, node, ipOn(node));
  });
}

/** A peer that can never match the measured flow: no measured pod carries an `app-N` label, and the CIDRs lie outside the cluster. */
function otherPeer(r: Rand): NetworkPolicyPeer {
  const roll = r();
  if (roll < 0.4) return { podSelector: { matchLabels: { app: pick(r, APPS) } } };
  if (roll < 0.55) return { podSelector: { matchLabels: { app: pick(r, APPS), version: pick(r, ['v1', 'v2']) } } };
  if (roll < 0.7) return { namespaceSelector: { matchLabels: { team: pick(r, TEAMS) } }, podSelector: { matchLabels: { app: pick(r, APPS) } } };
  if (roll < 0.75) return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': pick(r, OTHER_NS) } } };
  const ipBlock: IPBlock = { cidr: pick(r, CIDR_POOL) };
  if (ipBlock.cidr.endsWith('/24') && r() < 0.2) ipBlock.except = [ipBlock.cidr.replace(/\.0\/24$/, '.128/25')];
  return { ipBlock };
}

/** Selectors that take in the measured pod (`self`, with `tier`) among many others. */
function subject(r: Rand, self: string, tier: string): LabelSelector {
  const roll = r();
  if (roll < 0.3) return {};
  if (roll < 0.7) return { matchLabels: { tier } };
  return { matchExpressions: [{ key: 'app', operator: 'In', values: [self, ...Array.from({ length: 4 }, () => pick(r, APPS))] }] };
}

function policy(r: Rand, i: number, o: TwoPodOptions): NetworkPolicy {
  const last = i >= o.policies - 2;
  const egress = i % 2 === 0;
  const peers = Array.from({ length: o.peersPerPolicy }, () => otherPeer(r));
  // The rules: the peers split into one to three rules, each with its own ports.
  const cuts = 1 + Math.floor(r() * 3);
  const rules: { peers: NetworkPolicyPeer[]; ports: NetworkPolicyPort[] | undefined }[] = [];
  for (let k = 0; k < cuts; k++) {
    const part = peers.slice(Math.floor((k * peers.length) / cuts), Math.floor(((k + 1) * peers.length) / cuts));
    rules.push({ peers: part, ports: pick(r, PORT_CHOICES) });
  }
  if (last) {
    // The one peer that lets the measured flow through, last of all.
    rules[rules.length - 1]!.peers.pop();
    rules.push({ peers: [{ podSelector: { matchLabels: { app: egress ? SERVER : CLIENT } } }], ports: [{ port: PORT, protocol: 'TCP' }, { port: IPERF_PORT, protocol: 'TCP' }] });
  }
  const name = `${egress ? 'egress' : 'ingress'}-${i}`;
  const spec: NetworkPolicy['spec'] = egress
    ? { podSelector: subject(r, CLIENT, 'front'), policyTypes: ['Egress'], egress: rules.map((x) => ({ to: x.peers, ...(x.ports ? { ports: x.ports } : {}) })) }
    : { podSelector: subject(r, SERVER, 'back'), policyTypes: ['Ingress'], ingress: rules.map((x) => ({ from: x.peers, ...(x.ports ? { ports: x.ports } : {}) })) };
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: NAMESPACE }, spec };
}

/** The options with the measured pods on lab node `node` (addresses .2 and .3 of its pod CIDR). */
export function onNode(node: number, o: TwoPodOptions = TWO_POD_DEFAULTS): TwoPodOptions {
  return { ...o, node, clientIp: `10.244.${node - 1}.2`, serverIp: `10.244.${node - 1}.3` };
}

/** Every object, in a fixed order: namespaces, nodes, pods (the measured two first), policies. */
export function twoPodCluster(o: TwoPodOptions = TWO_POD_DEFAULTS): ApiObject[] {
  const r = rng(o.seed);
  const namespaces: Namespace[] = [NAMESPACE, ...OTHER_NS].map((name, i) => ({
    apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { team: i === 0 ? 'shop' : TEAMS[i % TEAMS.length]!, env: i % 3 === 0 ? 'prod' : 'staging' } },
  }));
  const measured = [
    pod(NAMESPACE, CLIENT, { app: CLIENT, tier: 'front', version: 'v1' }, o.node, o.clientIp),
    pod(NAMESPACE, SERVER, { app: SERVER, tier: 'back', version: 'v1' }, o.node, o.serverIp),
  ];
  const policies = Array.from({ length: o.policies }, (_, i) => policy(r, i, o));
  return [...namespaces, ...nodeObjects(o.nodes), ...measured, ...crowd(o), ...policies];
}
