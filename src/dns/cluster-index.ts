import type { ApiObject } from '../api/types.js';

/**
 * Pure: what the cluster DNS answers for `*.cluster.local`, from the desired state (the Kubernetes DNS
 * specification, github.com/kubernetes/dns docs/specification.md, as CoreDNS' kubernetes plugin serves it):
 *   <svc>.<ns>.svc.cluster.local       A: the ClusterIP; a headless Service: its ready backend pods' IPs
 *   <a-b-c-d>.<ns>.pod.cluster.local   A: a.b.c.d, when a pod of <ns> has that address ("pods verified")
 *   anything else in cluster.local     NXDOMAIN
 * Names outside cluster.local are not the cluster's: the server forwards them.
 */

export const CLUSTER_ZONE = 'cluster.local';
/** CoreDNS' kubernetes plugin answers with TTL 5 by default. */
export const CLUSTER_TTL = 5;

export interface ClusterIndex {
  /** `<svc>.<ns>` → addresses. */
  services: Map<string, string[]>;
  /** `<ns>` → pod IPs of that namespace. */
  podIps: Map<string, Set<string>>;
}

type Labels = Record<string, string>;

function selects(selector: Labels, labels: Labels | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export function buildClusterIndex(objects: readonly ApiObject[]): ClusterIndex {
  const pods = objects.flatMap((o) => (o.kind === 'Pod' && o.status?.podIP && !o.spec?.hostNetwork
    ? [{ ns: o.metadata.namespace ?? 'default', ip: o.status.podIP, labels: o.metadata.labels }] : []));
  const podIps = new Map<string, Set<string>>();
  for (const p of pods) podIps.set(p.ns, (podIps.get(p.ns) ?? new Set()).add(p.ip));
  const services = new Map<string, string[]>();
  for (const o of objects) {
    if (o.kind !== 'Service') continue;
    const ns = o.metadata.namespace ?? 'default';
    const spec = (o as { spec?: { clusterIP?: string; clusterIPs?: string[]; selector?: Labels } }).spec ?? {};
    const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
    const headless = ips.length === 0 || ips[0] === 'None';
    const addrs = headless
      ? (spec.selector ? pods.filter((p) => p.ns === ns && selects(spec.selector!, p.labels)).map((p) => p.ip) : [])
      : ips.filter((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
    services.set(`${o.metadata.name}.${ns}`, addrs);
  }
  return { services, podIps };
}

export function inClusterZone(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === CLUSTER_ZONE || n.endsWith(`.${CLUSTER_ZONE}`);
}

/** The answer for a name in cluster.local: NXDOMAIN, or the name exists with these A addresses (none for other types). */
export function clusterLookup(index: ClusterIndex, qname: string, qtype: string): { rcode: 'NOERROR' | 'NXDOMAIN'; a: string[] } {
  const labels = qname.toLowerCase().replace(/\.$/, '').split('.');
  const rest = labels.slice(0, -2); // without cluster.local
  const wantA = qtype === 'A' || qtype === 'ANY';
  if (rest.length === 3 && rest[2] === 'svc') {
    const addrs = index.services.get(`${rest[0]}.${rest[1]}`);
    if (addrs) return { rcode: 'NOERROR', a: wantA ? addrs : [] };
  }
  if (rest.length === 3 && rest[2] === 'pod') {
    const ip = rest[0]!.split('-').join('.');
    if (/^\d+\.\d+\.\d+\.\d+$/.test(ip) && index.podIps.get(rest[1]!)?.has(ip)) return { rcode: 'NOERROR', a: wantA ? [ip] : [] };
  }
  // The zone's own structure exists (cluster.local, svc.cluster.local, <ns>.svc.cluster.local): NODATA, not NXDOMAIN.
  if (rest.length === 0 || (rest.length <= 2 && (rest.at(-1) === 'svc' || rest.at(-1) === 'pod'))) return { rcode: 'NOERROR', a: [] };
  return { rcode: 'NXDOMAIN', a: [] };
}
