/**
 * bench:dns's upstream: an authoritative server for `*.example.com` (UDP and TCP on port 53 of its pod).
 * Every name gets one A record in 198.18.0.0/16 derived from the name (so distinct names give distinct
 * addresses, each a new `fqdn` set element), TTL 300. Prints "Serving on port 53." when it listens.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import * as dns from 'dns-packet';

function addressOf(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return `198.18.${(h >>> 8) & 255}.${(h & 255) || 1}`;
}

function answer(msg: Buffer): Buffer | null {
  let q: dns.Packet;
  try { q = dns.decode(msg); } catch { return null; }
  const question = q.questions?.[0];
  if (!question) return null;
  const ok = question.name.toLowerCase().endsWith('example.com');
  return dns.encode({
    id: q.id, type: 'response', flags: dns.AUTHORITATIVE_ANSWER | ((q.flags ?? 0) & dns.RECURSION_DESIRED) | (ok ? 0 : 3),
    questions: q.questions, answers: ok && question.type === 'A' ? [{ type: 'A', name: question.name, ttl: 300, class: 'IN', data: addressOf(question.name.toLowerCase()) }] : [],
  });
}

const udp = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
udp.on('message', (m, r) => { const a = answer(m); if (a) udp.send(a, r.port, r.address); });
udp.bind(53, '0.0.0.0', () => process.stdout.write('Serving on port 53.\n'));
createServer((c) => {
  c.setNoDelay(true);
  let buf = Buffer.alloc(0);
  c.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const a = answer(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      buf = buf.subarray(2 + buf.readUInt16BE(0));
      if (!a) { c.destroy(); return; }
      const l = Buffer.alloc(2);
      l.writeUInt16BE(a.length);
      c.write(Buffer.concat([l, a]));
    }
  });
  c.on('error', () => undefined);
}).listen(53, '0.0.0.0');
