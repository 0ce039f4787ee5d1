import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/api/types.js';
import { dnsFlows } from '../../src/flows/dns-flows.js';
import { EngineHistory } from '../../src/flows/engine-history.js';
import { compileFilter } from '../../src/flows/filter.js';
import { formatFlows } from '../../src/flows/format/index.js';
import { namesByIp } from '../../src/flows/proxy-feed.js';
import { DnsEventLog, type DnsLookupEvent } from '../../src/fqdn/proxy/events.js';

const event = (over: Partial<DnsLookupEvent> = {}): Omit<DnsLookupEvent, 'seq'> => ({
  time: Date.UTC(2026, 10, 25, 17, 0, 0, 0), podIp: '10.244.0.9', pod: 'demo/curl', sport: 41234, protocol: 'UDP',
  server: '10.96.0.10', serverPort: 53, upstream: '10.244.0.53', upstreamPort: 53, query: 'example.com', qtype: 'A',
  rcode: 'NOERROR', ips: ['198.18.0.10'], ttl: 300, verdict: 'allowed', by: [{ kind: 'CiliumNetworkPolicy', namespace: 'demo', name: 'fqdn', rule: 0 }],
  latencyMs: 1.5, ...over,
});

describe('the DNS proxy\'s lookup ring', () => {
  it('hands out what came after a sequence number, bounded, and says when the reader fell behind', () => {
    const log = new DnsEventLog(3);
    for (let i = 0; i < 5; i++) log.add(event({ query: `n${i}.example.com` }));
    expect(log.since(0)).toMatchObject({ last: 5, first: 3 });
    expect(log.since(0).events.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(log.since(4).events.map((e) => e.seq)).toEqual([5]);
    expect(log.since(5).events).toEqual([]);
    expect(log.since(0, 2).events.map((e) => e.seq)).toEqual([3, 4]);
  });
});

describe('L7 DNS flows', () => {
  it('an allowed lookup: request and response in Hubble\'s compact wording, the DNS rule as the policy', () => {
    const [req, res] = dnsFlows({ ...event(), seq: 1 }, { node: 'node1', engine: null });
    const text = formatFlows([req, res], 'compact', { utc: true });
    expect(text).toBe([
      'Nov 25 17:00:00.000: demo/curl:41234 -> 10.96.0.10:53 (unknown) dns-request proxy FORWARDED (DNS Query example.com. A)',
      '    egress DNS: example.com allowed by the DNS rule of demo/fqdn egress rule 0; NOERROR 198.18.0.10 (TTL 300 s)',
      'Nov 25 17:00:00.001: demo/curl:41234 <- 10.96.0.10:53 (unknown) dns-response proxy FORWARDED (DNS Answer "198.18.0.10" TTL: 300 (Proxy example.com. A))',
      '    egress DNS: example.com allowed by the DNS rule of demo/fqdn egress rule 0; NOERROR 198.18.0.10 (TTL 300 s)',
    ].join('\n'));
    expect(res).toMatchObject({ type: 'L7', isReply: true, l7: { type: 'RESPONSE', dns: { query: 'example.com.', ips: ['198.18.0.10'], ttl: 300 } } });
    expect(formatFlows([req], 'dict')).toContain('POLICIES: demo/fqdn egress rule 0 (DNS rule)');
  });

  it('a refused name: both DROPPED, RCode in Hubble\'s words, the fix names the rule', () => {
    const [req, res] = dnsFlows({ ...event({ query: 'blocked.com', rcode: 'REFUSED', ips: [], ttl: 0, verdict: 'refused' }), seq: 2 }, { node: 'node1', engine: null });
    expect(req.verdict).toBe('DROPPED');
    expect(formatFlows([res], 'compact', { utc: true })).toContain('dns-response proxy DROPPED (DNS Answer RCode: Query Refused TTL: 0 (Proxy blocked.com. A))');
    expect(req.suggestion).toBe('add { matchName: "blocked.com" } to toPorts.rules.dns of demo/fqdn egress rule 0 would let the pod look it up');
  });

  it('--type l7 selects them, --fqdn matches the query name, --to-fqdn only world names', () => {
    const flows = dnsFlows({ ...event(), seq: 1 }, { node: 'node1', engine: null });
    expect(flows.filter(compileFilter([{ key: 'type', value: 'l7' }]))).toHaveLength(2);
    expect(flows.filter(compileFilter([{ key: 'fqdn', value: '*.com' }]))).toHaveLength(2);
    expect(flows.filter(compileFilter([{ key: 'fqdn', value: 'other.com' }]))).toHaveLength(0);
    expect(flows.filter(compileFilter([{ key: 'to-fqdn', value: 'example.com' }]))).toHaveLength(0);
  });
});

describe('world names from the proxy cache', () => {
  it('every name any pod learned for an address', () => {
    const ip = (x: string) => ({ ip: x, expiresAt: 1, learnedAt: 0 });
    const names = namesByIp([
      { pod: 'a/x', podIp: '10.244.0.2', name: 'example.com', ips: [ip('198.18.0.10')], source: 'lookup' },
      { pod: 'a/y', podIp: '10.244.0.3', name: 'www.example.com', ips: [ip('198.18.0.10'), ip('198.18.0.11')], source: 'lookup' },
    ] as never);
    expect(Object.fromEntries(names)).toEqual({ '198.18.0.10': ['example.com', 'www.example.com'], '198.18.0.11': ['www.example.com'] });
  });
});

describe('the desired state in force at a time', () => {
  const objs: ApiObject[] = [];
  it('picks the state of the event\'s time, lists the states of a window newest first, ignores a repeated revision', () => {
    const h = new EngineHistory(30_000);
    h.set(1, objs, 1000);
    h.set(2, objs, 2000);
    h.set(2, objs, 2500);
    h.set(3, objs, 3000);
    expect(h.at(500)?.revision).toBe(1);
    expect(h.at(1999)?.revision).toBe(1);
    expect(h.at(2000)?.revision).toBe(2);
    expect(h.at(9999)?.revision).toBe(3);
    expect(h.inForce(1500, 3500).map((s) => s.revision)).toEqual([3, 2, 1]);
    expect(h.inForce(2500, 2600).map((s) => s.revision)).toEqual([2]);
  });

  it('forgets states older than its window but the one before it', () => {
    const h = new EngineHistory(1000);
    h.set(1, objs, 0);
    h.set(2, objs, 100);
    h.set(3, objs, 5000);
    expect(h.inForce(0, 6000).map((s) => s.revision)).toEqual([3, 2]);
  });
});
