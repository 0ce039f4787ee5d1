import { describe, expect, it } from 'vitest';
import { NflogPcapParser } from '../../src/flows/nflog.js';
import { parseIpv4 } from '../../src/flows/packet.js';
import { FlowRing } from '../../src/flows/ring.js';
import { formatFlows } from '../../src/flows/format/index.js';
import type { Flow } from '../../src/flows/flow.js';

/** A pcap stream as tcpdump writes it for nflog:N on little-endian x86 (TLV length/type in host order). */
function pcap(records: { sec: number; usec: number; group: number; prefix: string; payload: Buffer }[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0); head.writeUInt16LE(2, 4); head.writeUInt16LE(4, 6); head.writeUInt32LE(65535, 16); head.writeUInt32LE(239, 20);
  const tlv = (type: number, v: Buffer) => {
    const b = Buffer.alloc(4 + v.length + ((4 - (v.length % 4)) % 4));
    b.writeUInt16LE(4 + v.length, 0); b.writeUInt16LE(type, 2); v.copy(b, 4);
    return b;
  };
  const recs = records.map((r) => {
    const nf = Buffer.alloc(4);
    nf[0] = 2; nf.writeUInt16BE(r.group, 2);
    const mark = Buffer.alloc(4); mark.writeUInt32BE(7, 0);
    const body = Buffer.concat([nf, tlv(10, Buffer.from(`${r.prefix}\0`)), tlv(2, mark), tlv(9, r.payload)]);
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(r.sec, 0); rh.writeUInt32LE(r.usec, 4); rh.writeUInt32LE(body.length, 8); rh.writeUInt32LE(body.length, 12);
    return Buffer.concat([rh, body]);
  });
  return Buffer.concat([head, ...recs]);
}

/** IPv4 + TCP SYN 10.244.0.3:38000 -> 10.244.0.2:80. */
function syn(): Buffer {
  const b = Buffer.alloc(40);
  b[0] = 0x45; b[9] = 6;
  Buffer.from([10, 244, 0, 3, 10, 244, 0, 2]).copy(b, 12);
  b.writeUInt16BE(38000, 20); b.writeUInt16BE(80, 22); b[33] = 0x02;
  return b;
}

describe('NFLOG pcap stream', () => {
  it('parses records split at any byte boundary', () => {
    const stream = pcap([
      { sec: 1764075753, usec: 123000, group: 100, prefix: 'pw:I3', payload: syn() },
      { sec: 1764075754, usec: 0, group: 100, prefix: 'pw:E0', payload: syn() },
    ]);
    for (const step of [1, 3, 7, 64, stream.length]) {
      const p = new NflogPcapParser();
      const out = [];
      for (let i = 0; i < stream.length; i += step) out.push(...p.push(stream.subarray(i, i + step)));
      expect(out.map((r) => [r.prefix, r.group, r.mark, r.timeMs])).toEqual([['pw:I3', 100, 7, 1764075753123], ['pw:E0', 100, 7, 1764075754000]]);
      expect(parseIpv4(out[0]!.payload)).toEqual({ saddr: '10.244.0.3', daddr: '10.244.0.2', proto: 'TCP', protoNumber: 6, sport: 38000, dport: 80, tcpFlags: ['SYN'] });
    }
  });

  it('refuses a stream that is not NFLOG pcap', () => {
    expect(() => new NflogPcapParser().push(Buffer.alloc(24))).toThrow(/not a pcap stream/);
    const eth = pcap([]);
    eth.writeUInt32LE(1, 20);
    expect(() => new NflogPcapParser().push(eth)).toThrow(/link type 1/);
  });
});

const base: Flow = {
  seq: 0, time: '2026-11-25T13:02:33.123Z', node: 'node1', type: 'L3_L4',
  source: { ip: '10.244.0.3', port: 38000, kind: 'pod', namespace: 'demo', pod: 'client', labels: [] },
  destination: { ip: '10.244.0.2', port: 80, kind: 'pod', namespace: 'demo', pod: 'server', labels: ['app=server'] },
  l4: { protocol: 'TCP', tcpFlags: ['SYN'] }, trafficDirection: 'INGRESS', verdict: 'DROPPED', dropReason: 'POLICY_DENIED',
  policies: [{ kind: 'NetworkPolicy', namespace: 'demo', name: 'demo-policy', direction: 'ingress', action: 'deny' }],
  policyMatchType: 'none', reason: 'ingress: no rule matched; default deny by NetworkPolicy demo/demo-policy',
  suggestion: 'label pod demo/client app=client would match demo/demo-policy ingress rule 0',
};

describe('ring buffer', () => {
  it('numbers flows, keeps the newest N, counts what it overwrote, answers last/since/until, feeds followers', () => {
    const ring = new FlowRing(3);
    const followed: number[] = [];
    const stop = ring.follow((f) => followed.push(f.seq));
    for (let i = 0; i < 5; i++) ring.add({ ...base, time: new Date(Date.parse(base.time) + i * 1000).toISOString() });
    stop();
    ring.add({ ...base });
    expect(followed).toEqual([1, 2, 3, 4, 5]);
    expect(ring.query().map((f) => f.seq)).toEqual([4, 5, 6]);
    expect(ring.evicted).toBe(3);
    expect(ring.query({ last: 1 }).map((f) => f.seq)).toEqual([6]);
    expect(ring.query({ since: Date.parse(base.time) + 4000 }).map((f) => f.seq)).toEqual([5]);
    expect(ring.query({ until: Date.parse(base.time) + 3500 }).map((f) => f.seq)).toEqual([4, 6]);
    expect(() => new FlowRing(0)).toThrow(RangeError);
  });
});

describe('observe output', () => {
  it('compact reads like Hubble, then the reason and fix', () => {
    expect(formatFlows([base], 'compact', { utc: true })).toBe(
      'Nov 25 13:02:33.123: demo/client:38000 -> demo/server:80 policy-verdict:none INGRESS DENIED (TCP Flags: SYN)\n'
      + '    ingress: no rule matched; default deny by NetworkPolicy demo/demo-policy; fix: label pod demo/client app=client would match demo/demo-policy ingress rule 0');
  });

  it('json is one Flow per line; dict and table carry the same fields', () => {
    const lines = formatFlows([base, { ...base, verdict: 'FORWARDED' }], 'json').split('\n');
    expect(lines.map((l) => JSON.parse(l).verdict)).toEqual(['DROPPED', 'FORWARDED']);
    const dict = formatFlows([base], 'dict', { utc: true });
    expect(dict).toContain('    VERDICT: DROPPED');
    expect(dict).toContain('   POLICIES: demo/demo-policy (default deny)');
    expect(dict).toContain('        FIX: label pod demo/client app=client');
    const table = formatFlows([base], 'table', { utc: true }).split('\n');
    expect(table[0]).toMatch(/^TIMESTAMP\s+SOURCE\s+DESTINATION\s+TYPE\s+VERDICT\s+SUMMARY\s+REASON$/);
    expect(table[1]).toMatch(/^Nov 25 13:02:33\.123\s+demo\/client:38000\s+demo\/server:80\s+policy-verdict:none INGRESS\s+DROPPED\s+TCP Flags: SYN\s+ingress: /);
    expect(formatFlows([], 'table')).toBe('');
  });
});
