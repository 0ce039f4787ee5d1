import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError, IoError, UsageError } from '../shared/errors.js';
import { removeLabObjects, removeLabState, type LabObjects } from './cleanup.js';
import { connectNodes } from './fabric.js';
import { labContext, MAX_NODES, nodeName, type LabContext } from './names.js';
import { createNode, type LabNode } from './node.js';
import { createWorld, defaultZoneFile, worldNetns } from '../world/world.js';
import { WORLD_DNS_ADDRESS } from '../world/dns-server.js';
import { CLUSTER_DNS_POD_IP, installClusterDns, routeServices } from './cluster-dns.js';
import { CLUSTER_DNS_IP } from './resolv.js';

/** `lab up` / `lab down`: the whole lab of one prefix (docs/lab.md). */

export type Progress = (line: string) => void;

/** Throws IoError (exit 4) unless running as root: netns, veth and nftables need CAP_NET_ADMIN. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new IoError('the lab needs root (network namespaces, veth links and nftables need CAP_NET_ADMIN): run it as root, e.g. with sudo');
  }
}

/** What `lab.json` in the state dir records about the running lab. */
export interface LabInfo {
  prefix: string;
  stateDir: string;
  nodes: LabNode[];
  /** The simulated internet (absent with `world: false`). */
  world?: { netns: string; dns: string; zone: string; names: number };
  createdAt: string;
}

function describe(found: LabObjects): string {
  const parts = [
    found.netns.length ? `${found.netns.length} netns` : '',
    found.rootLinks.length ? `${found.rootLinks.length} root links` : '',
    found.processes.length ? `${found.processes.length} processes` : '',
    found.pidFiles.length ? `${found.pidFiles.length} pid files` : '',
    found.resolvDirs.length ? `${found.resolvDirs.length} pod resolv.conf dirs` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'nothing';
}

/**
 * HOOK(agents): `lab up` starts one agent per node through `startAgents(stateDir, nodes)` of src/agent/launch.js,
 * only when that module exists (it belongs to the agent's authors). Returns whether agents were started.
 */
async function startAgentsIfAvailable(stateDir: string, nodes: LabNode[]): Promise<boolean> {
  const here = (ext: string): string => fileURLToPath(new URL(`../agent/launch.${ext}`, import.meta.url));
  if (!existsSync(here('js')) && !existsSync(here('ts'))) return false; // .ts: running from source (tests)
  // A computed specifier, so the build does not depend on a module that may not exist yet.
  const specifier = '../agent/launch.js';
  const mod = (await import(specifier)) as { startAgents?: (stateDir: string, nodes: LabNode[]) => unknown };
  if (typeof mod.startAgents !== 'function') throw new InternalError('src/agent/launch.js does not export startAgents(stateDir, nodes)');
  await mod.startAgents(stateDir, nodes);
  return true;
}

/**
 * Bring up a lab of `nodes` nodes: clear whatever the prefix left behind (a crashed run), create the state dir,
 * the nodes and the wires between them, then start the agents (when the agent module exists).
 */
export async function labUp(opts: { nodes: number; keepState?: boolean; startAgents?: boolean; world?: boolean; zoneFile?: string; onProgress?: Progress }, ctx: LabContext = labContext()): Promise<LabInfo> {
  requireRoot();
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_NODES) throw new UsageError(`--nodes must be 1 … ${MAX_NODES} (got ${opts.nodes})`);
  const say = opts.onProgress ?? (() => undefined);
  const t0 = performance.now();
  const found = await removeLabObjects(ctx);
  if (!opts.keepState) removeLabState(ctx);
  say(`removed leftovers of prefix ${ctx.prefix}: ${describe(found)}`);
  mkdirSync(join(ctx.stateDir, 'pods'), { recursive: true, mode: 0o755 });
  const nodes: LabNode[] = [];
  for (let i = 1; i <= opts.nodes; i++) {
    const n = await createNode(nodeName(i), ctx);
    nodes.push(n);
    say(`${n.name}: netns ${n.netns}, address ${n.ip}, pods ${n.podCidr}`);
  }
  if (nodes.length > 1) {
    await connectNodes(nodes.map((n) => n.name), ctx);
    say(`connected ${nodes.length} nodes (full mesh)`);
  }
  const info: LabInfo = { prefix: ctx.prefix, stateDir: ctx.stateDir, nodes, createdAt: new Date().toISOString() };
  if (opts.world !== false) {
    const zoneFile = opts.zoneFile ?? defaultZoneFile();
    const zone = await createWorld(nodes, zoneFile, ctx);
    info.world = { netns: worldNetns(ctx.prefix), dns: WORLD_DNS_ADDRESS, zone: zoneFile, names: zone.names.size };
    say(`world: ${info.world.netns}, DNS ${WORLD_DNS_ADDRESS} (${zone.names.size} names from ${zoneFile}), HTTPS/HTTP on every zone address, lab CA in ${ctx.stateDir}/world`);
  }
  writeFileSync(join(ctx.stateDir, 'lab.json'), `${JSON.stringify(info, null, 2)}\n`);
  if (opts.startAgents !== false) {
    const started = await startAgentsIfAvailable(ctx.stateDir, nodes);
    say(started ? 'agents started' : 'agents: not available yet (no src/agent/launch.ts), skipped');
    // The cluster DNS is a pod: it needs the agents (which make pods) and the world (which it forwards to).
    if (started && info.world) {
      const specifier = '../agent/launch.js';
      const { waitForAgent } = (await import(specifier)) as { waitForAgent: (dir: string, node: string, rev: number, ms?: number) => Promise<void> };
      await routeServices(nodes);
      await installClusterDns(nodes[0]!, ctx, (rev) => waitForAgent(ctx.stateDir, nodes[0]!.name, rev, 30_000));
      say(`cluster DNS: kube-system/kube-dns ${CLUSTER_DNS_IP} -> pod kube-system/coredns ${CLUSTER_DNS_POD_IP}, forwarding to the world`);
    }
  }
  say(`up in ${Math.round(performance.now() - t0)} ms (state in ${ctx.stateDir})`);
  return info;
}

/** Remove everything of the prefix (exact names) and, unless `keepState`, its state files. */
export async function labDown(opts: { keepState?: boolean; onProgress?: Progress } = {}, ctx: LabContext = labContext()): Promise<LabObjects> {
  requireRoot();
  const say = opts.onProgress ?? (() => undefined);
  const found = await removeLabObjects(ctx);
  say(`removed ${describe(found)} of prefix ${ctx.prefix}`);
  if (!opts.keepState) {
    const kept = removeLabState(ctx);
    say(kept.length ? `state removed; kept ${kept.join(', ')} (other files inside)` : `state removed (${ctx.stateDir})`);
  }
  return found;
}
