import type { ApiObject, LabelSelector } from '../../src/api/types.js';
import { pick, rng } from '../../src/shared/random.js';

const APPS = ['web', 'db', 'api', 'cache'];
const TIERS = ['front', 'back'];

function selector(r: () => number): LabelSelector {
  const roll = r();
  if (roll < 0.2) return {};
  if (roll < 0.6) return { matchLabels: { app: pick(r, APPS) } };
  if (roll < 0.8) return { matchExpressions: [{ key: 'tier', operator: pick(r, ['In', 'NotIn'] as const), values: [pick(r, TIERS)] }] };
  return { matchExpressions: [{ key: 'app', operator: pick(r, ['Exists', 'DoesNotExist'] as const) }] };
}

function nsSelector(r: () => number): LabelSelector {
  return r() < 0.3 ? {} : { matchLabels: { team: pick(r, ['a', 'b']) } };
}

/** Random namespaces, pods (with named ports) and a mix of NetworkPolicies and CNPs, deterministic by seed. */
export function randomCluster(seed: number): ApiObject[] {
  const r = rng(seed);
  const out: ApiObject[] = [];
  const nss = ['n1', 'n2', 'n3'];
  for (const ns of nss) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { team: pick(r, ['a', 'b']) } } });
  for (const [name, address] of [['n1', '10.0.0.1'], ['n2', '10.0.0.2']]) {
    out.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: name!, labels: { zone: name! } }, status: { addresses: [{ type: 'InternalIP', address: address! }] } });
  }
  let ip = 10;
  for (let i = 0; i < 14; i++) {
    const labels: Record<string, string> = {};
    if (r() < 0.8) labels.app = pick(r, APPS);
    if (r() < 0.6) labels.tier = pick(r, TIERS);
    const node = pick(r, ['n1', 'n2']);
    // Some host-network pods: they carry their node's address and speak as the node.
    const hostNetwork = r() < 0.1;
    out.push({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: pick(r, nss), labels },
      spec: { nodeName: node, hostNetwork, containers: [{ ports: r() < 0.5 ? [{ name: 'http', containerPort: pick(r, [80, 8080]) }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] : [] }] },
      status: { podIP: hostNetwork ? (node === 'n1' ? '10.0.0.1' : '10.0.0.2') : `10.244.0.${ip++}`, hostIP: node === 'n1' ? '10.0.0.1' : '10.0.0.2' },
    });
  }
  const nPolicies = 1 + Math.floor(r() * 6);
  for (let i = 0; i < nPolicies; i++) out.push(r() < 0.5 ? netpol(r, i, pick(r, nss)) : cnp(r, i, pick(r, nss)));
  return out;
}

function k8sPorts(r: () => number) {
  const roll = r();
  if (roll < 0.4) return undefined;
  if (roll < 0.6) return [{ port: 'http' }];
  if (roll < 0.8) return [{ port: 70, endPort: 90, protocol: 'TCP' as const }];
  return [{ port: 53, protocol: 'UDP' as const }];
}

function netpol(r: () => number, i: number, ns: string): ApiObject {
  const peer = () => {
    const roll = r();
    if (roll < 0.35) return { podSelector: selector(r) };
    if (roll < 0.6) return { namespaceSelector: nsSelector(r) };
    if (roll < 0.8) return { podSelector: selector(r), namespaceSelector: nsSelector(r) };
    return { ipBlock: { cidr: '10.244.0.0/28', except: ['10.244.0.12/31'] } };
  };
  const rule = () => ({ ...(r() < 0.8 ? { from: [peer(), ...(r() < 0.3 ? [peer()] : [])] } : {}), ...(k8sPorts(r) ? { ports: k8sPorts(r) } : {}) });
  const types = pick(r, [undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']] as const);
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `np${i}`, namespace: ns },
    spec: {
      podSelector: selector(r),
      ...(types ? { policyTypes: [...types] } : {}),
      ingress: r() < 0.8 ? [rule()] : [],
      ...(r() < 0.5 ? { egress: [{ ...(r() < 0.8 ? { to: [peer()] } : {}), ...(k8sPorts(r) ? { ports: k8sPorts(r) } : {}) }] } : {}),
    },
  } as ApiObject;
}

function cnp(r: () => number, i: number, ns: string): ApiObject {
  const ports = () => (r() < 0.5 ? { toPorts: [{ ports: [{ port: pick(r, ['80', 'http', '53']), protocol: pick(r, ['TCP', 'UDP', 'ANY'] as const) }] }] } : {});
  const ep = () => (r() < 0.3 ? { matchLabels: { 'k8s:io.kubernetes.pod.namespace': pick(r, ['n1', 'n2', 'n3']) } } : selector(r));
  const ingress = () => (r() < 0.2 ? {} : r() < 0.2 ? { fromEntities: [entity()], ...ports() } : { fromEndpoints: [ep()], ...ports() });
  const entity = () => pick(r, ['cluster', 'world', 'all', 'host', 'remote-node']);
  const egress = () => (r() < 0.3 ? { toEntities: [entity()], ...ports() } : r() < 0.1 ? { toNodes: [{ matchLabels: { zone: 'n2' } }] } : { toEndpoints: [ep()], ...ports() });
  const kind = r() < 0.7 ? 'CiliumNetworkPolicy' : 'CiliumClusterwideNetworkPolicy';
  // Deny rules next to an allow-all, as Cilium's own connectivity tests pair them, so that denies decide.
  const allowAll = r() < 0.4;
  return {
    apiVersion: 'cilium.io/v2', kind, metadata: { name: `cnp${i}`, ...(kind === 'CiliumNetworkPolicy' ? { namespace: ns } : {}) },
    spec: {
      endpointSelector: selector(r),
      ...(r() < 0.7 || allowAll ? { ingress: [ingress(), ...(allowAll ? [{ fromEntities: ['all'] }] : [])] } : {}),
      ...(r() < 0.5 || allowAll ? { egress: [egress(), ...(allowAll ? [{ toEntities: ['all'] }] : [])] } : {}),
      ...(r() < (allowAll ? 0.8 : 0.3) ? { ingressDeny: [{ fromEndpoints: [selector(r)] }] } : {}),
      ...(r() < (allowAll ? 0.8 : 0.3) ? { egressDeny: [{ toEndpoints: [selector(r)], ...ports() }] } : {}),
    },
  } as ApiObject;
}
