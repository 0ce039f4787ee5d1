/**
 * The lookups the DNS proxy handled, kept for the agent (issue 6: L7 DNS events). A small ring with
 * sequence numbers: the agent asks for what came after the last number it has (`GET /events?after=N`
 * on the control socket) and learns from `first` when it fell behind. Pure.
 */
import type { DnsRuleRef, L4 } from '../rules.js';

export interface DnsLookupEvent {
  seq: number;
  /** When the query arrived (epoch ms). */
  time: number;
  podIp: string;
  /** `namespace/name` from the rules file. */
  pod: string;
  sport: number;
  protocol: L4;
  /** Where the pod sent it (before the redirect) and where the proxy forwarded it. */
  server: string;
  serverPort: number;
  upstream: string;
  upstreamPort: number;
  /** Lower case, no trailing dot. */
  query: string;
  qtype: string;
  /** The response code the pod got: REFUSED when the DNS rule does not allow the name. */
  rcode: string;
  ips: string[];
  ttl: number;
  verdict: 'allowed' | 'refused';
  /** The policies whose DNS rule let the pod ask this server (allowed), or that made the name refused. */
  by: DnsRuleRef[];
  /** Query in to answer out (ms). */
  latencyMs: number;
}

export const DEFAULT_EVENT_RING = 2048;

export class DnsEventLog {
  private readonly ring: DnsLookupEvent[] = [];
  private next = 1;
  /** Bumped when the cache changes, so the agent re-reads it (world names) only then. */
  cacheVersion = 0;

  constructor(private readonly capacity = DEFAULT_EVENT_RING) {}

  add(e: Omit<DnsLookupEvent, 'seq'>): void {
    this.ring.push({ ...e, seq: this.next++ });
    if (this.ring.length > this.capacity) this.ring.shift();
  }

  /** Events after `after`; `first` is the oldest held (a reader that asked for less than first-1 lost some). */
  since(after: number, max = 1000): { last: number; first: number; cacheVersion: number; events: DnsLookupEvent[] } {
    const first = this.ring[0]?.seq ?? this.next;
    const from = Math.max(0, after - first + 1);
    return { last: this.next - 1, first, cacheVersion: this.cacheVersion, events: this.ring.slice(from, from + max) };
  }
}
