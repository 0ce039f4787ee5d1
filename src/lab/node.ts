import { IoError } from '../shared/errors.js';
import { ip, ipBatch, ipJson } from './ip-command.js';
import { podCidr } from './ipam.js';
import { labContext, nodeIndex, nodeIp, nodeNetns, type LabContext } from './names.js';
import { killProcessesIn, netnsExists } from './netns.js';

/** A lab node: a network namespace that routes for its pods (docs/lab.md "Addresses"). */
export interface LabNode {
  /** `node1` … */
  readonly name: string;
  /** N of `nodeN`. */
  readonly index: number;
  /** `<prefix>-<name>` */
  readonly netns: string;
  /** `10.0.0.N`, on the netns' `lo`: the node's `host` entity. */
  readonly ip: string;
  /** `10.244.(N-1).0/24` */
  readonly podCidr: string;
}

/** Names and addresses of a node, without touching the kernel. */
export function labNode(node: string, ctx: LabContext = labContext()): LabNode {
  const index = nodeIndex(node);
  return { name: node, index, netns: nodeNetns(node, ctx.prefix), ip: nodeIp(node), podCidr: podCidr(index) };
}

// Forwarding on (the node routes for its pods), reverse-path filtering off (replies from other nodes arrive on
// fabric links the pod routes do not point to), IPv6 off (the lab is IPv4; no router solicitations on the links).
const NODE_SYSCTLS = [
  'net.ipv4.ip_forward=1',
  'net.ipv4.conf.all.rp_filter=0',
  'net.ipv4.conf.default.rp_filter=0',
  'net.ipv6.conf.all.disable_ipv6=1',
  'net.ipv6.conf.default.disable_ipv6=1',
];

/**
 * Create a node (netns `<prefix>-<node>`, `lo` up with `10.0.0.N/32`, forwarding on, rp_filter off).
 * Idempotent: an existing node is brought to the same state. Two `ip` processes.
 */
export async function createNode(node: string, ctx: LabContext = labContext()): Promise<LabNode> {
  const n = labNode(node, ctx);
  await ipBatch([
    ...(netnsExists(n.netns) ? [] : [['netns', 'add', n.netns]]),
    // `netns exec` inside `ip -batch` forks the command in the namespace: no extra process spawned from here.
    ['netns', 'exec', n.netns, 'sysctl', '-q', '-w', ...NODE_SYSCTLS],
  ]);
  await ipBatch([['link', 'set', 'lo', 'up'], ['addr', 'replace', `${n.ip}/32`, 'dev', 'lo']], { netns: n.netns });
  return n;
}

/**
 * Delete a node: kill the processes inside its netns (its agent), then remove the netns, which takes its
 * links with it (the host-side veths of its pods, its fabric links). Idempotent. Pod netns are left alone.
 */
export async function deleteNode(node: string, ctx: LabContext = labContext()): Promise<void> {
  const ns = nodeNetns(node, ctx.prefix);
  if (!netnsExists(ns)) return;
  await killProcessesIn([ns]);
  await ip(['netns', 'del', ns]);
}

/** Throws IoError unless the node's netns exists. */
export function requireNode(node: string, ctx: LabContext = labContext()): LabNode {
  const n = labNode(node, ctx);
  if (!netnsExists(n.netns)) throw new IoError(`node ${node} does not exist (no netns ${n.netns}): run \`podwall lab up\``);
  return n;
}

export interface LinkInfo {
  ifname: string;
  operstate?: string;
  flags?: string[];
  address?: string;
}

/** Links of a netns (`ip -j link show`). */
export function listLinks(netns: string): Promise<LinkInfo[]> {
  return ipJson<LinkInfo[]>(['link', 'show'], { netns });
}
