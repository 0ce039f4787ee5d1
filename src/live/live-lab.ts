import { join } from 'node:path';
import { waitForAgent } from '../agent/launch.js';
import type { ApiObject, Pod } from '../api/types.js';
import { listeners, planCase, serverCommand, worldAddresses, endKey, type Listen, type LiveEnd, type PlannedFlow, type SuiteData } from '../conformance/live-plan.js';
import { CLUSTER_DNS_POD, CLUSTER_DNS_READY, clusterDnsArgv } from '../lab/cluster-dns.js';
import type { ConformanceCase } from '../conformance/case.js';
import { buildCluster } from '../engine/cluster.js';
import { labUp, type LabInfo } from '../lab/lab.js';
import { labContext, nodeNetns, podNetns, type LabContext } from '../lab/names.js';
import type { LabNode } from '../lab/node.js';
import { placePods } from '../lab/schedule.js';
import { podEnv, podLogs, podProcessState } from '../lab/supervisor.js';
import { waitFor } from '../lab/wait.js';
import { keyOf, openStore, type Store } from '../store/index.js';
import { IoError, UsageError } from '../shared/errors.js';
import { ProberClient } from './prober-client.js';
import type { ProberProtocol, ProberReply } from './prober.js';
import { addWorldAddresses, worldNetns } from '../world/world.js';

/**
 * The lab a live conformance run works in: the folder's cluster on one node (every pod on node1 at its
 * `status.podIP`, serving what the folder's probes need), the world netns for outside addresses, and one
 * prober per probing network namespace. Built once per folder; cases only change policies and labels.
 */

export const LIVE_NODE = 'node1';
const WORLD_WEB_PORTS = [80, 443];

export interface LiveLab {
  ctx: LabContext;
  store: Store;
  node: LabNode;
  /** The cluster objects as the store holds them at the start of every case (pods placed, with commands). */
  baseline: ApiObject[];
  /** Every selected case's flows, planned. */
  plans: Map<ConformanceCase, PlannedFlow[]>;
  probe(src: LiveEnd, dst: LiveEnd, port: number, protocol: ProberProtocol, timeoutMs: number): Promise<ProberReply>;
  waitApplied(revision: number): Promise<void>;
  close(): Promise<void>;
}

type Say = (line: string) => void;

/** The agents take the prefix from the environment (src/agent/launch.ts passes it on): it must be the run's. */
function checkEnvironment(ctx: LabContext): void {
  const env = labContext();
  if (env.prefix !== ctx.prefix || env.stateDir !== ctx.stateDir) {
    throw new UsageError(`the lab's agents read PODWALL_LAB_PREFIX/PODWALL_STATE_DIR (${env.prefix}, ${env.stateDir}); `
      + `they must name the run's lab (${ctx.prefix}, ${ctx.stateDir})`);
  }
}

function withCommand(pod: Pod, argv: string[], node: LabNode): Pod {
  const [first, ...rest] = pod.spec?.containers ?? [];
  const container = { ...(first ?? { name: 'main' }), command: argv };
  return {
    ...pod,
    spec: { ...pod.spec, nodeName: node.name, containers: [container, ...rest] } as Pod['spec'],
    status: { ...pod.status, phase: 'Running', hostIP: node.ip },
  };
}

/** The folder's objects for the lab: every pod on the node; a Node object of the lab's node is the lab's own. */
function labObjects(cluster: readonly ApiObject[], node: LabNode): ApiObject[] {
  return cluster
    .filter((o) => !(o.kind === 'Node' && o.metadata.name === node.name))
    .map((o) => (o.kind === 'Pod' ? withCommand(o, ['agnhost', 'pause'], node) : o));
}

/**
 * The folder's cluster DNS pod (kube-system, k8s-app=kube-dns) runs the lab's cluster DNS, as in `lab up`,
 * when only its port 53 is probed: the prober's UDP probes to port 53 are DNS queries, which it answers.
 */
function runsClusterDns(o: ApiObject, listen: readonly Listen[]): boolean {
  return o.kind === 'Pod' && o.metadata.namespace === CLUSTER_DNS_POD.namespace && o.metadata.labels?.['k8s-app'] === 'kube-dns'
    && listen.every((l) => l.port === 53);
}

function netnsOf(end: LiveEnd, ctx: LabContext): string {
  if (end.kind === 'host') return nodeNetns(end.node, ctx.prefix);
  if (end.kind === 'world') return worldNetns(ctx.prefix);
  const [ns, name] = end.pod.split('/') as [string, string];
  return podNetns(ns, name, ctx.prefix);
}

function envOf(end: LiveEnd): NodeJS.ProcessEnv {
  if (end.kind === 'pod') {
    const [namespace, name] = end.pod.split('/') as [string, string];
    return podEnv({ namespace, name, ip: end.ip });
  }
  return podEnv({ namespace: 'lab', name: end.kind === 'host' ? end.node : 'world' });
}

/** Wait until every pod's servers log that they listen; a pod whose process ended is an error with its log. */
async function waitServers(ctx: LabContext, pods: { id: string; ready: string[] }[]): Promise<void> {
  await waitFor(() => pods.every(({ id, ready }) => {
    const [namespace, name] = id.split('/') as [string, string];
    const ref = { namespace, name };
    const state = podProcessState(ref, ctx);
    if (state.state === 'exited') throw new IoError(`pod ${id} ended (exit ${state.exitCode}) before serving:\n${podLogs(ref, ctx).trim().split('\n').slice(-5).join('\n')}`);
    const log = podLogs(ref, ctx);
    return ready.every((line) => log.includes(line));
  }), { timeoutMs: 30_000, what: 'the pods\' servers to listen' });
}

/** Build the lab for `cases` of `suite`: lab up, cluster in the store, servers, world, probers. */
export async function buildLiveLab(suite: SuiteData, cases: readonly ConformanceCase[], ctx: LabContext, say: Say): Promise<LiveLab> {
  checkEnvironment(ctx);
  const info: LabInfo = await labUp({ nodes: 1, onProgress: (l) => say(`lab up: ${l}`) }, ctx);
  const node = info.nodes[0]!;
  const store = openStore(join(ctx.stateDir, 'store.db'));
  const probers = new Map<string, ProberClient>();
  const close = async (): Promise<void> => {
    await Promise.all([...probers.values()].map((p) => p.stop()));
    store.close();
  };
  try {
    const existing = store.list().objects;
    // Placed first (a pod without an address gets one), planned on the placed cluster, then given its servers.
    const placed = placePods(labObjects(suite.cluster, node), existing);
    if (!placed.ok) throw new IoError(`cannot place pod ${placed.pod}: ${placed.message}`);
    // The folder's objects replace the lab's own of the same name (its kube-system/coredns, kube-dns).
    const key = (o: ApiObject) => JSON.stringify(keyOf(o));
    const replaced = new Set(placed.objects!.map(key));
    const cluster = buildCluster([...existing.filter((o) => !replaced.has(key(o))), ...placed.objects!]);
    const plans = new Map(cases.map((c) => [c, planCase(c, cluster, new Set([node.name]), suite.answers)]));
    const flows = [...plans.values()].flat();
    const listen = listeners(flows);
    const storePath = join(ctx.stateDir, 'store.db');
    const listenOf = (o: ApiObject) => listen.get(`pod ${o.metadata.namespace ?? 'default'}/${o.metadata.name}`)?.listen ?? [];
    const baseline = placed.objects!.map((o) => (o.kind === 'Pod'
      ? withCommand(o, runsClusterDns(o, listenOf(o)) ? clusterDnsArgv(storePath) : serverCommand(listenOf(o)), node) : o));
    const t0 = performance.now();
    const revision = store.apply(baseline);
    await waitForAgent(ctx.stateDir, node.name, revision, 60_000);
    const dnsPods = new Set(baseline.filter((o) => o.kind === 'Pod' && runsClusterDns(o, listenOf(o))).map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
    const pods = [...listen.values()].flatMap(({ end, listen: l }) => (end.kind === 'pod'
      ? [{ id: end.pod, ready: dnsPods.has(end.pod) ? [CLUSTER_DNS_READY] : [...new Set(l.map((x) => x.port))].map((p) => `Serving on port ${p}.`) }] : []));
    await waitServers(ctx, pods);
    say(`pods: ${cluster.pods.length} running on ${node.name}, ${pods.length} serving (${Math.round(performance.now() - t0)} ms)`);

    const world = worldAddresses(flows, suite.answers, cluster);
    if (world.length > 0) {
      await addWorldAddresses([node], world, ctx);
      say(`world: ${worldNetns(ctx.prefix)} also holds ${world.join(', ')}`);
    }
    // One prober per network namespace that sends probes or serves for the node or the world.
    const ends = new Map<string, LiveEnd>();
    for (const f of flows) {
      if (!f.plan.ok) continue;
      ends.set(netnsOf(f.plan.src, ctx), f.plan.src);
      if (f.plan.dst.kind !== 'pod') ends.set(netnsOf(f.plan.dst, ctx), f.plan.dst);
    }
    await Promise.all([...ends].map(async ([netns, end]) => probers.set(netns, await ProberClient.start(netns, envOf(end)))));
    for (const { end, listen: l } of listen.values()) {
      if (end.kind === 'pod') continue;
      for (const x of l) {
        // The world's own web servers listen on every world address on TCP 80 and 443 (lab up).
        if (end.kind === 'world' && x.protocol === 'TCP' && WORLD_WEB_PORTS.includes(x.port)) continue;
        const r = await probers.get(netnsOf(end, ctx))!.request({ op: 'serve', protocol: x.protocol, host: end.ip, port: x.port });
        if (r.outcome !== 'serving') throw new IoError(`cannot serve ${x.port}/${x.protocol} on ${endKey(end)}: ${r.detail ?? r.outcome}`);
      }
    }
    say(`probers: ${probers.size} started`);
    return {
      ctx, store, node, baseline, plans, close,
      probe: (src, dst, port, protocol, timeoutMs) => probers.get(netnsOf(src, ctx))!.request({
        op: 'probe', protocol, host: dst.ip, port, timeoutMs, ...(src.kind === 'world' ? { source: src.ip } : {}),
      }),
      waitApplied: (rev) => waitForAgent(ctx.stateDir, node.name, rev, 30_000),
    };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
