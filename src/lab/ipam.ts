import { cidrContainsIp, parseCidr, parseIp } from '../shared/ip.js';

/**
 * Pod address allocation (pure). Node N owns `10.244.(N-1).0/24` and hands out `.2` … `.254`; a manifest
 * may name its own `status.podIP` anywhere in the cluster CIDR 10.244.0.0/16 (conformance clusters do).
 */

export const CLUSTER_CIDR = '10.244.0.0/16';
const CLUSTER = parseCidr(CLUSTER_CIDR)!;
const FIRST_HOST = 2;
const LAST_HOST = 254;

export type IpamErrorCode = 'ip.invalid' | 'ip.outside-cluster-cidr' | 'ip.in-use' | 'pool.exhausted' | 'node.invalid';

export type IpamResult = { ok: true; ip: string } | { ok: false; code: IpamErrorCode; message: string };

/** The pod CIDR of node N (1-based): `10.244.(N-1).0/24`. */
export function podCidr(nodeIndex: number): string {
  return `10.244.${nodeIndex - 1}.0/24`;
}

/** Canonical dotted-quad text of an IPv4 address, or undefined when `text` is not one. */
function canonicalIpv4(text: string): string | undefined {
  const p = parseIp(text);
  return p && p.family === 4 ? p.bytes.join('.') : undefined;
}

/**
 * The address for a new pod on node `nodeIndex`, given every address in use.
 *
 * @example
 * allocateIp({ nodeIndex: 1, used: ['10.244.0.2'] })                          // { ok: true, ip: '10.244.0.3' }
 * allocateIp({ nodeIndex: 1, used: [], requested: '10.244.3.7' })              // { ok: true, ip: '10.244.3.7' }
 * allocateIp({ nodeIndex: 1, used: ['10.244.3.7'], requested: '10.244.3.7' })  // { ok: false, code: 'ip.in-use', … }
 */
export function allocateIp(opts: { nodeIndex: number; used: Iterable<string>; requested?: string }): IpamResult {
  const used = new Set<string>();
  for (const u of opts.used) used.add(canonicalIpv4(u) ?? u);
  if (opts.requested !== undefined) {
    const ip = canonicalIpv4(opts.requested);
    if (ip === undefined) return { ok: false, code: 'ip.invalid', message: `${JSON.stringify(opts.requested)} is not an IPv4 address` };
    if (!cidrContainsIp(CLUSTER, ip)) return { ok: false, code: 'ip.outside-cluster-cidr', message: `${ip} is outside the pod network ${CLUSTER_CIDR}` };
    if (used.has(ip)) return { ok: false, code: 'ip.in-use', message: `${ip} is already used by another pod` };
    return { ok: true, ip };
  }
  if (!Number.isInteger(opts.nodeIndex) || opts.nodeIndex < 1 || opts.nodeIndex > 256) {
    return { ok: false, code: 'node.invalid', message: `node index ${opts.nodeIndex} has no pod CIDR` };
  }
  const base = `10.244.${opts.nodeIndex - 1}`;
  for (let host = FIRST_HOST; host <= LAST_HOST; host++) {
    const ip = `${base}.${host}`;
    if (!used.has(ip)) return { ok: true, ip };
  }
  return { ok: false, code: 'pool.exhausted', message: `no free address left in ${podCidr(opts.nodeIndex)}` };
}
