import { createSocket, type Socket } from 'node:dgram';
import { connect as tcpConnect, createServer } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor, type NftExecutor } from '../../src/dataplane/nft/executor.js';
import { DnsCache } from '../../src/fqdn/cache.js';
import { FqdnWriter } from '../../src/fqdn/proxy/nft-writer.js';
import { DnsProxy } from '../../src/fqdn/proxy/server.js';
import type { ProxyRules } from '../../src/fqdn/rules.js';
import { rng, type Rand } from '../../src/shared/random.js';
import { waitFor } from '../../src/lab/wait.js';
import { addNetns, canUseKernel, delNetns } from '../dataplane/netns.js';
import { testPrefix } from '../support/lab.js';

/**
 * Bad input (issue 5): >= 100,000 random and mutated packets at a real proxy (real sockets on loopback,
 * real nft set in a netns of its own), then a valid query must still be answered and learned.
 */

const NS = `${testPrefix('pwx')}-fz`;
const POD = '127.0.0.1';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The upstream: answers A for every name with 198.18.0.10, except `wrong.example.com`, answered for another name. */
function upstream(port: number): Socket {
  const s = createSocket('udp4');
  s.on('message', (m, r) => {
    try {
      const q = dnsPacket.decode(m);
      const name = q.questions![0]!.name;
      const asked = name === 'wrong.example.com' ? 'other.example.com' : name;
      s.send(dnsPacket.encode({
        id: q.id, type: 'response', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: asked }],
        answers: [{ type: 'A', name: asked, ttl: 60, data: '198.18.0.10' }],
      }), r.port, r.address);
    } catch { /* not DNS */ }
  });
  s.bind(port, '127.0.0.1');
  return s;
}

const query = (name: string, id = 4242) => dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] });

function mutate(r: Rand, base: Buffer): Buffer {
  const b = Buffer.from(base);
  const kind = Math.floor(r() * 5);
  if (kind === 0) return b.subarray(0, Math.floor(r() * b.length)); // truncated
  if (kind === 1) { for (let i = 0; i < 1 + r() * 4; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256); return b; }
  if (kind === 2) { b.writeUInt16BE(Math.floor(r() * 65536), 4 + 2 * Math.floor(r() * 4)); return b; } // counts
  if (kind === 3) { b[2] = Math.floor(r() * 256); return b; } // flags: responses, opcodes
  return Buffer.concat([b, Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)))]);
}

/** Hand-made nasties: a compression loop, a pointer forward, an oversized name, labels with dots and NULs. */
function nasties(): Buffer[] {
  const header = (qd = 1) => Buffer.from([0x12, 0x34, 0x01, 0x00, 0, qd, 0, 0, 0, 0, 0, 0]);
  const tail = Buffer.from([0, 1, 0, 1]);
  const label = (s: string) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
  return [
    Buffer.concat([header(), Buffer.from([0xc0, 12]), tail]), // pointer to itself
    Buffer.concat([header(), Buffer.from([0xc0, 40]), tail]), // pointer forward
    Buffer.concat([header(), ...Array.from({ length: 5 }, () => label('a'.repeat(63))), Buffer.from([0]), tail]), // > 255
    Buffer.concat([header(), label('exa.mple'), label('com'), Buffer.from([0]), tail]), // a dot inside a label
    Buffer.concat([header(), label('ex\u0000ample'), label('com'), Buffer.from([0]), tail]),
    Buffer.concat([header(0xff), label('example'), label('com'), Buffer.from([0]), tail]),
    Buffer.alloc(0), Buffer.alloc(11), Buffer.alloc(12),
  ];
}

describe.runIf(canUseKernel())('DNS proxy fuzzing (real sockets, real nft set)', () => {
  let nft: NftExecutor;
  let proxy: DnsProxy;
  let up: Socket;
  let port: number;
  let client: Socket;
  const replies: Buffer[] = [];

  const rules = (p: number, up: number): ProxyRules => ({
    version: 1, node: 'node1', revision: 1, notes: [],
    listeners: [{ port: p, destination: '10.96.0.10', destinationPort: 53, upstream: '127.0.0.1', upstreamPort: up }],
    pods: {
      [POD]: {
        pod: 'default/fuzzer',
        dns: [{ destination: '10.96.0.10', destinationPort: 53, protocols: ['UDP', 'TCP'], patterns: [{ matchName: 'example.com' }, { matchPattern: '*.example.com' }] }],
        fqdns: [{ selector: { matchPattern: '*.example.com' }, ports: [{ protocol: 'TCP', port: 443 }], origin: 'test' }],
      },
    },
  });

  beforeAll(async () => {
    addNetns(NS);
    nft = createExecutor({ netns: NS });
    await nft.apply({ nftables: [
      { add: { table: { family: 'inet', name: 'podwall' } } },
      { add: { set: { family: 'inet', table: 'podwall', name: 'fqdn', type: ['ipv4_addr', 'ipv4_addr', 'inet_proto', 'inet_service'], flags: ['timeout'] } } },
    ] });
    const upPort = await freePort();
    up = upstream(upPort);
    port = await freePort();
    proxy = new DnsProxy({ bindIp: '127.0.0.1', cache: new DnsCache({ maxIpsPerName: 50 }), writer: new FqdnWriter(nft, () => Math.floor(Date.now() / 1000)), minTtl: 0, maxQps: 1e9, upstreamTimeoutMs: 1000 });
    await proxy.setRules(rules(port, upPort));
    client = createSocket('udp4');
    client.on('message', (m) => replies.push(m));
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  });

  afterAll(() => {
    client?.close();
    proxy?.close();
    up?.close();
    nft?.close();
    delNetns(NS);
  });

  const ask = async (name: string): Promise<{ rcode?: string; answers?: { data?: unknown }[] }> => {
    const id = 1000 + Math.floor(Math.random() * 60000);
    const n = replies.length;
    client.send(query(name, id), port, '127.0.0.1');
    const reply = await waitFor(() => replies.slice(n).find((b) => b.readUInt16BE(0) === id), { timeoutMs: 5000, what: `an answer for ${name}` });
    return dnsPacket.decode(reply) as { rcode?: string; answers?: { data?: unknown }[] };
  };

  it('survives 100,000 random and mutated packets, counts them, and still answers', async () => {
    const r = rng(20251125);
    const bases = [query('example.com'), query('api.example.com'), query('blocked.com'), query('wrong.example.com'), ...nasties()];
    const total = 100_000;
    const LOSS = 3000;
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      let pkt: Buffer;
      if (i % 3 === 0) pkt = Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256)));
      else if (i % 3 === 1) pkt = mutate(r, bases[Math.floor(r() * 4)]!);
      else pkt = bases[Math.floor(r() * bases.length)]!;
      client.send(pkt, port, '127.0.0.1');
      // Flow control: a few hundred packets in flight at most (a loopback socket buffer holds ~256 small
      // datagrams); a packet the kernel still dropped is allowed for in LOSS.
      if (i % 32 === 31) {
        await new Promise((res) => setImmediate(res));
        await waitFor(() => proxy.counters.queries >= i + 1 - 64 - LOSS || undefined, { timeoutMs: 10_000, intervalMs: 1, what: `the proxy to keep up (sent ${i + 1}, counters ${JSON.stringify(proxy.counters)})` });
      }
    }
    await waitFor(() => proxy.counters.queries >= total - LOSS || undefined, { timeoutMs: 10_000, what: `the proxy to read the packets (${JSON.stringify(proxy.counters)})` });
    const c = proxy.counters;
    expect(c.malformed + c['bad-name'] + c['bad-question'] + c['not-a-query']).toBeGreaterThan(total / 3);
    expect(c.refused).toBeGreaterThan(0);
    expect(c['upstream-unexpected']).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(90_000);
    // A garbage TCP stream is cut off; the proxy goes on serving.
    await new Promise<void>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1', () => s.write(Buffer.from([0, 3, 1, 2, 3, 0xff, 0xff])));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    const ok = await ask('example.com');
    expect(ok.rcode).toBe('NOERROR');
    expect((ok.answers ?? []).map((a) => a.data)).toEqual(['198.18.0.10']);
    const listing = JSON.stringify(await nft.list());
    expect(listing).toContain('198.18.0.10');
    expect((await ask('blocked.com')).rcode).toBe('REFUSED');
  }, 120_000);

  it('a flood from one pod beyond its rate is dropped and counted; service resumes', async () => {
    proxy.close();
    const upPort = (up.address() as { port: number }).port;
    proxy = new DnsProxy({ bindIp: '127.0.0.1', cache: new DnsCache({ maxIpsPerName: 50 }), writer: new FqdnWriter(nft, () => Math.floor(Date.now() / 1000)), minTtl: 0, maxQps: 200 });
    await proxy.setRules(rules(port, upPort));
    for (let i = 0; i < 3000; i++) client.send(query('api.example.com', i), port, '127.0.0.1');
    await waitFor(() => proxy.counters['rate-limited'] > 0 || undefined, { timeoutMs: 10_000, what: 'rate limiting' });
    await waitFor(async () => (await ask('example.com').catch(() => null))?.rcode === 'NOERROR' || undefined, { timeoutMs: 10_000, what: 'service after the flood' });
  }, 30_000);

  it('a source that is not a known pod is never answered (no open resolver)', async () => {
    const before = proxy.counters['unknown-source'];
    const stranger = createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.2', () => r()));
    let answered = false;
    stranger.on('message', () => { answered = true; });
    stranger.send(query('example.com'), port, '127.0.0.1');
    await waitFor(() => proxy.counters['unknown-source'] > before || undefined, { timeoutMs: 5000, what: 'the drop' });
    stranger.close();
    expect(answered).toBe(false);
  });
});
