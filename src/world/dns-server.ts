import type * as dns from 'dns-packet';
import { AUTHORITATIVE_ANSWER } from 'dns-packet';
import { DnsServer, RCODE, responseTo, type DnsQuery } from '../dns/server.js';
import { lookup, type Zone } from './zone.js';

/**
 * The simulated internet's authoritative DNS server: it answers from the zone (lab/world.yaml) for every
 * name, A / AAAA / CNAME (chains answered whole), NXDOMAIN for names the zone lacks. It is the root of the
 * lab's DNS: the cluster DNS and the DNS proxy forward to it.
 */

/** Where the world's DNS server listens (in the world netns; UDP and TCP). */
export const WORLD_DNS_ADDRESS = '198.18.0.2';

/** Pure: the response to one query at time `nowMs`. */
export function worldAnswer(zone: Zone, q: DnsQuery, nowMs: number): dns.Packet {
  const { rcode, answers } = lookup(zone, q.question.name, q.question.type, nowMs);
  const res = responseTo(q, rcode === 'NXDOMAIN' ? RCODE.NXDOMAIN : RCODE.NOERROR, AUTHORITATIVE_ANSWER);
  res.answers = answers.map((r) => ({ name: r.name, type: r.type, ttl: r.ttl, class: 'IN', data: r.data }));
  return res;
}

export function worldDnsServer(zone: Zone, opts: { address: string; port?: number; now?: () => number; onDrop?: (why: string, from: string) => void }): DnsServer {
  const now = opts.now ?? Date.now;
  return new DnsServer({
    address: opts.address,
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    handler: (q) => worldAnswer(zone, q, now()),
    ...(opts.onDrop ? { onDrop: opts.onDrop } : {}),
  });
}
