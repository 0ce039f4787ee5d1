import { AUTHORITATIVE_ANSWER, RECURSION_AVAILABLE } from 'dns-packet';
import type { ApiObject } from '../api/types.js';
import { isTruncated, tcpExchange, udpExchange, type Upstream } from './client.js';
import { buildClusterIndex, CLUSTER_TTL, clusterLookup, inClusterZone, type ClusterIndex } from './cluster-index.js';
import { DnsServer, RCODE, responseTo, type DnsQuery, type DnsReply } from './server.js';

/**
 * The cluster DNS (what CoreDNS is in a cluster; runs in the lab pod kube-system/coredns behind the kube-dns
 * Service 10.96.0.10): answers cluster.local from the desired state, forwards every other name to the
 * world's DNS server over the client's transport, and retries over TCP when a UDP answer comes back truncated.
 */

const FORWARD_TIMEOUT_MS = 2000;

export interface ClusterDnsOptions {
  address: string;
  port?: number;
  upstream: Upstream;
  /** The desired state's revision, cheap to call; the objects are re-read only when it moves. */
  revision(): number;
  objects(): readonly ApiObject[];
  onDrop?: (why: string, from: string) => void;
}

/** Forward raw query bytes; a truncated UDP answer is fetched again over TCP and used when it fits the client. */
export async function forward(up: Upstream, q: DnsQuery): Promise<Buffer> {
  if (q.transport === 'tcp') return tcpExchange(up, q.raw, FORWARD_TIMEOUT_MS);
  const udp = await udpExchange(up, q.raw, FORWARD_TIMEOUT_MS);
  if (!isTruncated(udp)) return udp;
  const full = await tcpExchange(up, q.raw, FORWARD_TIMEOUT_MS).catch(() => udp);
  return full.length <= q.udpSize ? full : udp;
}

export function clusterDnsServer(opts: ClusterDnsOptions): DnsServer {
  let index: ClusterIndex | null = null;
  let seen = -1;
  let checked = 0;
  const current = (): ClusterIndex => {
    const now = Date.now();
    // At most one revision check per 50 ms: a burst of queries costs one SQLite read, not one each.
    if (index === null || now - checked >= 50) {
      checked = now;
      const rev = opts.revision();
      if (index === null || rev !== seen) {
        index = buildClusterIndex(opts.objects());
        seen = rev;
      }
    }
    return index;
  };
  const handler = async (q: DnsQuery): Promise<DnsReply> => {
    if (!inClusterZone(q.question.name)) {
      try {
        return await forward(opts.upstream, q);
      } catch {
        return responseTo(q, RCODE.SERVFAIL, RECURSION_AVAILABLE);
      }
    }
    const { rcode, a } = clusterLookup(current(), q.question.name, q.question.type);
    const res = responseTo(q, rcode === 'NXDOMAIN' ? RCODE.NXDOMAIN : RCODE.NOERROR, AUTHORITATIVE_ANSWER | RECURSION_AVAILABLE);
    res.answers = a.map((ip) => ({ name: q.question.name, type: 'A', class: 'IN', ttl: CLUSTER_TTL, data: ip }));
    return res;
  };
  return new DnsServer({ address: opts.address, ...(opts.port !== undefined ? { port: opts.port } : {}), handler, ...(opts.onDrop ? { onDrop: opts.onDrop } : {}) });
}
