import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dns from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, query, tcpExchange, udpExchange } from '../../src/dns/client.js';
import type { DnsServer } from '../../src/dns/server.js';
import { formatDiagnostic } from '../../src/shared/diagnostic.js';
import { worldDnsServer } from '../../src/world/dns-server.js';
import { parseZone, type Zone } from '../../src/world/zone.js';
import { repoRoot } from '../support/conformance-dir.js';

// The world's DNS server on loopback (real UDP and TCP packets), answering from the repository's lab/world.yaml.

const zoneFile = join(repoRoot, 'lab/world.yaml');
let zone: Zone;
let server: DnsServer;
let up: { address: string; port: number };
let clock = 0;

beforeAll(async () => {
  const parsed = parseZone(readFileSync(zoneFile, 'utf8'), zoneFile);
  expect(parsed.diagnostics.map(formatDiagnostic)).toEqual([]);
  zone = parsed.zone!;
  server = worldDnsServer(zone, { address: '127.0.0.1', port: 0, now: () => clock });
  up = { address: '127.0.0.1', port: await server.start() };
});
afterAll(async () => server?.stop());

const data = (p: dns.DecodedPacket, type: string) => (p.answers ?? []).filter((a) => a.type === type).map((a) => (a as dns.StringAnswer).data);
const rcode = (p: dns.DecodedPacket) => (p as unknown as { rcode: string }).rcode;

describe('world DNS server (real packets on loopback)', () => {
  it('answers the conformance names at the addresses of world.hosts, authoritatively', async () => {
    const hosts = readFileSync('/work/shared/conformance/cilium/world.hosts', 'utf8').trim().split('\n').map((l) => l.split(/\s+/));
    for (const [ip, name] of hosts) {
      const { packet } = await query(up, name!, 'A');
      expect(data(packet, 'A'), name).toEqual([ip]);
      expect(packet.flag_aa).toBe(true);
      expect((packet.answers![0] as dns.StringAnswer).ttl).toBe(300);
    }
  });

  it('is case-insensitive and keeps the case of the question', async () => {
    const { packet } = await query(up, 'ExAmPlE.CoM', 'A');
    expect(data(packet, 'A')).toEqual(['198.18.0.10']);
    expect(packet.questions![0]!.name).toBe('ExAmPlE.CoM');
  });

  it('answers a CNAME chain whole, links before the address', async () => {
    const { packet } = await query(up, 'chain.example.com', 'A');
    expect(packet.answers!.map((a) => `${a.name} ${a.type} ${(a as dns.StringAnswer).data}`)).toEqual([
      'chain.example.com CNAME www.example.com', 'www.example.com CNAME cdn.example.net', 'cdn.example.net A 198.18.0.14',
    ]);
  });

  it('answers AAAA, several A records, short TTLs and the rotating name by the clock', async () => {
    expect(data((await query(up, 'dual.example.com', 'AAAA')).packet, 'AAAA')).toEqual(['2001:2::16']);
    expect(data((await query(up, 'dual.example.com', 'A')).packet, 'A')).toEqual(['198.18.0.16']);
    expect(data((await query(up, 'multi.example.com', 'A')).packet, 'A')).toHaveLength(4);
    expect(((await query(up, 'short.example.com', 'A')).packet.answers![0] as dns.StringAnswer).ttl).toBe(2);
    clock = 0;
    expect(data((await query(up, 'rotate.example.com', 'A')).packet, 'A')).toEqual(['198.18.0.50']);
    clock = 10_000;
    expect(data((await query(up, 'rotate.example.com', 'A')).packet, 'A')).toEqual(['198.18.0.51']);
    clock = 20_000;
    expect(data((await query(up, 'rotate.example.com', 'A')).packet, 'A')).toEqual(['198.18.0.50']);
  });

  it('NXDOMAIN for names the zone lacks; NODATA (NOERROR, no answer) for a type the name lacks', async () => {
    const nx = (await query(up, 'nope.example.com', 'A')).packet;
    expect(rcode(nx)).toBe('NXDOMAIN');
    expect(nx.answers).toEqual([]);
    const nodata = (await query(up, 'example.com', 'AAAA')).packet;
    expect(rcode(nodata)).toBe('NOERROR');
    expect(nodata.answers).toEqual([]);
  });

  it('truncates over UDP what exceeds 512 bytes (TC), answers it whole over TCP', async () => {
    const before = server.counters.truncated;
    const r = await query(up, 'big.example.com', 'A');
    expect(r.udpTruncated).toBe(true);
    expect(r.transport).toBe('tcp');
    expect(data(r.packet, 'A')).toHaveLength(40);
    expect(server.counters.truncated).toBe(before + 1);
    const udp = dns.decode(await udpExchange(up, buildQuery('big.example.com', 'A'), 2000));
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers).toEqual([]);
  });

  it('EDNS0: the client\'s UDP size is honoured and the OPT record echoed', async () => {
    const r = await query(up, 'big.example.com', 'A', { udpSize: 4096 });
    expect(r.transport).toBe('udp');
    expect(data(r.packet, 'A')).toHaveLength(40);
    expect(r.packet.additionals!.some((a) => a.type === 'OPT')).toBe(true);
    const plain = await query(up, 'example.com', 'A');
    expect(plain.packet.additionals ?? []).toEqual([]);
  });

  it('drops and counts malformed packets, and keeps answering', async () => {
    const before = server.counters.malformed;
    const sock = createSocket('udp4');
    const junk = [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(12, 0xff),
      // a compression loop: the question name points at itself
      Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]),
      // a response, not a query
      dns.encode({ type: 'response', id: 7, questions: [{ type: 'A', name: 'example.com' }] })];
    for (let i = 0; i < 200; i++) junk.push(Buffer.from(Array.from({ length: 1 + (i % 60) }, (_, j) => (i * 31 + j * 17) & 0xff)));
    await new Promise<void>((resolve) => {
      let left = junk.length;
      for (const j of junk) sock.send(j, up.port, up.address, () => (--left === 0 ? resolve() : undefined));
    });
    sock.close();
    // Garbage over TCP closes that connection only.
    await expect(tcpExchange(up, Buffer.from('not dns at all'), 2000)).rejects.toThrow();
    expect(data((await query(up, 'example.com', 'A')).packet, 'A')).toEqual(['198.18.0.10']);
    expect(server.counters.malformed).toBeGreaterThanOrEqual(before + 200);
  });
});

describe('zone file validation', () => {
  const errors = (text: string) => parseZone(text, 'w.yaml').diagnostics.map(formatDiagnostic);

  it('names file, line and column', () => {
    expect(errors('names:\n  a.com:\n    a: [10.0.0.1]\n')).toEqual([
      'w.yaml:3:9: error PW1504: names.a.com.a[0]: 10.0.0.1 is outside the simulated internet (198.18.0.0/15)',
    ]);
    expect(errors('names:\n  a.com:\n    cname: b.com\n  b.com:\n    cname: a.com\n')[0]).toMatch(/^w\.yaml:3:12: error PW1509: .*CNAME loop: a\.com -> b\.com -> a\.com/);
    expect(errors('names:\n  a.com:\n    a: [198.18.0.1]\n    ttl: -1\n    mx: x\n')).toEqual([
      'w.yaml:5:9: error PW1501: names.a.com.mx: unknown field "mx" (expected a, aaaa, cname, ttl, rotate)',
      'w.yaml:4:10: error PW1503: names.a.com.ttl: expected a TTL in seconds, an integer 0 … 86400',
    ]);
    expect(errors('names:\n  "bad name!":\n    a: [198.18.0.1]\n')[0]).toMatch(/^w\.yaml:3:5: error PW1506/);
    expect(errors('names: [\n')[0]).toMatch(/^w\.yaml:\d+:\d+: error PW1001: invalid YAML/);
  });
});
