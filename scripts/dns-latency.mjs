// Sequential DNS lookups of one name against one server over UDP; prints the latency percentiles.
// The demo runs it inside two pods (one whose DNS goes through the DNS proxy, one whose does not) to show
// the proxy's overhead live; `npm run bench:dns` is the full measurement.
// Usage: node scripts/dns-latency.mjs SERVER NAME COUNT
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

const [server = '10.96.0.10', name = 'example.com', countText = '200'] = process.argv.slice(2);
const count = Number(countText);
const socket = dgram.createSocket('udp4');

function once(id) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const timer = setTimeout(() => reject(new Error(`no answer from ${server} within 2 s`)), 2000);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      const answer = dnsPacket.decode(msg);
      if (answer.id !== id || answer.rcode !== 'NOERROR') return reject(new Error(`bad answer: ${answer.rcode}`));
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
    socket.send(dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), 53, server);
  });
}

const times = [];
try {
  for (let i = 0; i < count; i++) times.push(await once((i % 65535) + 1));
} catch (e) {
  console.error(`dns-latency: ${e.message}`);
  process.exit(1);
} finally {
  socket.close();
}
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2);
console.log(`${count} lookups of ${name} via ${server}: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`);
