// A small authoritative DNS server for the proxy's tests (UDP and TCP 53 in a pod): the zone is a JSON
// file { "name": { "A": [...], "CNAME": "target", "ttl": 60 } }. UDP answers larger than the client's
// limit (512 bytes, or its EDNS0 payload size) are sent truncated (TC) so the client retries over TCP.
import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import * as dns from 'dns-packet';

const zone = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const port = Number(process.argv[3] ?? 53);

function answer(query, udp) {
  const q = query.questions?.[0];
  const answers = [];
  let name = q?.name?.toLowerCase();
  for (let i = 0; name && i < 8; i++) {
    const z = zone[name];
    if (!z) break;
    if (z.CNAME) { answers.push({ type: 'CNAME', name, ttl: z.ttl ?? 60, class: 'IN', data: z.CNAME }); name = z.CNAME; continue; }
    if (q.type === 'A') for (const ip of z.A ?? []) answers.push({ type: 'A', name, ttl: z.ttl ?? 60, class: 'IN', data: ip });
    break;
  }
  const opt = (query.additionals ?? []).find((a) => a.type === 'OPT');
  const res = { id: query.id, type: 'response', flags: dns.AUTHORITATIVE_ANSWER | (query.flags & dns.RECURSION_DESIRED),
    rcode: zone[q?.name?.toLowerCase()] ? 'NOERROR' : 'NXDOMAIN', questions: query.questions, answers,
    additionals: opt ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232 }] : [] };
  let buf = dns.encode(res);
  const limit = opt ? Math.max(512, opt.udpPayloadSize ?? 512) : 512;
  if (udp && buf.length > limit) buf = dns.encode({ ...res, flags: res.flags | dns.TRUNCATED_RESPONSE, answers: [] });
  return buf;
}

const udp = createSocket('udp4');
udp.on('message', (msg, r) => {
  try { udp.send(answer(dns.decode(msg), true), r.port, r.address); } catch { /* not DNS */ }
});
udp.bind(port, '0.0.0.0', () => console.log(`Serving on port ${port}.`));
createServer((c) => {
  let buf = Buffer.alloc(0);
  c.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + m.length);
      try { const a = answer(dns.decode(m), false); const l = Buffer.alloc(2); l.writeUInt16BE(a.length); c.write(Buffer.concat([l, a])); } catch { c.destroy(); }
    }
  });
  c.on('error', () => {});
}).listen(port, '0.0.0.0');
