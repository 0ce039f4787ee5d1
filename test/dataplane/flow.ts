/**
 * Send one flow through the compiled firewalls of the nodes it crosses, as the kernel would: the
 * source pod's node (forward, or input when the destination is that node itself), then the
 * destination's node (forward into a pod, input into the node). A node's own traffic leaves through
 * output, where podwall has no chain. The reply (established) must pass the same way back.
 */
import type { Protocol } from '../../src/engine/cluster.js';
import type { Endpoint } from '../../src/engine/endpoint.js';
import type { Engine } from '../../src/engine/engine.js';
import { compileDetailed, type Compiled } from '../../src/dataplane/compile.js';
import type { Hook } from '../../src/dataplane/ruleset.js';
import { simulate, type Packet } from '../../src/dataplane/simulate.js';

/** Where unplaced pods (no nodeName, no hostIP: the k8s-e2e cluster) run. */
export const DEFAULT_NODE = 'node1';

export interface Firewalls {
  byNode: Map<string, Compiled>;
}

export function compileAll(engine: Engine): Firewalls {
  const names = new Set(engine.cluster.nodes.map((n) => n.name));
  for (const p of engine.cluster.pods) if (p.node) names.add(p.node);
  if (names.size === 0 || engine.cluster.pods.some((p) => !p.node && !p.hostIP)) names.add(DEFAULT_NODE);
  const byNode = new Map<string, Compiled>();
  for (const node of [...names].sort()) byNode.set(node, compileDetailed(engine, { node, enforcement: 'podwall' }));
  return { byNode };
}

function nodeOf(engine: Engine, ep: Endpoint): string | null {
  if (ep.kind === 'world') return null;
  if (ep.kind === 'node') return ep.name ?? engine.cluster.nodeByIp.get(ep.ip)?.name ?? null;
  const pod = ep.pod;
  if (pod.node) return pod.node;
  if (pod.hostIP) return engine.cluster.nodeByIp.get(pod.hostIP)?.name ?? pod.hostIP;
  return DEFAULT_NODE;
}

export interface SimFlow {
  allowed: boolean;
  /** Why not simulated (an endpoint without an IPv4 address), or null. */
  skipped: string | null;
  steps: { node: string; hook: Hook; verdict: string; comment: string }[];
}

const isPod = (e: Endpoint) => e.kind === 'pod';

/** The hooks a new connection passes, in order. */
function hops(engine: Engine, src: Endpoint, dst: Endpoint): { node: string; hook: Hook }[] {
  const a = nodeOf(engine, src);
  const b = nodeOf(engine, dst);
  const into = (node: string | null) => (node ? [{ node, hook: (isPod(dst) ? 'forward' : 'input') as Hook }] : []);
  if (isPod(src) && a) {
    if (dst.kind === 'node' && b === a) return [{ node: a, hook: 'input' }];
    return [{ node: a, hook: 'forward' }, ...(b !== a ? into(b) : [])];
  }
  if (src.kind === 'node' && a) return [{ node: a, hook: 'output' }, ...(b !== a ? into(b) : [])];
  return into(b);
}

export function simulateFlow(engine: Engine, fw: Firewalls, src: Endpoint, dst: Endpoint, port: number, protocol: Protocol): SimFlow {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(src.ip) || !/^\d+\.\d+\.\d+\.\d+$/.test(dst.ip)) {
    return { allowed: false, skipped: `no IPv4 address (${src.ip || '?'} -> ${dst.ip || '?'})`, steps: [] };
  }
  const proto = protocol.toLowerCase() as Packet['proto'];
  const steps: SimFlow['steps'] = [];
  const route = hops(engine, src, dst);
  for (const { node, hook } of route) {
    const c = fw.byNode.get(node);
    if (!c) continue;
    const r = simulate(c.ruleset, hook, { saddr: src.ip, daddr: dst.ip, proto, dport: port, ct: 'new' });
    steps.push({ node, hook, verdict: r.verdict, comment: r.comment });
    if (r.verdict === 'drop') return { allowed: false, skipped: null, steps };
  }
  // The reply travels back through the same nodes as an established connection: it must pass.
  for (const { node } of [...route].reverse()) {
    const c = fw.byNode.get(node);
    if (!c) continue;
    for (const hook of ['forward', 'input'] as const) {
      const r = simulate(c.ruleset, hook, { saddr: dst.ip, daddr: src.ip, proto, dport: 40000, ct: 'established' });
      if (r.verdict !== 'accept') throw new Error(`reply dropped at ${node}/${hook}: ${r.comment}`);
    }
  }
  return { allowed: true, skipped: null, steps };
}
