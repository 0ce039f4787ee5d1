import type { Cluster, NodeInfo, PodInfo } from '../engine/cluster.js';
import { isLocalNode, podEndpoint, type Endpoint } from '../engine/endpoint.js';
import type { Peer, Policy } from '../engine/policy.js';
import { parseCidr } from '../shared/ip.js';
import { byPolicies, referencedPortNames } from './ports.js';
import { reallocate } from './allocate.js';
import { ipv4Number, ipv4Text, prefixRange } from './ruleset.js';

/** The lab's pod address space (docs/lab.md): addresses in it that no pod holds are unknown, and dropped. */
export const DEFAULT_POD_CIDR = '10.244.0.0/16';

export const IDENTITY_KINDS = ['host', 'pod', 'remote', 'world'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/**
 * What one node's firewall can tell apart. Every address of an identity gets the same verdict from
 * every rule, so the representative endpoint decides for all of them.
 */
export interface Identity {
  /** Small positive integer, the packet/conntrack mark; 0 means unknown. */
  id: number;
  kind: IdentityKind;
  /**
   * What makes it this identity (a pod class's key, the node's name and address, a world cell's CIDR
   * memberships): equal keys in two passes mean every rule sees the identity alike (src/dataplane/incremental.ts).
   */
  key: string;
  /** For comments and explanations: `node node1`, `demo/server (+2)`, `world 0.0.0.0-9.255.255.255`. */
  label: string;
  rep: Endpoint;
  /** Pod classes of pods on this node (the only subjects this node enforces), and the host. */
  local: boolean;
}

export interface IpInterval {
  from: number;
  to: number;
  /** 0: an address in the pod CIDR that no pod holds. */
  id: number;
}

export interface Identities {
  node: string;
  /**
   * Sorted by id. Allocated afresh, `list[i].id === i + 1`; allocated after a previous ruleset
   * (`IdentityOptions.previous`), ids may have holes (freed ids no address maps to).
   */
  list: Identity[];
  /** The largest id in `list`: bit sets over identities have `maxId + 1` bits. */
  maxId: number;
  hostId: number;
  /** Sorted, disjoint, adjacent intervals merged, together covering all of IPv4. */
  intervals: IpInterval[];
  /** IPv4 addresses of this node's pods, sorted. */
  localPodIps: number[];
  podCidr: { text: string; addr: number; len: number };
  /** Pod id (`ns/name`) → identity id, for pods with an IPv4 address. */
  ofPod: Map<string, number>;
}

type CidrPeer = Extract<Peer, { type: 'cidr' }>;
interface NumericCidr { from: number; to: number; except: [number, number][]; selectsCluster: boolean }

function numericCidr(p: CidrPeer): NumericCidr | null {
  if (p.cidr.family !== 4) return null;
  const range = (c: CidrPeer['cidr']) => prefixRange(ipv4Number(c.text.slice(0, c.text.indexOf('/')))!, c.prefix);
  const [from, to] = range(p.cidr);
  const except = p.except.filter((e) => e.family === 4).map(range);
  return { from, to, except, selectsCluster: p.selectsCluster };
}

/** Every distinct IPv4 CIDR peer of the policies (ipBlock, toCIDR, toCIDRSet, CIDR groups), with excepts. */
function cidrPeers(policies: readonly Policy[]): NumericCidr[] {
  const seen = new Map<string, NumericCidr>();
  for (const p of policies) {
    for (const r of p.rules) {
      for (const peer of r.peers) {
        if (peer.type !== 'cidr') continue;
        const key = `${peer.cidr.text}|${peer.except.map((e) => e.text).sort().join(',')}|${peer.selectsCluster}`;
        if (seen.has(key)) continue;
        const n = numericCidr(peer);
        if (n) seen.set(key, n);
      }
    }
  }
  return [...seen.values()].sort((a, b) => a.from - b.from || a.to - b.to || a.except.length - b.except.length);
}

const inCidr = (c: NumericCidr, ip: number) => ip >= c.from && ip <= c.to && !c.except.some(([f, t]) => ip >= f && ip <= t);

function firstIpv4(ips: readonly string[]): number | null {
  for (const ip of ips) {
    const n = ipv4Number(ip);
    if (n !== null) return n;
  }
  return null;
}

function labelKey(labels: Record<string, string>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',');
}

interface PodClass { key: string; local: boolean; pods: PodInfo[] }

const podIpNumbers = new WeakMap<PodInfo, (number | null)[]>();

/** `pod.ips` as numbers (null: not IPv4), once per PodInfo. */
function ipNumbers(pod: PodInfo): (number | null)[] {
  let ns = podIpNumbers.get(pod);
  if (!ns) podIpNumbers.set(pod, (ns = pod.ips.map(ipv4Number)));
  return ns;
}

/** A pod's class key, with the context it was made in (see podClassesOf). */
const classKeys = new WeakMap<PodInfo, { context: string; key: string; local: boolean }>();

/**
 * Pods that no rule can tell apart, as the engine's pod classes (src/engine/pod-classes.ts) but for all
 * ports at once: namespace, labels, service account, membership of the cluster-selecting ipBlocks,
 * the named ports rules refer to, and whether the pod runs on this node (and is placed at all, since an
 * unplaced pod counts every node as its own).
 */
function podClassesOf(cluster: Cluster, policies: readonly Policy[], host: Endpoint, cidrs: NumericCidr[]): PodClass[] {
  const clusterCidrs = cidrs.filter((c) => c.selectsCluster);
  const names = byPolicies(policies, referencedPortNames);
  const byKey = new Map<string, PodClass>();
  // What a pod's key depends on besides the pod: pods (PodInfo outlives one cluster, src/engine/cluster.ts) keep their key while it is the same.
  const context = JSON.stringify([host, clusterCidrs, [...names].sort()]);
  for (const pod of cluster.pods) {
    if (pod.hostNetwork || !ipNumbers(pod).some((n) => n !== null)) continue;
    let memo = classKeys.get(pod);
    if (!memo || memo.context !== context) {
      const ep = podEndpoint(pod);
      const ip = ipv4Number(ep.ip);
      const inCidrs = clusterCidrs.map((c) => (ip !== null && inCidr(c, ip) ? '1' : '0')).join('');
      const named = pod.namedPorts.filter((n) => names.has(`${n.name}/${n.protocol}`)).map((n) => `${n.name}/${n.protocol}/${n.port}`).sort().join(',');
      const local = isLocalNode(host, pod);
      const unplaced = pod.node === undefined && pod.hostIP === undefined;
      const key = [local ? 'L' : 'R', unplaced ? 'u' : 'p', pod.namespace, labelKey(pod.labels), pod.serviceAccount, inCidrs, named].join('\u0000');
      classKeys.set(pod, (memo = { context, key, local }));
    }
    const { key, local } = memo;
    const c = byKey.get(key);
    if (c) c.pods.push(pod);
    else byKey.set(key, { key, local, pods: [pod] });
  }
  for (const c of byKey.values()) c.pods.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...byKey.values()].sort((a, b) => (a.local !== b.local ? (a.local ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function nodeEndpoint(n: NodeInfo): Endpoint {
  const ip = firstIpv4(n.ips);
  return { kind: 'node', name: n.name, ip: ip === null ? '' : ipv4Text(ip) };
}

/**
 * The identities of one node: 1 is the node itself (`host`), then the classes of its own pods, the
 * classes of other nodes' pods, the other nodes (`remote`), and the world cells: IPv4 cut at every
 * boundary of any CIDR peer, cells that every CIDR peer treats alike sharing one id. Same input, same ids.
 *
 * @example
 * const ids = identities(engine.cluster, engine.policies, { node: 'node1' });
 * ids.list[ids.hostId - 1].label // 'node node1'
 */
export interface IdentityOptions {
  node: string;
  podCidr?: string;
  /**
   * The identity map of the ruleset in force (what the last pass applied, or the kernel's table read
   * back): identities keep the ids their addresses had there (src/dataplane/allocate.ts), so a change
   * does not renumber the others. Without it ids are allocated afresh in order.
   */
  previous?: readonly IpInterval[];
}

/** The last call's inputs and result: a pass that changed no pod, node or CIDR peer (a policy's ports or peers) gets the same ids. */
let last: { pods: readonly PodInfo[]; nodes: readonly NodeInfo[]; context: string; previous?: readonly IpInterval[]; result: Identities } | null = null;

const sameItems = <T>(a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const sameIntervals = (a?: readonly IpInterval[], b?: readonly IpInterval[]) =>
  a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x.from === b[i]!.from && x.to === b[i]!.to && x.id === b[i]!.id));

export function identities(cluster: Cluster, policies: readonly Policy[], opts: IdentityOptions): Identities {
  // Everything the result depends on besides the pods and nodes (unchanged ones are the same objects, cluster.ts).
  const context = JSON.stringify([opts.node, opts.podCidr ?? null, byPolicies(policies, cidrPeers), [...byPolicies(policies, referencedPortNames)].sort()]);
  if (last && last.context === context && sameItems(last.pods, cluster.pods) && sameItems(last.nodes, cluster.nodes) && sameIntervals(last.previous, opts.previous)) {
    return last.result;
  }
  const result = computeIdentities(cluster, policies, opts);
  last = { pods: cluster.pods, nodes: cluster.nodes, context, ...(opts.previous ? { previous: opts.previous } : {}), result };
  return result;
}

/** `identities` without its memo of the last call (what a change of pods or CIDR peers costs). */
export function computeIdentities(cluster: Cluster, policies: readonly Policy[], opts: IdentityOptions): Identities {
  const podCidr = parseCidr(opts.podCidr ?? DEFAULT_POD_CIDR);
  if (!podCidr || podCidr.family !== 4) throw new Error(`pod CIDR must be an IPv4 CIDR: ${opts.podCidr}`);
  const podCidrAddr = ipv4Number(podCidr.text.slice(0, podCidr.text.indexOf('/')))!;
  const [podFrom, podTo] = prefixRange(podCidrAddr, podCidr.prefix);

  const nodes = [...cluster.nodes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const self = nodes.find((n) => n.name === opts.node);
  const hostRep: Endpoint = self ? nodeEndpoint(self) : { kind: 'node', name: opts.node, ip: '' };
  const cidrs = byPolicies(policies, cidrPeers);
  const classes = podClassesOf(cluster, policies, hostRep, cidrs);

  const list: Identity[] = [];
  const add = (kind: IdentityKind, key: string, label: string, rep: Endpoint, local: boolean) => {
    list.push({ id: list.length + 1, kind, key, label, rep, local });
    return list.length;
  };
  const hostId = add('host', 'host', `node ${opts.node}`, hostRep, true);
  const ofPod = new Map<string, number>();
  // Addresses with an identity of their own. Pods win over nodes (as endpointForIp decides).
  const points = new Map<number, number>();
  for (const c of classes) {
    const rep = c.pods[0]!;
    const id = add('pod', `pod\u0000${c.key}`, c.pods.length > 1 ? `${rep.id} (+${c.pods.length - 1})` : rep.id, podEndpoint(rep), c.local);
    for (const pod of c.pods) {
      ofPod.set(pod.id, id);
      pod.ips.forEach((ip, k) => {
        const n = ipNumbers(pod)[k];
        if (n !== null && n !== undefined && cluster.podByIp.get(ip) === pod) points.set(n, id);
      });
    }
  }
  const nodeIds = new Map<string, number>(self ? [[self.name, hostId]] : []);
  for (const n of nodes) if (n !== self) nodeIds.set(n.name, add('remote', `remote\u0000${n.name}\u0000${n.ips.join(',')}`, `node ${n.name}`, nodeEndpoint(n), false));
  const claim = (ip: string, id: number) => {
    const n = ipv4Number(ip);
    if (n !== null && !points.has(n)) points.set(n, id);
  };
  for (const n of nodes) for (const ip of n.ips) claim(ip, nodeIds.get(n.name)!);
  // A host-network pod is its node (podEndpoint); an address of it that the Node does not list is still the node's.
  for (const pod of cluster.pods) {
    const id = pod.hostNetwork && pod.node !== undefined ? nodeIds.get(pod.node) : undefined;
    if (id !== undefined) for (const ip of pod.ips) claim(ip, id);
  }

  const fresh = worldIntervals(cidrs, podFrom, podTo, points, (rep, sig) => add('world', `world\u0000${sig}`, 'world', { kind: 'world', ip: ipv4Text(rep), names: [] }, false));
  const localIds = new Set(list.filter((i) => i.kind === 'pod' && i.local).map((i) => i.id));
  const localPodIps = [...points].filter(([, id]) => localIds.has(id)).map(([ip]) => ip).sort((a, b) => a - b);
  const intervals = opts.previous ? reallocate(list, fresh, ofPod, opts.previous) : fresh;
  for (const w of list) if (w.kind === 'world') w.label = `world ${worldLabel(intervals, w.id)}`;
  // Marks are 32-bit, but nft/diff.ts takes a mark of 2^24 or more read from the kernel as not podwall's.
  const maxId = list.reduce((m, i) => Math.max(m, i.id), 0);
  if (maxId >= 0x1000000) throw new Error(`too many identities for one node: ${maxId}`);
  return { node: opts.node, list, maxId, hostId, intervals, localPodIps, podCidr: { text: podCidr.text, addr: podCidrAddr, len: podCidr.prefix }, ofPod };
}

function worldLabel(intervals: IpInterval[], id: number): string {
  const mine = intervals.filter((i) => i.id === id);
  const first = mine[0]!;
  const text = first.from === first.to ? ipv4Text(first.from) : `${ipv4Text(first.from)}-${ipv4Text(first.to)}`;
  return mine.length > 1 ? `${text} (+${mine.length - 1})` : text;
}

/**
 * All of IPv4 as intervals: the points (pod and node addresses) with their ids, the rest of the pod
 * CIDR as 0 (unknown), everything else as world cells, one new identity per distinct CIDR-peer
 * membership in order of first address.
 */
function worldIntervals(
  cidrs: NumericCidr[], podFrom: number, podTo: number, points: Map<number, number>, newWorld: (rep: number, sig: string) => number,
): IpInterval[] {
  const cuts = new Set<number>([0, podFrom, podTo + 1]);
  for (const c of cidrs) {
    cuts.add(c.from).add(c.to + 1);
    for (const [f, t] of c.except) cuts.add(f).add(t + 1);
  }
  for (const p of points.keys()) cuts.add(p).add(p + 1);
  const sorted = [...cuts].filter((x) => x <= 0xffffffff).sort((a, b) => a - b);
  const worldIds = new Map<string, number>();
  const out: IpInterval[] = [];
  const push = (from: number, to: number, id: number) => {
    const last = out[out.length - 1];
    if (last && last.id === id && last.to + 1 === from) last.to = to;
    else out.push({ from, to, id });
  };
  sorted.forEach((from, i) => {
    const to = (sorted[i + 1] ?? 0x100000000) - 1;
    const point = from === to ? points.get(from) : undefined;
    if (point !== undefined) return push(from, to, point);
    if (from >= podFrom && to <= podTo) return push(from, to, 0);
    const sig = cidrs.map((c) => (inCidr(c, from) ? '1' : '0')).join('');
    let id = worldIds.get(sig);
    if (id === undefined) worldIds.set(sig, (id = newWorld(from, sig)));
    push(from, to, id);
  });
  return out;
}
