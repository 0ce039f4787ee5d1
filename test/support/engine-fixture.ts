/**
 * Tiny clusters for engine unit tests: YAML text in, an Engine out, and `probe()` to ask for one flow's Decision
 * the way the conformance runner resolves `ns/pod`, IPs, `host` and DNS names (src/conformance/engine-run.ts).
 */
import { parseHosts, type DnsAnswers } from '../../src/api/hosts.js';
import { loadManifests } from '../../src/api/load.js';
import type { PodInfo, Protocol } from '../../src/engine/cluster.js';
import { buildEngine, type Engine, type EngineOptions } from '../../src/engine/engine.js';
import type { Decision } from '../../src/engine/evaluate.js';
import { resolveTarget } from '../../src/engine/target.js';

/** Indent-free helper: one Pod manifest. `ports` are named container ports `name:port/PROTO`. */
export function pod(
  id: string, ip: string, labels: Record<string, string>,
  opts: { node?: string; ports?: string[]; hostNetwork?: boolean } = {},
): string {
  const [namespace, name] = id.split('/') as [string, string];
  const ports = (opts.ports ?? []).map((p) => {
    const m = /^([^:]+):(\d+)\/(TCP|UDP|SCTP)$/.exec(p);
    if (!m) throw new Error(`bad port spec ${p}`);
    return `{name: ${m[1]}, containerPort: ${m[2]}, protocol: ${m[3]}}`;
  });
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}, labels: ${JSON.stringify(labels)}}
spec:
  nodeName: ${opts.node ?? 'node1'}
  hostNetwork: ${opts.hostNetwork === true}
  containers: [{name: main, ports: [${ports.join(', ')}]}]
status: {podIP: ${ip}}
`;
}

export function namespace(name: string, labels: Record<string, string> = {}): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${name}, labels: ${JSON.stringify(labels)}}
`;
}

export function node(name: string, ip: string, labels: Record<string, string> = {}): string {
  return `apiVersion: v1
kind: Node
metadata: {name: ${name}, labels: ${JSON.stringify(labels)}}
status: {addresses: [{type: InternalIP, address: ${ip}}]}
`;
}

/**
 * The default cluster: namespaces x (ns=x), y (ns=y) and kube-system; node1 (10.0.0.1) and node2 (10.0.0.2).
 * x/a, x/b, y/a, y/b on node1 (labels app=a / app=b); x/c on node2 (app=c); x/a and x/b name ports
 * http 80/TCP, dns 53/UDP, sctp 80/SCTP; x/h is a host-network pod (app=h) on node1;
 * kube-system/coredns (k8s-app=kube-dns, 10.0.9.53) backs the kube-dns Service 10.96.0.10.
 */
export const BASE_CLUSTER = [
  namespace('x', { ns: 'x' }),
  namespace('y', { ns: 'y' }),
  namespace('kube-system'),
  node('node1', '10.0.0.1', { zone: 'one' }),
  node('node2', '10.0.0.2', { zone: 'two' }),
  pod('x/a', '10.0.1.1', { app: 'a' }, { ports: ['http:80/TCP', 'dns:53/UDP', 'sig:80/SCTP'] }),
  pod('x/b', '10.0.1.2', { app: 'b' }, { ports: ['http:80/TCP', 'dns:53/UDP', 'sig:80/SCTP'] }),
  pod('x/c', '10.0.2.3', { app: 'c' }, { node: 'node2' }),
  pod('x/h', '10.0.0.1', { app: 'h' }, { hostNetwork: true }),
  pod('y/a', '10.0.1.11', { app: 'a' }),
  pod('y/b', '10.0.1.12', { app: 'b' }),
  pod('kube-system/coredns', '10.0.9.53', { 'k8s-app': 'kube-dns' }, { ports: ['dns:53/UDP', 'dns-tcp:53/TCP'] }),
  `apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec:
  clusterIP: 10.96.0.10
  selector: {k8s-app: kube-dns}
  ports: [{name: dns, port: 53, protocol: UDP, targetPort: 53}, {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}]
`,
].join('---\n');

/** World answers for FQDN tests (hosts format). */
export const WORLD_HOSTS = `
198.51.100.10 example.com
198.51.100.11 api.example.com
198.51.100.12 sub.api.example.com
198.51.100.20 google.com
198.51.100.30 blocked.com
`;

export function answersFrom(text: string = WORLD_HOSTS): DnsAnswers {
  const res = parseHosts(text, 'test.hosts');
  if (res.diagnostics.length) throw new Error(`bad hosts text: ${JSON.stringify(res.diagnostics)}`);
  return res.answers;
}

export interface FixtureOptions extends EngineOptions {
  /** Cluster manifests; default BASE_CLUSTER. */
  cluster?: string;
  /** Per pod id, the names it looked up (turned into `lookups`). */
  lookedUp?: Record<string, string[]>;
}

/** Build an engine from the cluster plus policy YAML (multi-document). Any load error fails the test (warnings do not). */
export function engine(policies: string, opts: FixtureOptions = {}): Engine {
  const text = [opts.cluster ?? BASE_CLUSTER, policies].filter((t) => t.trim() !== '').join('\n---\n');
  const loaded = loadManifests([{ file: 'test.yaml', text }]);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`fixture manifests do not load: ${JSON.stringify(errors)}`);
  const { cluster: _c, lookedUp, ...engineOpts } = opts;
  if (lookedUp) engineOpts.lookups = (p: PodInfo) => lookedUp[p.id] ?? [];
  return buildEngine(loaded.objects.map((o) => o.object), engineOpts);
}

/**
 * Decide one flow. `from`/`to` are `ns/pod`, an IP, `host` (the node of the pod on the other end) or, for `to`,
 * a DNS name resolved through the engine's answers. A ClusterIP stands for its (first) backend pod.
 */
export function probe(e: Engine, from: string, to: string, port: number, protocol: Protocol = 'TCP'): Decision {
  const fromPod = e.cluster.podById.get(from);
  const toPod = e.cluster.podById.get(to);
  const src = resolveTarget(e.cluster, from, e.answers, toPod);
  const dst = resolveTarget(e.cluster, to, e.answers, fromPod, port, protocol);
  const s = src.endpoints[0];
  const d = dst.endpoints[0];
  if (src.error || dst.error || !s || !d) throw new Error(`cannot resolve ${from} -> ${to}: ${src.error ?? dst.error ?? 'no endpoint'}`);
  return e.evaluate({ src: s.endpoint, dst: d.endpoint, port: d.port ?? port, protocol });
}

/** The PodInfo of `id` (for engine.dns.outcome). */
export function podOf(e: Engine, id: string): PodInfo {
  const p = e.cluster.podById.get(id);
  if (!p) throw new Error(`no pod ${id}`);
  return p;
}

/** Shorthand for a NetworkPolicy manifest in namespace `ns` with a YAML `spec` body (indented by 2). */
export function netpol(ns: string, name: string, spec: string): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: ${ns}}
spec:
${indent(spec)}
`;
}

/** Shorthand for a CiliumNetworkPolicy (ns given) or CiliumClusterwideNetworkPolicy (ns null). */
export function cnp(ns: string | null, name: string, spec: string): string {
  const kind = ns === null ? 'CiliumClusterwideNetworkPolicy' : 'CiliumNetworkPolicy';
  const meta = ns === null ? `{name: ${name}}` : `{name: ${name}, namespace: ${ns}}`;
  return `apiVersion: cilium.io/v2
kind: ${kind}
metadata: ${meta}
spec:
${indent(spec)}
`;
}

function indent(body: string): string {
  const lines = body.replace(/^\n+|\s+$/g, '').split('\n');
  const min = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => `  ${l.slice(min)}`).join('\n');
}

/** Join manifests into one multi-document text. */
export function docs(...manifests: string[]): string {
  return manifests.join('---\n');
}
