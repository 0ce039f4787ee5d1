import { createHash } from 'node:crypto';
import { UsageError } from '../shared/errors.js';

/**
 * Names of every kernel object and file the lab creates (docs/lab.md "Names"). Everything carries the
 * prefix so it can be listed and removed by exact name, and so test runs can use their own prefix.
 */

export const DEFAULT_PREFIX = 'pw';
const PREFIX_RE = /^[a-z][a-z0-9]{0,5}$/;
/** Kubernetes namespace: a DNS label. */
const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Kubernetes pod name: a DNS subdomain. */
const POD_NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** Nodes are `node1` … `node254`: N gives the node address 10.0.0.N and the pod CIDR 10.244.(N-1).0/24. */
const NODE_RE = /^node([1-9][0-9]{0,2})$/;
export const MAX_NODES = 254;

/** Where the lab's objects live: the name prefix and the state directory (store, pid files, logs). */
export interface LabContext {
  readonly prefix: string;
  readonly stateDir: string;
}

/** The prefix from `PODWALL_LAB_PREFIX` (default `pw`); throws UsageError when it is not `^[a-z][a-z0-9]{0,5}$`. */
export function labPrefix(env: NodeJS.ProcessEnv = process.env): string {
  const p = env.PODWALL_LAB_PREFIX ?? DEFAULT_PREFIX;
  if (!PREFIX_RE.test(p)) throw new UsageError(`PODWALL_LAB_PREFIX must match ${PREFIX_RE.source} (got ${JSON.stringify(p)})`);
  return p;
}

/** The state directory: `PODWALL_STATE_DIR`, default `/run/podwall/<prefix>`. */
export function labStateDir(env: NodeJS.ProcessEnv = process.env, prefix = labPrefix(env)): string {
  const dir = env.PODWALL_STATE_DIR;
  if (dir !== undefined && dir !== '') {
    if (!dir.startsWith('/')) throw new UsageError(`PODWALL_STATE_DIR must be an absolute path (got ${JSON.stringify(dir)})`);
    return dir.replace(/\/+$/, '') || '/';
  }
  return `/run/podwall/${prefix}`;
}

/** Prefix and state directory from the environment. */
export function labContext(env: NodeJS.ProcessEnv = process.env): LabContext {
  const prefix = labPrefix(env);
  return { prefix, stateDir: labStateDir(env, prefix) };
}

/** `node3` → 3; throws UsageError for any other name. */
export function nodeIndex(node: string): number {
  const m = NODE_RE.exec(node);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 1 && n <= MAX_NODES)) throw new UsageError(`node names are node1 … node${MAX_NODES} (got ${JSON.stringify(node)})`);
  return n;
}

/** 3 → `node3`. */
export function nodeName(index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > MAX_NODES) throw new UsageError(`node index must be 1 … ${MAX_NODES} (got ${index})`);
  return `node${index}`;
}

/** The node's network namespace: `<prefix>-<node>`, e.g. `pw-node1`. */
export function nodeNetns(node: string, prefix: string): string {
  nodeIndex(node);
  return `${prefix}-${node}`;
}

/** The node's own address (the `host` entity), on the node netns' `lo`. */
export function nodeIp(node: string): string {
  return `10.0.0.${nodeIndex(node)}`;
}

/** Throws UsageError unless `namespace`/`name` are valid Kubernetes names (they end up in paths and hashes). */
export function checkPodName(namespace: string, name: string): void {
  if (!NAMESPACE_RE.test(namespace)) throw new UsageError(`invalid namespace ${JSON.stringify(namespace)}: must be a DNS label`);
  if (!POD_NAME_RE.test(name)) throw new UsageError(`invalid pod name ${JSON.stringify(name)}: must be a DNS subdomain`);
}

function podDigest(namespace: string, name: string): Buffer {
  checkPodName(namespace, name);
  return createHash('sha256').update(`${namespace}/${name}`).digest();
}

/** 8 hex digits of sha256(`namespace/name`): the pod's identity in kernel object names. */
export function podHash(namespace: string, name: string): string {
  return podDigest(namespace, name).subarray(0, 4).toString('hex');
}

/** The pod's network namespace: `<prefix>-p<hash8>`. */
export function podNetns(namespace: string, name: string, prefix: string): string {
  return `${prefix}-p${podHash(namespace, name)}`;
}

/** The pod's host-side veth in the node netns: `<prefix><hash8>` (at most 14 characters, under IFNAMSIZ). */
export function podHostIf(namespace: string, name: string, prefix: string): string {
  return `${prefix}${podHash(namespace, name)}`;
}

function mac(first: number, bytes: Buffer): string {
  return [first, ...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * Deterministic MACs for both veth ends, so that re-creating a pod gives the same neighbour entries.
 * First octets 0x0a and 0xee: unicast (bit 0 clear) and locally administered (bit 1 set).
 */
export function podMacs(namespace: string, name: string): { pod: string; host: string } {
  const d = podDigest(namespace, name);
  return { pod: mac(0x0a, d.subarray(4, 9)), host: mac(0xee, d.subarray(4, 9)) };
}

/** Whether a network namespace name belongs to the prefix (`<prefix>-…`). */
export function isLabNetns(netns: string, prefix: string): boolean {
  return netns.startsWith(`${prefix}-`);
}

/** Whether a netns name is a node of the prefix; returns the node name or undefined. */
export function netnsNode(netns: string, prefix: string): string | undefined {
  if (!isLabNetns(netns, prefix)) return undefined;
  const node = netns.slice(prefix.length + 1);
  return NODE_RE.test(node) ? node : undefined;
}

/** Whether a netns name is a pod netns of the prefix (`<prefix>-p<hash8>`). */
export function isPodNetns(netns: string, prefix: string): boolean {
  return new RegExp(`^${prefix}-p[0-9a-f]{8}$`).test(netns);
}

/**
 * Whether a link name is one of the prefix's: a pod's host veth `<prefix><hash8>` or a node-to-node link
 * `<prefix>-n<N>`. Exact shapes, so prefix `pw` never claims `pwt1…` links.
 */
export function isLabLink(link: string, prefix: string): boolean {
  return new RegExp(`^${prefix}([0-9a-f]{8}|-n[1-9][0-9]{0,2})$`).test(link);
}

/** The link in node A's netns that leads to node B: `<prefix>-n<B>`. */
export function fabricLink(toNode: string, prefix: string): string {
  return `${prefix}-n${nodeIndex(toNode)}`;
}

/** Deterministic MAC of the fabric link in `fromNode` that leads to `toNode`. */
export function fabricMac(fromNode: string, toNode: string): string {
  return mac(0x02, Buffer.from([0x50, 0x57, 0, nodeIndex(fromNode), nodeIndex(toNode)]));
}

/** The pod's directory under the state dir: `<stateDir>/pods/<ns>_<name>` (holds `pid`, `log`, `exit`). */
export function podStateDir(ctx: LabContext, namespace: string, name: string): string {
  checkPodName(namespace, name);
  return `${ctx.stateDir}/pods/${namespace}_${name}`;
}
