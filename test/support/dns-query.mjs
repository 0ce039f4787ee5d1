// One DNS query from inside a pod: node dns-query.mjs SERVER NAME [udp|tcp] [edns] -> JSON on stdout
// { rcode, tc, answers: [{type,name,data,ttl}] } or { error }.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as dns from 'dns-packet';

const [server, name, proto = 'udp', edns = ''] = process.argv.slice(2);
const id = Math.floor(Math.random() * 65535);
const q = dns.encode({ id, type: 'query', flags: dns.RECURSION_DESIRED, questions: [{ type: 'A', name }],
  additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: 4096 }] : [] });
const done = (buf) => {
  const p = dns.decode(buf);
  console.log(JSON.stringify({ id: p.id === id, rcode: p.rcode, tc: (p.flags & dns.TRUNCATED_RESPONSE) !== 0,
    answers: (p.answers ?? []).map((a) => ({ type: a.type, name: a.name, data: a.data, ttl: a.ttl })) }));
  process.exit(0);
};
setTimeout(() => { console.log(JSON.stringify({ error: 'timeout' })); process.exit(0); }, 3000);
if (proto === 'udp') {
  const s = createSocket('udp4');
  s.on('message', done);
  s.on('error', (e) => { console.log(JSON.stringify({ error: e.code ?? e.message })); process.exit(0); });
  s.send(q, 53, server);
} else {
  const c = connect(53, server);
  let buf = Buffer.alloc(0);
  const l = Buffer.alloc(2); l.writeUInt16BE(q.length);
  c.on('connect', () => c.write(Buffer.concat([l, q])));
  c.on('data', (d) => { buf = Buffer.concat([buf, d]); if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0))); });
  c.on('error', (e) => { console.log(JSON.stringify({ error: e.code ?? e.message })); process.exit(0); });
}
