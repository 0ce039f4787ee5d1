import { ipBatch } from '../lab/ip-command.js';
import type { LabContext } from '../lab/names.js';
import type { LabNode } from '../lab/node.js';
import { netnsExists } from '../lab/netns.js';
import { POD_GATEWAY } from '../lab/pod-network.js';
import { IoError } from '../shared/errors.js';

/**
 * The simulated internet for live conformance runs: one network namespace `<prefix>-world` holding every
 * outside address the case folder names (each a /32 on its `lo`), wired to one node by a veth pair and
 * routed as the pods are: static permanent neighbours on both sides, no ARP. It has no route to anything
 * but the lab. `lab down` removes it with the rest of the prefix (it is a `<prefix>-…` netns).
 */

/** The node side answers for the world's gateway; the world side is reached through this next hop. */
const WORLD_NEXT_HOP = '169.254.2.1';
const WORLD_MAC = '02:77:6f:72:6c:64';
const NODE_MAC = '02:77:6f:72:6c:65';

export interface World {
  netns: string;
  /** The world's end of the wire, in the node's netns. */
  nodeIf: string;
  node: string;
  addresses: string[];
}

export function worldNetns(prefix: string): string {
  return `${prefix}-world`;
}

/** Create the world netns with `addresses` and route them from `node` (which must exist). */
export async function createWorld(node: LabNode, addresses: readonly string[], ctx: LabContext): Promise<World> {
  const netns = worldNetns(ctx.prefix);
  const nodeIf = `${ctx.prefix}-world`;
  if (netnsExists(netns)) throw new IoError(`${netns} already exists: run \`podwall lab down\` first`);
  await ipBatch([
    ['netns', 'add', netns],
    ['netns', 'exec', netns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'],
    ['link', 'add', nodeIf, 'address', NODE_MAC, 'netns', node.netns, 'type', 'veth', 'peer', 'name', 'eth0', 'address', WORLD_MAC, 'netns', netns],
  ]);
  await ipBatch([
    ['link', 'set', 'lo', 'up'],
    ...addresses.map((a) => ['addr', 'add', `${a}/32`, 'dev', 'lo']),
    ['link', 'set', 'eth0', 'up'],
    ['neigh', 'replace', POD_GATEWAY, 'lladdr', NODE_MAC, 'dev', 'eth0', 'nud', 'permanent'],
    ['route', 'add', POD_GATEWAY, 'dev', 'eth0', 'scope', 'link'],
    ['route', 'add', 'default', 'via', POD_GATEWAY, 'dev', 'eth0'],
  ], { netns });
  await ipBatch([
    ['link', 'set', nodeIf, 'up'],
    ['neigh', 'replace', WORLD_NEXT_HOP, 'lladdr', WORLD_MAC, 'dev', nodeIf, 'nud', 'permanent'],
    ...addresses.map((a) => ['route', 'replace', `${a}/32`, 'via', WORLD_NEXT_HOP, 'dev', nodeIf, 'onlink', 'src', node.ip]),
  ], { netns: node.netns });
  return { netns, nodeIf, node: node.name, addresses: [...addresses] };
}
