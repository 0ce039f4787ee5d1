import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer } from 'node:net';
import * as dnsPacket from 'dns-packet';

/**
 * DNS for live conformance runs: the cluster DNS pod's server (answers from the folder's `world.hosts`,
 * UDP and TCP), a pod's lookup of a name, and the payload of a UDP probe to port 53 (a real query, so
 * a DNS proxy on the way forwards it instead of dropping it as malformed).
 */

export function dnsQuery(name: string, id = Math.floor(Math.random() * 65536)): Buffer {
  return dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
}

function reply(msg: Buffer, answers: ReadonlyMap<string, readonly string[]>): Buffer | null {
  let q: dnsPacket.Packet;
  try { q = dnsPacket.decode(msg); } catch { return null; }
  const question = q.questions?.[0];
  if (!question) return null;
  const name = question.name.toLowerCase().replace(/\.$/, '');
  const ips = answers.get(name);
  const list = question.type === 'A' ? (ips ?? []).filter((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip)) : [];
  return dnsPacket.encode({
    id: q.id, type: 'response', flags: dnsPacket.AUTHORITATIVE_ANSWER | ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | (ips ? 0 : 3),
    questions: q.questions, answers: list.map((data) => ({ type: 'A', name: question.name, ttl: 300, class: 'IN', data })),
  });
}

/** Serve `answers` on host:port, UDP and TCP. */
export async function serveDns(host: string, port: number, answers: ReadonlyMap<string, readonly string[]>): Promise<void> {
  const udp = createSocket('udp4');
  udp.on('message', (m, r) => { const a = reply(m, answers); if (a) udp.send(a, r.port, r.address); });
  udp.bind({ port, address: host });
  await Promise.race([once(udp, 'listening'), once(udp, 'error').then(([e]) => Promise.reject(e))]);
  udp.on('error', () => undefined);
  const tcp = createServer((c) => {
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const a = reply(buf.subarray(2, 2 + buf.readUInt16BE(0)), answers);
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (!a) { c.destroy(); return; }
        const l = Buffer.alloc(2);
        l.writeUInt16BE(a.length);
        c.write(Buffer.concat([l, a]));
      }
    });
    c.on('error', () => undefined);
  });
  tcp.listen({ host, port });
  await Promise.race([once(tcp, 'listening'), once(tcp, 'error').then(([e]) => Promise.reject(e))]);
}

/** Look `name` up at server:53 over UDP: the rcode and A records, `timeout`, or the socket error's code. */
export async function resolveName(server: string, name: string, timeoutMs: number): Promise<{ outcome: 'connected' | 'timeout' | 'refused' | 'error'; detail: string }> {
  const sock = createSocket('udp4');
  const id = Math.floor(Math.random() * 65536);
  return new Promise((resolve) => {
    const finish = (outcome: 'connected' | 'timeout' | 'refused' | 'error', detail: string) => {
      clearTimeout(timer);
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      try { sock.close(); } catch { /* closed */ }
      resolve({ outcome, detail });
    };
    const timer = setTimeout(() => finish('timeout', 'no answer'), timeoutMs);
    sock.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? 'refused' : 'error', e.code ?? e.message));
    sock.on('message', (m) => {
      try {
        const p = dnsPacket.decode(m) as { id?: number; rcode?: string; answers?: { type: string; data: unknown }[] };
        if (p.id !== id) return;
        finish('connected', `${p.rcode ?? 'NOERROR'} ${(p.answers ?? []).filter((a) => a.type === 'A').map((a) => String(a.data)).join(',')}`.trim());
      } catch {
        finish('error', 'malformed answer');
      }
    });
    sock.send(dnsQuery(name, id), 53, server);
  });
}
