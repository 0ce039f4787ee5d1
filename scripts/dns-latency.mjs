// Sequential DNS lookups of one name against one server over UDP; prints the latency percentiles.
// The demo runs it inside two pods (one whose DNS goes through the DNS proxy, one whose does not) to show
// the proxy's overhead live; `npm run bench:dns` is the full measurement.
// Usage: node scripts/dns-latency.mjs SERVER NAME COUNT
import dnsPacket from 'dns-packet';
import { buildQuery, udpExchange } from '../dist/src/dns/client.js';

const [server = '10.96.0.10', name = 'example.com', countText = '200'] = process.argv.slice(2);
const count = Number(countText);

const times = [];
try {
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    const answer = dnsPacket.decode(await udpExchange({ address: server, port: 53 }, buildQuery(name, 'A'), 2000));
    if (answer.rcode !== 'NOERROR') throw new Error(`bad answer: ${answer.rcode}`);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
} catch (e) {
  console.error(`dns-latency: ${e.message}`);
  process.exit(1);
}
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2);
console.log(`${count} lookups of ${name} via ${server}: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`);
