import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { podDirs } from './cleanup.js';
import { ipJson, runProcess } from './ip-command.js';
import { isLabLink, isLabNetns, isPodNetns, labContext, netnsNode, podNetns, type LabContext } from './names.js';
import { labNode, listLinks } from './node.js';
import { listNetns } from './netns.js';
import { podProcessState, type PodProcessState } from './supervisor.js';
import { worldStatus, type WorldStatus } from '../world/world.js';

/** `lab status`: what exists in the kernel for a prefix, read from the kernel (not from the store). */

export interface NodeStatus {
  name: string;
  netns: string;
  ip: string;
  podCidr: string;
  links: { name: string; up: boolean }[];
  /** Whether the nft table `inet podwall` exists in the node's netns. */
  nftTable: boolean;
  /** Whether the Service DNAT table `ip podwall_svc` exists there. */
  svcTable: boolean;
}

export interface PodStatus {
  netns: string;
  /** Known when the pod has a directory in the state dir. */
  namespace?: string;
  name?: string;
  /** The node whose netns holds the pod's host-side veth. */
  node?: string;
  hostIf?: string;
  /** Whether the host side is up (activated). */
  up: boolean;
  /** From the node's `<ip>/32 dev <hostIf>` route (present once activated). */
  ip?: string;
  process: PodProcessState;
}

export interface LabStatus {
  prefix: string;
  stateDir: string;
  stateDirExists: boolean;
  nodes: NodeStatus[];
  pods: PodStatus[];
  /** Links of the prefix in the root netns: should always be empty. */
  rootLinks: string[];
  /** Netns of the prefix that are neither a node, a pod nor the world. */
  otherNetns: string[];
  /** The simulated internet. */
  world: WorldStatus;
}

async function nftTables(netns: string): Promise<{ policy: boolean; svc: boolean }> {
  const r = await runProcess('ip', ['netns', 'exec', netns, 'nft', '-j', 'list', 'tables']);
  if (r.code !== 0) return { policy: false, svc: false };
  const doc = JSON.parse(r.stdout) as { nftables?: { table?: { family: string; name: string } }[] };
  const has = (family: string, name: string) => (doc.nftables ?? []).some((e) => e.table?.family === family && e.table.name === name);
  return { policy: has('inet', 'podwall'), svc: has('ip', 'podwall_svc') };
}

/** Read the lab of the prefix: per node 3 processes (links, routes, nft tables), plus one for root links. */
export async function labStatus(ctx: LabContext = labContext()): Promise<LabStatus> {
  const all = listNetns().filter((n) => isLabNetns(n, ctx.prefix));
  const names = new Map<string, { namespace: string; name: string }>();
  for (const dir of podDirs(ctx.stateDir)) {
    const base = basename(dir);
    const i = base.indexOf('_');
    const ref = { namespace: base.slice(0, i), name: base.slice(i + 1) };
    names.set(podNetns(ref.namespace, ref.name, ctx.prefix), ref);
  }
  const nodes: NodeStatus[] = [];
  const hostIfs = new Map<string, { node: string; up: boolean; ip?: string }>();
  for (const ns of all) {
    const node = netnsNode(ns, ctx.prefix);
    if (node === undefined) continue;
    const [links, routes, tables] = await Promise.all([
      listLinks(ns),
      ipJson<{ dst: string; dev?: string }[]>(['route', 'show'], { netns: ns }),
      nftTables(ns),
    ]);
    const n = labNode(node, ctx);
    const linkStates = links.filter((l) => l.ifname !== 'lo').map((l) => ({ name: l.ifname, up: (l.flags ?? []).includes('UP') }));
    for (const l of linkStates) {
      const route = routes.find((r) => r.dev === l.name && /^\d+\.\d+\.\d+\.\d+$/.test(r.dst));
      hostIfs.set(l.name, { node, up: l.up, ...(route ? { ip: route.dst } : {}) });
    }
    nodes.push({ name: node, netns: ns, ip: n.ip, podCidr: n.podCidr, links: linkStates, nftTable: tables.policy, svcTable: tables.svc });
  }
  const pods: PodStatus[] = all.filter((ns) => isPodNetns(ns, ctx.prefix)).map((ns) => {
    const ref = names.get(ns);
    const hostIf = `${ctx.prefix}${ns.slice(ctx.prefix.length + 2)}`;
    const h = hostIfs.get(hostIf);
    return {
      netns: ns,
      ...(ref ? { namespace: ref.namespace, name: ref.name } : {}),
      ...(h ? { node: h.node, hostIf, ...(h.ip ? { ip: h.ip } : {}) } : {}),
      up: h?.up ?? false,
      process: ref ? podProcessState(ref, ctx) : { state: 'not-started' },
    };
  });
  const rootLinks = (await ipJson<{ ifname: string }[]>(['link', 'show'])).map((l) => l.ifname).filter((l) => isLabLink(l, ctx.prefix));
  const world = await worldStatus(ctx);
  const otherNetns = all.filter((ns) => netnsNode(ns, ctx.prefix) === undefined && !isPodNetns(ns, ctx.prefix) && ns !== world.netns);
  return { prefix: ctx.prefix, stateDir: ctx.stateDir, stateDirExists: existsSync(ctx.stateDir), nodes, pods, rootLinks, otherNetns, world };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}

function processText(p: PodProcessState): string {
  switch (p.state) {
    case 'running': return `running (pid ${p.pid})`;
    case 'exited': return `exited (${p.exitCode})`;
    case 'terminated': return 'terminated';
    case 'not-started': return '-';
  }
}

/** Plain-text tables for `lab status`. */
export function formatLabStatusTxt(s: LabStatus): string {
  const lines = [`prefix ${s.prefix}, state dir ${s.stateDir}${s.stateDirExists ? '' : ' (missing)'}`];
  if (s.nodes.length === 0) lines.push('no nodes (run `podwall lab up`)');
  else {
    lines.push('', table([['NODE', 'NETNS', 'ADDRESS', 'POD CIDR', 'NFT TABLES', 'LINKS'], ...s.nodes.map((n) => [
      n.name, n.netns, n.ip, n.podCidr, [n.nftTable ? 'inet podwall' : '', n.svcTable ? 'ip podwall_svc' : ''].filter(Boolean).join(', ') || 'none',
      `${n.links.length} (${n.links.filter((l) => l.up).length} up)`,
    ])]));
  }
  if (s.pods.length) {
    lines.push('', table([['POD', 'NETNS', 'NODE', 'IP', 'LINK', 'PROCESS'], ...s.pods.map((p) => [
      p.name ? `${p.namespace}/${p.name}` : '?', p.netns, p.node ?? '-', p.ip ?? '-', p.up ? 'up' : 'down', processText(p.process),
    ])]));
  }
  if (s.world.exists) {
    const pid = (p: number | null) => (p === null ? 'not running' : `running (pid ${p})`);
    lines.push('', `world ${s.world.netns}: ${s.world.addresses} addresses; DNS ${s.world.dns.address} ${pid(s.world.dns.pid)}; web ${pid(s.world.web.pid)}; zone ${s.world.zone}`);
  }
  if (s.rootLinks.length) lines.push('', `links of the prefix in the root netns (unexpected): ${s.rootLinks.join(', ')}`);
  if (s.otherNetns.length) lines.push('', `other netns of the prefix: ${s.otherNetns.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
