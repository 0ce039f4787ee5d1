import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiObject, Pod } from '../api/types.js';
import { waitForLab } from '../cli/lab-sync.js';
import type { LabInfo } from '../lab/lab.js';
import { ipJson } from '../lab/ip-command.js';
import { nodeNetns, type LabContext } from '../lab/names.js';
import { netnsExists } from '../lab/netns.js';
import { schedulePods } from '../lab/schedule.js';
import { podEnv, podLogs, podProcessState, type PodRef } from '../lab/supervisor.js';
import { waitFor } from '../lab/wait.js';
import { ProberClient } from '../live/prober-client.js';
import { IoError } from '../shared/errors.js';
import { dnsProxyFromPidFile } from '../status/adapters.js';
import { processAlive, readComponentStatuses } from '../status/component.js';
import type { ObjectKey, Store } from '../store/index.js';
import { ECHO_PORT, ECHO_PORT_2, WORLD_PORT, type PodName, type Requirement } from './scenarios.js';

/**
 * What `connectivity test` puts into the running lab: namespace <ns> with client, client2 and echo (serving
 * 8080 named http, and 8081), namespace <ns>-other with echo-other (on another node when there is one), and
 * a server on the client's node address (the host entity). Everything goes through the store, as `podwall
 * apply` would, and is removed by deleting the two namespaces.
 */

export interface Deployment {
  namespace: string;
  otherNamespace: string;
  pods: Record<PodName | 'echo' | 'echo-other', PodRef & { ip: string; node: string }>;
  host: { node: string; ip: string };
  /** An address of the simulated internet, when the lab has one. */
  worldIp?: string;
  have: Set<Requirement>;
  stop(): Promise<void>;
}

export function readLab(ctx: LabContext): LabInfo {
  const path = join(ctx.stateDir, 'lab.json');
  if (!existsSync(path)) throw new IoError(`no lab runs on ${ctx.stateDir} (prefix ${ctx.prefix}): start one with \`podwall lab up\``);
  return JSON.parse(readFileSync(path, 'utf8')) as LabInfo;
}

const serve = (ports: number[]): string[] =>
  ['sh', '-c', `${ports.map((p) => `agnhost serve-hostname --tcp --http=false --port ${p} &`).join(' ')} wait`];

function pod(name: string, namespace: string, labels: Record<string, string>, node: string, ports: number[]): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: {
      nodeName: node,
      containers: [{
        name: 'main', image: 'registry.k8s.io/e2e-test-images/agnhost:2.52',
        command: ports.length ? serve(ports) : ['agnhost', 'pause'],
        ...(ports.length ? { ports: ports.map((p, i) => ({ containerPort: p, protocol: 'TCP', ...(i === 0 ? { name: 'http' } : {}) })) } : {}),
      }],
    } as unknown as Pod['spec'],
  };
}

/** The test's pods (without addresses: the lab's scheduler gives them); echo-other on `otherNode`. */
export function testPods(namespace: string, other: string, node: string, otherNode: string): Pod[] {
  return [
    pod('client', namespace, { kind: 'client', name: 'client' }, node, []),
    pod('client2', namespace, { kind: 'client', name: 'client2', other: 'client' }, node, []),
    pod('echo', namespace, { kind: 'echo', name: 'echo' }, node, [ECHO_PORT, ECHO_PORT_2]),
    pod('echo-other', other, { kind: 'echo', name: 'echo-other' }, otherNode, [ECHO_PORT]),
  ];
}

export function testNamespaces(namespace: string, other: string): ApiObject[] {
  return [namespace, other].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'app.kubernetes.io/part-of': 'podwall-connectivity-test' } } }));
}

export function namespaceKeys(namespace: string, other: string): ObjectKey[] {
  return [{ kind: 'Namespace', name: namespace }, { kind: 'Namespace', name: other }];
}

/** Delete the test's namespaces (and with them its pods and policies) if they exist; wait for the agents. */
export async function removeNamespaces(store: Store, namespace: string, other: string): Promise<boolean> {
  const keys = namespaceKeys(namespace, other);
  const present = store.list().objects.some((o) => o.kind === 'Namespace' && keys.some((k) => k.name === o.metadata.name));
  if (!present) return false;
  await waitForLab(store.location, store.delete(keys), 60_000);
  return true;
}

/**
 * The simulated internet is the netns `<prefix>-world` (docs/lab.md), whatever creates it. Its target is the
 * first address that accepts WORLD_PORT, tried from the node (whose own traffic no policy governs); failing
 * that, the first address (a refusal then still shows that the rules let the packet through).
 */
async function worldAddress(prefix: string, fromNode: ProberClient): Promise<string | undefined> {
  const netns = `${prefix}-world`;
  if (!netnsExists(netns)) return undefined;
  const links = await ipJson<{ addr_info?: { family: string; local: string }[] }[]>(['-4', 'addr', 'show', 'dev', 'lo'], { netns });
  const all = links.flatMap((l) => l.addr_info ?? []).map((a) => a.local).filter((a) => a.startsWith('198.18.') || a.startsWith('198.19.'));
  const tried = await Promise.all(all.slice(0, 16).map((host) => fromNode.request({ op: 'probe', protocol: 'TCP', host, port: WORLD_PORT, timeoutMs: 500 })));
  return all[tried.findIndex((r) => r.outcome === 'connected')] ?? all[0];
}

function dnsProxyRunning(stateDir: string, nodes: readonly string[]): boolean {
  return readComponentStatuses(stateDir, 'dnsproxy').some((s) => s.state !== 'failed' && processAlive(s.pid))
    || nodes.some((n) => dnsProxyFromPidFile(stateDir, n)?.alive === true);
}

export async function deploy(store: Store, ctx: LabContext, namespace: string, say: (line: string) => void): Promise<Deployment> {
  const lab = readLab(ctx);
  const other = `${namespace}-other`;
  if (await removeNamespaces(store, namespace, other)) say(`removed namespaces ${namespace}, ${other} left by an earlier run`);
  const [n1, n2] = [lab.nodes[0]!, lab.nodes[1] ?? lab.nodes[0]!];
  const wanted = testPods(namespace, other, n1.name, n2.name);
  const placed = schedulePods(wanted, store.list().objects);
  if (!placed.ok) throw new IoError(`cannot schedule ${placed.pod}: ${placed.message}`);
  const revision = store.apply([...testNamespaces(namespace, other), ...placed.pods]);
  say(`namespaces ${namespace}, ${other}: 4 pods on ${[...new Set([n1.name, n2.name])].join(', ')}`);
  const prober = { client: undefined as ProberClient | undefined };
  const stop = async () => {
    await prober.client?.stop();
  };
  try {
    await waitForLab(store.location, revision, 60_000);
    const refs = Object.fromEntries(placed.pods.map((p) => [p.metadata.name, {
      namespace: p.metadata.namespace!, name: p.metadata.name, ip: p.status!.podIP!, node: p.spec!.nodeName!,
    }])) as Deployment['pods'];
    await waitFor(() => ([['echo', [ECHO_PORT, ECHO_PORT_2]], ['echo-other', [ECHO_PORT]]] as const).every(([name, ports]) => {
      const ref = refs[name];
      const state = podProcessState(ref, ctx);
      if (state.state === 'exited') throw new IoError(`pod ${ref.namespace}/${ref.name} ended (exit ${state.exitCode}): ${podLogs(ref, ctx).trim().split('\n').slice(-3).join(' | ')}`);
      const log = podLogs(ref, ctx);
      return ports.every((p) => log.includes(`Serving on port ${p}.`));
    }), { timeoutMs: 30_000, what: 'the echo pods to serve' });
    // The host entity: a server on the client's node address, inside the node's netns.
    prober.client = await ProberClient.start(nodeNetns(n1.name, ctx.prefix), podEnv({ namespace: 'lab', name: n1.name }));
    const served = await prober.client.request({ op: 'serve', protocol: 'TCP', host: n1.ip, port: ECHO_PORT });
    if (served.outcome !== 'serving') throw new IoError(`cannot serve ${n1.ip}:${ECHO_PORT} in ${n1.netns}: ${served.detail ?? served.outcome}`);
    const worldIp = await worldAddress(ctx.prefix, prober.client);
    const have = new Set<Requirement>([...(worldIp ? ['world' as const] : []), ...(dnsProxyRunning(ctx.stateDir, [n1.name]) ? ['dns-proxy' as const] : [])]);
    say(`echo servers ready; host server on ${n1.ip}:${ECHO_PORT}; world: ${worldIp ?? 'none'}; DNS proxy: ${have.has('dns-proxy') ? 'running' : 'none'}`);
    return { namespace, otherNamespace: other, pods: refs, host: { node: n1.name, ip: n1.ip }, ...(worldIp ? { worldIp } : {}), have, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
