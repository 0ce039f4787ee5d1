import type { DnsAnswers } from '../api/hosts.js';
import type { ApiObject } from '../api/types.js';
import type { Cluster, Protocol } from '../engine/cluster.js';
import { isIp } from '../shared/ip.js';
import type { ConformanceCase } from './case.js';
import { expandProbe } from './engine-run.js';
import { caseLookups } from './case.js';

/**
 * Pure planning for live (dataplane) runs of conformance cases: where each flow starts and ends in the lab,
 * which probes the lab cannot make (and why), and what must listen where so that "denied" means dropped.
 */

/** A case folder as loaded: the cluster objects, the DNS answers of `world.hosts`, the cases. */
export interface SuiteData {
  dir: string;
  cluster: ApiObject[];
  answers: DnsAnswers;
  cases: ConformanceCase[];
}

/** One end of a live flow: a pod's netns, the node's netns (the `host` entity), or the simulated world. */
export type LiveEnd =
  | { kind: 'pod'; pod: string; ip: string }
  | { kind: 'host'; node: string; ip: string }
  | { kind: 'world'; ip: string };

/** Why a probe is not made. `sctp` ones are counted on their own: the kernel lacks the protocol. */
export interface SkipReason {
  kind: 'sctp' | 'dns' | 'service' | 'unsupported';
  reason: string;
}

export type FlowPlan = { ok: true; src: LiveEnd; dst: LiveEnd } | { ok: false; skip: SkipReason };

/** One asserted flow of a case, planned: step, endpoints as written, and how the lab makes it (or why not). */
export interface PlannedFlow {
  step: number;
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
  expected: boolean;
  plan: FlowPlan;
}

export const SKIP_SCTP: SkipReason = { kind: 'sctp', reason: 'SCTP: this kernel has no SCTP' };

export function endKey(e: LiveEnd): string {
  return e.kind === 'pod' ? `pod ${e.pod}` : `${e.kind} ${e.ip}`;
}

export function endText(e: LiveEnd): string {
  return e.kind === 'pod' ? e.pod : e.kind === 'host' ? `host ${e.node} (${e.ip})` : `world ${e.ip}`;
}


/** The addresses each pod learned through those lookups. */
function learnedIps(c: ConformanceCase, answers: DnsAnswers): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [pod, names] of caseLookups(c)) out.set(pod, new Set([...names].flatMap((n) => answers.get(n) ?? [])));
  return out;
}

function endOf(cluster: Cluster, text: string, other: string, labNodes: ReadonlySet<string>): LiveEnd | SkipReason {
  const node = (name: string | undefined, ip: string): LiveEnd | SkipReason =>
    name !== undefined && labNodes.has(name) ? { kind: 'host', node: name, ip } : { kind: 'unsupported', reason: `${text}: node ${name ?? ip} is not a lab node` };
  if (text === 'host') {
    const pod = cluster.podById.get(other);
    if (!pod) return { kind: 'unsupported', reason: `"host" needs a pod on the other end (${other})` };
    const n = cluster.nodes.find((x) => x.name === pod.node);
    return n ? node(n.name, n.ips[0] ?? '') : { kind: 'unsupported', reason: `${pod.id} runs on no known node` };
  }
  if (text.includes('/')) {
    const pod = cluster.podById.get(text);
    if (!pod) return { kind: 'unsupported', reason: `pod ${text} not found` };
    if (pod.hostNetwork) return { kind: 'unsupported', reason: `${text} is a host-network pod` };
    return { kind: 'pod', pod: pod.id, ip: pod.ips[0] ?? '' };
  }
  if (isIp(text)) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(text)) return { kind: 'unsupported', reason: `${text}: the lab is IPv4 only` };
    if (cluster.services.some((s) => s.clusterIPs.includes(text))) {
      return { kind: 'service', reason: `ClusterIP ${text}: the lab has no Service proxy` };
    }
    const pod = cluster.podByIp.get(text);
    if (pod) return pod.hostNetwork ? { kind: 'unsupported', reason: `${text} is a host-network pod` } : { kind: 'pod', pod: pod.id, ip: text };
    const n = cluster.nodeByIp.get(text);
    if (n) return node(n.name, text);
    return { kind: 'world', ip: text };
  }
  return { kind: 'dns', reason: `DNS name ${text}: needs the DNS proxy (not in the lab yet)` };
}

/**
 * A ClusterIP destination: the lab's nodes DNAT it to a backend (src/dataplane/services.ts), so the probe goes
 * to the ClusterIP and lands on the backend pod, whose servers answer (the end is that pod, reached at the
 * ClusterIP). Only a Service with exactly one backend and the same target port is probed: with several
 * backends the kernel picks one at random, and the expected verdict may differ per backend.
 */
function serviceEnd(cluster: Cluster, to: string, port: number | undefined, protocol: Protocol): LiveEnd | SkipReason | undefined {
  const svc = cluster.services.find((s) => s.clusterIPs.includes(to));
  if (!svc) return undefined;
  const skip = (why: string): SkipReason => ({ kind: 'service', reason: `ClusterIP ${to} (${svc.id}): ${why}` });
  const sel = svc.selector;
  const backends = sel ? cluster.pods.filter((p) => p.namespace === svc.namespace && !p.hostNetwork && Object.entries(sel).every(([k, v]) => p.labels[k] === v)) : [];
  if (backends.length !== 1) return skip(`${backends.length} backend pods; the lab probes Services with exactly one`);
  const sp = svc.ports.find((p) => p.port === port && p.protocol === protocol);
  if (!sp) return skip(`no port ${port}/${protocol}`);
  const target = typeof sp.targetPort === 'number' ? sp.targetPort : backends[0]!.namedPorts.find((n) => n.name === sp.targetPort)?.port;
  if (target !== port) return skip(`target port ${String(sp.targetPort)} differs from the port`);
  return { kind: 'pod', pod: backends[0]!.id, ip: to };
}

const isEnd = (x: LiveEnd | SkipReason): x is LiveEnd => x.kind === 'pod' || x.kind === 'host' || x.kind === 'world';

/** How the lab makes one flow, or why it cannot. `cluster` is the cluster as the lab runs it (pods placed). */
export function planFlow(
  cluster: Cluster, labNodes: ReadonlySet<string>, from: string, to: string, protocol: Protocol, learned?: ReadonlySet<string>, port?: number,
): FlowPlan {
  if (protocol === 'SCTP') return { ok: false, skip: SKIP_SCTP };
  const src = endOf(cluster, from, to, labNodes);
  if (!isEnd(src)) return { ok: false, skip: src };
  const dst = serviceEnd(cluster, to, port, protocol) ?? endOf(cluster, to, from, labNodes);
  if (!isEnd(dst)) return { ok: false, skip: dst };
  if (endKey(src) === endKey(dst) || (src.kind !== 'pod' && src.kind === dst.kind)) {
    return { ok: false, skip: { kind: 'unsupported', reason: `${from} -> ${to}: the traffic never leaves one network namespace` } };
  }
  if (dst.kind === 'world' && learned?.has(dst.ip)) {
    return { ok: false, skip: { kind: 'dns', reason: `${to}: the source resolved it first (dns: true); needs the DNS proxy` } };
  }
  return { ok: true, src, dst };
}

/** Every asserted flow of a case, in the order runCaseOnEngine reports them, each planned. */
export function planCase(c: ConformanceCase, cluster: Cluster, labNodes: ReadonlySet<string>, answers: DnsAnswers): PlannedFlow[] {
  const learned = learnedIps(c, answers);
  const out: PlannedFlow[] = [];
  c.steps.forEach((step, i) => {
    for (const p of step.probes) {
      for (const f of expandProbe(c, p)) {
        const plan = planFlow(cluster, labNodes, f.from, f.to, p.protocol, learned.get(f.from), p.port);
        out.push({ step: i, from: f.from, to: f.to, port: p.port, protocol: p.protocol, expected: f.expected, plan });
      }
    }
  });
  return out;
}

/** A port a destination must serve. */
export interface Listen {
  port: number;
  protocol: 'TCP' | 'UDP';
}

/** What must listen at each destination (by `endKey`) so that every planned probe reaches a server. */
export function listeners(flows: readonly PlannedFlow[]): Map<string, { end: LiveEnd; listen: Listen[] }> {
  const out = new Map<string, { end: LiveEnd; listen: Listen[] }>();
  for (const f of flows) {
    if (!f.plan.ok || (f.protocol !== 'TCP' && f.protocol !== 'UDP')) continue;
    const key = endKey(f.plan.dst);
    const entry = out.get(key) ?? { end: f.plan.dst, listen: [] };
    if (!entry.listen.some((l) => l.port === f.port && l.protocol === f.protocol)) entry.listen.push({ port: f.port, protocol: f.protocol });
    out.set(key, entry);
  }
  for (const e of out.values()) e.listen.sort((a, b) => a.port - b.port || (a.protocol < b.protocol ? -1 : 1));
  return out;
}

/**
 * A pod's command: one `agnhost serve-hostname` per port (TCP and/or UDP on it), all under one shell, or
 * `agnhost pause` when nothing is probed there. Each server logs "Serving on port N." once it listens.
 */
export function serverCommand(listen: readonly Listen[]): string[] {
  const ports = [...new Set(listen.map((l) => l.port))].sort((a, b) => a - b);
  if (ports.length === 0) return ['agnhost', 'pause'];
  const servers = ports.map((port) => {
    const flags = ['TCP', 'UDP'].filter((p) => listen.some((l) => l.port === port && l.protocol === p)).map((p) => `--${p.toLowerCase()}`);
    return `agnhost serve-hostname ${flags.join(' ')} --http=false --port ${port} &`;
  });
  return ['sh', '-c', `${servers.join(' ')} wait`];
}

/** World addresses the folder names (probe ends outside the cluster, and every answer of `world.hosts`). */
export function worldAddresses(flows: readonly PlannedFlow[], answers: DnsAnswers, cluster: Cluster): string[] {
  const ips = new Set<string>();
  for (const f of flows) {
    if (!f.plan.ok) continue;
    for (const e of [f.plan.src, f.plan.dst]) if (e.kind === 'world') ips.add(e.ip);
  }
  for (const list of answers.values()) {
    for (const ip of list) {
      if (/^\d+\.\d+\.\d+\.\d+$/.test(ip) && !cluster.podByIp.has(ip) && !cluster.nodeByIp.has(ip)) ips.add(ip);
    }
  }
  const num = (ip: string) => ip.split('.').reduce((n, b) => n * 256 + Number(b), 0);
  return [...ips].sort((a, b) => num(a) - num(b));
}
