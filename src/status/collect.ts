import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readStatus, statusPath } from '../agent/status.js';
import { dnsProxyFromPidFile, flowReaderStatus } from './adapters.js';
import type { Pod } from '../api/types.js';
import { runProcess } from '../lab/ip-command.js';
import type { LabInfo } from '../lab/lab.js';
import { nodeNetns, podNetns, type LabContext } from '../lab/names.js';
import { listNetns } from '../lab/netns.js';
import { openStore } from '../store/index.js';
import { worldStatus } from '../world/world.js';
import { COMPONENTS, processAlive, readComponentStatuses, type ComponentName, type ComponentStatus } from './component.js';
import { POLICY_KINDS, type AgentFacts, type PolicyKind, type StatusFacts, type StoreFacts } from './report.js';

/** `podwall status`, the I/O part: read the lab's state dir, store and kernel into StatusFacts. */

function labNodes(stateDir: string): string[] | null {
  try {
    const info = JSON.parse(readFileSync(join(stateDir, 'lab.json'), 'utf8')) as LabInfo;
    return info.nodes.map((n) => n.name);
  } catch {
    return null;
  }
}

function readStore(path: string): StoreFacts {
  if (!existsSync(path)) return { path, exists: false };
  try {
    const store = openStore(path);
    try {
      const snap = store.list();
      const policies = Object.fromEntries(POLICY_KINDS.map((k) => [k, 0])) as Record<PolicyKind, number>;
      const pods: NonNullable<StoreFacts['pods']> = [];
      for (const o of snap.objects) {
        if ((POLICY_KINDS as readonly string[]).includes(o.kind)) policies[o.kind as PolicyKind]++;
        if (o.kind === 'Pod') {
          const p = o as Pod;
          pods.push({
            namespace: p.metadata.namespace ?? 'default', name: p.metadata.name, hostNetwork: p.spec?.hostNetwork === true,
            ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}),
          });
        }
      }
      return { path, exists: true, revision: snap.revision, enforcement: snap.settings.networkPolicy, pods, policies };
    } finally {
      store.close();
    }
  } catch (err) {
    return { path, exists: true, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Whether the node's netns holds `inet podwall` (one `nft` process; root only). */
async function hasTable(netns: string): Promise<boolean> {
  const r = await runProcess('ip', ['netns', 'exec', netns, 'nft', '-j', 'list', 'tables']);
  if (r.code !== 0) return false;
  const doc = JSON.parse(r.stdout) as { nftables?: { table?: { family: string; name: string } }[] };
  return (doc.nftables ?? []).some((e) => e.table?.family === 'inet' && e.table.name === 'podwall');
}

export async function collectStatus(ctx: LabContext): Promise<StatusFacts> {
  const nodes = labNodes(ctx.stateDir);
  const store = readStore(join(ctx.stateDir, 'store.db'));
  const root = process.getuid?.() === 0;
  const netns = new Set(root || existsSync('/run/netns') ? listNetns() : []);
  const agents: AgentFacts[] = await Promise.all((nodes ?? []).map(async (node) => {
    const status = readStatus(statusPath(ctx.stateDir, node));
    const ns = nodeNetns(node, ctx.prefix);
    const nftTable = root && netns.has(ns) ? await hasTable(ns) : root ? false : null;
    return { node, status, alive: status ? processAlive(status.pid, /\x00agent\x00/) : false, nftTable };
  }));
  const components = Object.fromEntries(COMPONENTS.map((c) => [c, readComponentStatuses(ctx.stateDir, c)
    .map((s: ComponentStatus) => ({ status: s, alive: processAlive(s.pid) }))])) as StatusFacts['components'];
  // The flow reader runs inside the agent and reports in the agent's file: one instance per node that has no file of its own.
  for (const a of agents) {
    const reader = a.status ? flowReaderStatus(a.status) : undefined;
    if (reader && !components.flows.some((c) => c.status.node === a.node)) components.flows.push({ status: reader, alive: a.alive });
    const proxy = components.dnsproxy.some((c) => c.status.node === a.node) ? undefined : dnsProxyFromPidFile(ctx.stateDir, a.node);
    if (proxy) components.dnsproxy.push(proxy);
  }
  const world = !root ? null : nodes !== null ? await worldStatus(ctx)
    : { netns: `${ctx.prefix}-world`, exists: false, addresses: 0, dns: { address: '', pid: null }, web: { pid: null } };
  return {
    prefix: ctx.prefix, stateDir: ctx.stateDir, labNodes: nodes, store, agents, components, netns, world,
    podNetns: (namespace, name) => podNetns(namespace, name, ctx.prefix),
  };
}

export type { ComponentName };
