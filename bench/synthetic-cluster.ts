import type { ApiObject, ContainerPort, Labels, Namespace, Node, Pod } from '../src/api/types.js';
import { pick, rng, sample, type Rand } from '../src/shared/random.js';
import { syntheticPolicies } from './synthetic-policies.js';

/**
 * A deterministic synthetic cluster for benchmarks: namespaces owned by teams and environments, pods
 * of ~40 apps in three tiers, and a realistic mix of NetworkPolicies and Cilium policies over them.
 * Everything comes from one seeded PRNG, so a seed names a cluster.
 */

export const TIERS = ['front', 'back', 'data'] as const;
export type Tier = (typeof TIERS)[number];

export interface AppModel {
  name: string;
  tier: Tier;
  /** Container port named `http` (front/back) or the data store's client port (data). */
  port: number;
  portName: string;
  versioned: boolean;
}

const FRONT = ['web', 'frontend', 'storefront', 'checkout-ui', 'admin-ui', 'landing', 'docs', 'portal', 'gateway', 'edge-proxy'];
const BACK = [
  'api', 'auth', 'cart', 'catalog', 'checkout', 'payment', 'shipping', 'inventory', 'orders', 'search',
  'recommend', 'notify', 'billing', 'users', 'reviews', 'pricing', 'ledger', 'reports', 'scheduler', 'worker',
];
const DATA: [string, number][] = [
  ['postgres', 5432], ['mysql', 3306], ['redis', 6379], ['memcached', 11211], ['kafka', 9092],
  ['zookeeper', 2181], ['elasticsearch', 9200], ['mongodb', 27017], ['rabbitmq', 5672], ['etcd', 2379],
];

/** The 40-app vocabulary. Front ends listen on 80, back ends on 80 or 8080, so named ports matter at 80/TCP. */
export const APPS: readonly AppModel[] = [
  ...FRONT.map((name, i) => ({ name, tier: 'front' as const, port: i % 5 === 4 ? 8080 : 80, portName: 'http', versioned: i % 2 === 0 })),
  ...BACK.map((name, i) => ({ name, tier: 'back' as const, port: i % 2 === 0 ? 8080 : 80, portName: 'http', versioned: i % 3 !== 2 })),
  ...DATA.map(([name, port]) => ({ name, tier: 'data' as const, port, portName: 'client', versioned: false })),
];

export const TEAMS = ['payments', 'storefront', 'search', 'identity', 'platform', 'data', 'growth', 'logistics', 'ml', 'support', 'ads', 'core'];
export const ENVS = ['prod', 'staging', 'dev'] as const;

export interface NamespaceModel {
  name: string;
  team: string;
  env: (typeof ENVS)[number];
  apps: AppModel[];
  pods: number;
}

export interface NodeModel {
  name: string;
  ip: string;
  /** Third octet of the node's first /24 inside 10.244.0.0/16; each node owns a /21. */
  octet: number;
}

export interface ClusterModel {
  namespaces: NamespaceModel[];
  nodes: NodeModel[];
  /** The /24s of 10.244.0.0/16 that hold at least one pod (for ipBlocks that cover pod IPs). */
  podSubnets: string[];
}

export interface SyntheticOptions {
  seed: number;
  pods: number;
  namespaces: number;
  nodes: number;
  networkPolicies: number;
  ciliumPolicies: number;
  clusterwidePolicies: number;
}

export const DEFAULT_OPTIONS: SyntheticOptions = {
  seed: 20_240_611, pods: 10_000, namespaces: 100, nodes: 10, networkPolicies: 1300, ciliumPolicies: 690, clusterwidePolicies: 10,
};

function namespaceModels(r: Rand, o: SyntheticOptions): NamespaceModel[] {
  const weights = Array.from({ length: o.namespaces }, () => 0.4 + r() * 1.2);
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((o.pods * w) / total));
  for (let i = 0, left = o.pods - counts.reduce((a, b) => a + b, 0); left > 0; i++, left--) counts[i % counts.length]! += 1;
  const fronts = APPS.filter((a) => a.tier === 'front');
  const backs = APPS.filter((a) => a.tier === 'back');
  const datas = APPS.filter((a) => a.tier === 'data');
  return counts.map((pods, i) => {
    // Two well-known namespaces, as every real cluster has them: cluster DNS and monitoring.
    if (i === 0) return { name: 'kube-system', team: 'platform', env: 'prod', apps: [], pods };
    if (i === 1) return { name: 'monitoring', team: 'platform', env: 'prod', apps: [], pods };
    const team = TEAMS[i % TEAMS.length]!;
    const env = ENVS[Math.floor(i / TEAMS.length) % ENVS.length]!;
    const apps = [...sample(r, fronts, 1 + Math.floor(r() * 2)), ...sample(r, backs, 2 + Math.floor(r() * 4)), ...sample(r, datas, 1 + Math.floor(r() * 2))];
    return { name: `${team}-${env}-${i}`, team, env, apps, pods };
  });
}

function nodeObjects(o: SyntheticOptions): { models: NodeModel[]; objects: Node[] } {
  const models = Array.from({ length: o.nodes }, (_, k) => ({ name: `node-${k}`, ip: `10.0.0.${10 + k}`, octet: 8 * k }));
  const objects: Node[] = models.map((m) => ({
    apiVersion: 'v1', kind: 'Node', metadata: { name: m.name, labels: { 'kubernetes.io/hostname': m.name, 'topology.kubernetes.io/zone': `zone-${m.octet % 3}` } },
    spec: { podCIDR: `10.244.${m.octet}.0/21` },
    status: { addresses: [{ type: 'InternalIP', address: m.ip }] },
  }));
  return { models, objects };
}

/** Pod IPs: each node hands out addresses from its own /21 (8 × 254 hosts), as the host-local IPAM does. */
class Ipam {
  private readonly used: number[];
  readonly subnets = new Set<string>();
  constructor(private readonly nodes: readonly NodeModel[]) {
    this.used = nodes.map(() => 0);
  }

  next(node: number): string {
    const c = this.used[node]!++;
    if (c >= 8 * 254) throw new Error(`node ${node} ran out of pod IPs`);
    const third = this.nodes[node]!.octet + Math.floor(c / 254);
    this.subnets.add(`10.244.${third}.0/24`);
    return `10.244.${third}.${(c % 254) + 1}`;
  }
}

function hash5(r: Rand): string {
  return Math.floor(r() * 36 ** 5).toString(36).padStart(5, '0');
}

function podObject(r: Rand, ns: NamespaceModel, app: AppModel, k: number, ipam: Ipam, nodes: readonly NodeModel[]): Pod {
  const name = `${app.name}-${hash5(r)}-${k}`;
  const labels: Labels = { app: app.name, tier: app.tier };
  if (app.versioned && r() < 0.7) labels.version = pick(r, ['v1', 'v1', 'v2', 'v2', 'v3']);
  // StatefulSet-style or debugging labels that single a pod out: the worst case for pod classes.
  if (r() < 0.05) labels.instance = name;
  const ports: ContainerPort[] = [];
  if (r() < 0.92) ports.push({ name: app.portName, containerPort: app.port, protocol: 'TCP' });
  if (r() < 0.75) ports.push({ name: 'metrics', containerPort: 9090 });
  if (app.tier === 'back' && r() < 0.6) ports.push({ name: 'grpc', containerPort: 50051 });
  const node = Math.floor(r() * nodes.length);
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns.name, labels },
    spec: { nodeName: nodes[node]!.name, serviceAccountName: app.name, containers: [{ name: app.name, ports }] },
    status: { phase: 'Running', podIP: ipam.next(node), hostIP: nodes[node]!.ip },
  };
}

const SYSTEM_APPS: Record<string, AppModel[]> = {
  'kube-system': [
    { name: 'coredns', tier: 'back', port: 53, portName: 'dns', versioned: false },
    { name: 'metrics-server', tier: 'back', port: 443, portName: 'https', versioned: false },
  ],
  monitoring: [
    { name: 'prometheus', tier: 'back', port: 9090, portName: 'http', versioned: false },
    { name: 'grafana', tier: 'front', port: 80, portName: 'http', versioned: false },
  ],
};

function podObjects(r: Rand, namespaces: NamespaceModel[], ipam: Ipam, nodes: readonly NodeModel[]): Pod[] {
  const out: Pod[] = [];
  for (const ns of namespaces) {
    const apps = ns.apps.length > 0 ? ns.apps : SYSTEM_APPS[ns.name]!;
    for (let k = 0; k < ns.pods; k++) {
      // Skewed replica counts: the first apps of a namespace get most pods.
      const app = apps[Math.min(apps.length - 1, Math.floor(apps.length * r() * r()))]!;
      const pod = podObject(r, ns, app, k, ipam, nodes);
      if (app.name === 'coredns') {
        pod.metadata.labels!['k8s-app'] = 'kube-dns';
        pod.spec!.containers![0]!.ports = [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }];
      }
      out.push(pod);
    }
  }
  return out;
}

/**
 * Generate the cluster and its policies as plain API objects, in a fixed order (namespaces, nodes,
 * pods, policies).
 *
 * @example
 * const { objects } = syntheticCluster({ ...DEFAULT_OPTIONS, pods: 500 });
 * const engine = buildEngine(objects);
 */
export function syntheticCluster(opts: SyntheticOptions = DEFAULT_OPTIONS): { objects: ApiObject[]; model: ClusterModel } {
  const r = rng(opts.seed);
  const namespaces = namespaceModels(r, opts);
  const nodes = nodeObjects(opts);
  const ipam = new Ipam(nodes.models);
  const nsObjects: Namespace[] = namespaces.map((ns) => ({
    apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels: { team: ns.team, env: ns.env } },
  }));
  const pods = podObjects(r, namespaces, ipam, nodes.models);
  const model: ClusterModel = { namespaces, nodes: nodes.models, podSubnets: [...ipam.subnets].sort() };
  const policies = syntheticPolicies(r, model, opts);
  return { objects: [...nsObjects, ...nodes.objects, ...pods, ...policies], model };
}
