import { IoError, UsageError } from '../shared/errors.js';
import { cidrContainsIp, parseCidr, parseIp } from '../shared/ip.js';
import { IpCommandError, ip, ipBatch } from './ip-command.js';
import { labNode, requireNode } from './node.js';
import { fabricLink, labContext, netnsNode, nodeIp, podHostIf, podMacs, podNetns, type LabContext } from './names.js';
import { killProcessesIn, listNetns, netnsExists } from './netns.js';
import { removePodResolvConf, writePodResolvConf } from './resolv.js';

/**
 * A pod's network: its own netns with `eth0` (`<ip>/32`), the other end of the veth in the node netns.
 * No ARP anywhere: both sides get static permanent neighbour entries (docs/lab.md "Addresses").
 */

/** The gateway every pod routes through: a link-local address the node side answers for by MAC only. */
export const POD_GATEWAY = '169.254.1.1';

export interface PodSpec {
  readonly namespace: string;
  readonly name: string;
  /** `node1` … */
  readonly node: string;
  /** The pod's IPv4 address (from `allocateIp`). */
  readonly ip: string;
}

export interface PodNet extends PodSpec {
  /** `<prefix>-p<hash8>` */
  readonly netns: string;
  /** `<prefix><hash8>`, in the node netns; DOWN until `activatePod`. */
  readonly hostIf: string;
  readonly podMac: string;
  readonly hostMac: string;
  readonly nodeNetns: string;
  readonly nodeIp: string;
}

/** Names, MACs and addresses of a pod's network, without touching the kernel. Throws UsageError for bad input. */
export function podNet(spec: PodSpec, ctx: LabContext = labContext()): PodNet {
  const p = parseIp(spec.ip);
  if (!p || p.family !== 4 || p.bytes.join('.') !== spec.ip) throw new UsageError(`pod IP must be a dotted-quad IPv4 address (got ${JSON.stringify(spec.ip)})`);
  const node = labNode(spec.node, ctx);
  const macs = podMacs(spec.namespace, spec.name);
  return {
    namespace: spec.namespace,
    name: spec.name,
    node: spec.node,
    ip: spec.ip,
    netns: podNetns(spec.namespace, spec.name, ctx.prefix),
    hostIf: podHostIf(spec.namespace, spec.name, ctx.prefix),
    podMac: macs.pod,
    hostMac: macs.host,
    nodeNetns: node.netns,
    nodeIp: node.ip,
  };
}

/**
 * Create the pod's netns and veth pair, fully addressed, with the host side DOWN: the pod cannot send or
 * receive until `activatePod` (fail closed: the caller writes the policy first). Two `ip` processes.
 * Throws IoError when the node does not exist or the pod's netns already does; a half-made pod is removed.
 */
export async function createPodNetwork(spec: PodSpec, ctx: LabContext = labContext()): Promise<PodNet> {
  const pod = podNet(spec, ctx);
  requireNode(pod.node, ctx);
  if (netnsExists(pod.netns)) throw new IoError(`pod network of ${pod.namespace}/${pod.name} already exists (netns ${pod.netns})`);
  try {
    await ipBatch([
      ['netns', 'add', pod.netns],
      // IPv6 off before eth0 exists, so eth0 inherits it from `default` and never gets a link-local address.
      ['netns', 'exec', pod.netns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'],
      // Both ends are created directly in their namespaces: nothing ever appears in the root netns.
      ['link', 'add', pod.hostIf, 'address', pod.hostMac, 'netns', pod.nodeNetns, 'type', 'veth', 'peer', 'name', 'eth0', 'address', pod.podMac, 'netns', pod.netns],
    ]);
    await ipBatch([
      ['link', 'set', 'lo', 'up'],
      ['addr', 'add', `${pod.ip}/32`, 'dev', 'eth0'],
      ['link', 'set', 'eth0', 'up'],
      ['neigh', 'replace', POD_GATEWAY, 'lladdr', pod.hostMac, 'dev', 'eth0', 'nud', 'permanent'],
      ['route', 'add', POD_GATEWAY, 'dev', 'eth0', 'scope', 'link'],
      ['route', 'add', 'default', 'via', POD_GATEWAY, 'dev', 'eth0'],
    ], { netns: pod.netns });
    writePodResolvConf(pod.netns, pod.namespace);
  } catch (err) {
    await deletePodNetwork(pod, ctx).catch(() => undefined);
    throw err;
  }
  return pod;
}

/** Node netns of the prefix other than the pod's own, with their node names. */
function otherNodes(pod: PodNet, ctx: LabContext): { node: string; netns: string }[] {
  return listNetns().flatMap((ns) => {
    const node = netnsNode(ns, ctx.prefix);
    return node !== undefined && node !== pod.node ? [{ node, netns: ns }] : [];
  });
}

/** Whether the pod's IP lies outside its node's pod CIDR (a manifest-chosen IP): other nodes then need a /32 route. */
function outsideNodeCidr(pod: PodNet, ctx: LabContext): boolean {
  return !cidrContainsIp(parseCidr(labNode(pod.node, ctx).podCidr)!, pod.ip);
}

/**
 * Bring the pod onto the network: the node's permanent neighbour entry for the pod MAC, the host side UP,
 * and `<ip>/32 dev <hostIf>` (a route needs its device up, so it is added here, not at creation).
 * One `ip` process, plus one per other node when the IP lies outside the node's CIDR.
 */
export async function activatePod(pod: PodNet, ctx: LabContext = labContext()): Promise<void> {
  await ipBatch([
    ['neigh', 'replace', pod.ip, 'lladdr', pod.podMac, 'dev', pod.hostIf, 'nud', 'permanent'],
    ['link', 'set', pod.hostIf, 'up'],
    ['route', 'replace', `${pod.ip}/32`, 'dev', pod.hostIf, 'src', pod.nodeIp],
  ], { netns: pod.nodeNetns });
  if (outsideNodeCidr(pod, ctx)) {
    for (const other of otherNodes(pod, ctx)) {
      await ipBatch([['route', 'replace', `${pod.ip}/32`, 'via', nodeIp(pod.node), 'dev', fabricLink(pod.node, ctx.prefix), 'onlink']], { netns: other.netns });
    }
  }
}

/** Take the pod off the network again (host side DOWN; the kernel drops the node's route with it). */
export async function deactivatePod(pod: PodNet): Promise<void> {
  await ip(['link', 'set', pod.hostIf, 'down'], { netns: pod.nodeNetns });
}

function ignoreMissing(err: unknown): void {
  if (err instanceof IpCommandError && /Cannot find device|No such process|No such file/.test(err.stderr)) return;
  throw err;
}

/**
 * Remove exactly the pod's objects: the processes in its netns, its veth pair (deleted from the node side,
 * which removes both ends at once, synchronously), its netns and, for a manifest-chosen IP, the /32 routes
 * on other nodes. Idempotent.
 */
export async function deletePodNetwork(spec: PodSpec | PodNet, ctx: LabContext = labContext()): Promise<void> {
  const pod = 'netns' in spec ? spec : podNet(spec, ctx);
  const podNsExists = netnsExists(pod.netns);
  if (podNsExists) await killProcessesIn([pod.netns]);
  if (netnsExists(pod.nodeNetns)) await ip(['link', 'del', pod.hostIf], { netns: pod.nodeNetns }).catch(ignoreMissing);
  if (podNsExists) await ip(['netns', 'del', pod.netns]).catch(ignoreMissing);
  removePodResolvConf(pod.netns);
  if (outsideNodeCidr(pod, ctx)) {
    for (const other of otherNodes(pod, ctx)) {
      await ip(['route', 'del', `${pod.ip}/32`], { netns: other.netns }).catch(ignoreMissing);
    }
  }
}
