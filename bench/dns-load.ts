/**
 * bench:dns's client, run inside a pod: `node dns-load.js latency SERVER PREFIX COUNT DISTINCT` sends COUNT
 * sequential UDP queries (names `<PREFIX><i % DISTINCT>.example.com`) and prints their latencies (ms);
 * `node dns-load.js rate udp|tcp SERVER SECONDS CONCURRENCY` keeps CONCURRENCY queries in flight for
 * SECONDS (over 200 names) and prints the answered queries per second. JSON on stdout.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as dns from 'dns-packet';

const [mode, ...args] = process.argv.slice(2);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const q = (name: string, id: number) => dns.encode({ id, type: 'query', flags: dns.RECURSION_DESIRED, questions: [{ type: 'A', name }] });

async function latency(server: string, prefix: string, count: number, distinct: number): Promise<void> {
  const s = createSocket('udp4');
  const out: number[] = [];
  let failed = 0;
  let waiting: ((b: Buffer | null) => void) | null = null;
  s.on('message', (m) => waiting?.(m));
  for (let i = 0; i < count; i++) {
    const id = i & 0xffff;
    const t0 = now();
    const reply = await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 2000);
      waiting = (b) => { if (b && b.readUInt16BE(0) === id) { clearTimeout(timer); resolve(b); } };
      s.send(q(`${prefix}${i % distinct}.example.com`, id), 53, server);
    });
    if (reply && (dns.decode(reply) as { rcode?: string }).rcode === 'NOERROR') out.push(now() - t0);
    else failed++;
  }
  s.close();
  process.stdout.write(`${JSON.stringify({ ms: out, failed })}\n`);
}

async function rateUdp(server: string, seconds: number, concurrency: number): Promise<void> {
  const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  let answered = 0;
  let sent = 0;
  const end = now() + seconds * 1000;
  const inflight = new Map<number, number>();
  const send = () => {
    if (now() >= end) return;
    const id = sent & 0xffff;
    inflight.set(id, now());
    s.send(q(`r${sent % 200}.example.com`, id), 53, server);
    sent++;
  };
  s.on('message', (m) => {
    if (!inflight.delete(m.readUInt16BE(0))) return;
    answered++;
    send();
  });
  // A lost query (dropped under overload) is replaced after 200 ms, so the window never closes.
  const refill = setInterval(() => {
    const t = now();
    for (const [id, at] of inflight) if (t - at > 200) { inflight.delete(id); send(); }
  }, 50);
  for (let i = 0; i < concurrency; i++) send();
  await new Promise((r) => setTimeout(r, seconds * 1000 + 50));
  clearInterval(refill);
  s.close();
  process.stdout.write(`${JSON.stringify({ qps: answered / seconds, sent })}\n`);
}

async function rateTcp(server: string, seconds: number, concurrency: number): Promise<void> {
  const conns = Math.max(1, Math.min(8, concurrency));
  const perConn = Math.max(1, Math.floor(concurrency / conns));
  const end = now() + seconds * 1000;
  let answered = 0;
  await Promise.all(Array.from({ length: conns }, (_, c) => new Promise<void>((resolve) => {
    const sock = connect(53, server);
    sock.setNoDelay(true);
    let n = 0;
    let buf = Buffer.alloc(0);
    const send = () => {
      if (now() >= end) { sock.end(); return; }
      const m = q(`t${c}x${n % 200}.example.com`, n & 0xffff);
      n++;
      const l = Buffer.alloc(2);
      l.writeUInt16BE(m.length);
      sock.write(Buffer.concat([l, m]));
    };
    sock.on('connect', () => { for (let i = 0; i < perConn; i++) send(); });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        answered++;
        send();
      }
    });
    sock.on('close', () => resolve());
    sock.on('error', () => resolve());
    setTimeout(() => { sock.destroy(); resolve(); }, seconds * 1000 + 2000);
  })));
  process.stdout.write(`${JSON.stringify({ qps: answered / seconds })}\n`);
}

if (mode === 'latency') await latency(args[0]!, args[1]!, Number(args[2]), Number(args[3]));
else if (mode === 'rate' && args[0] === 'udp') await rateUdp(args[1]!, Number(args[2]), Number(args[3]));
else if (mode === 'rate' && args[0] === 'tcp') await rateTcp(args[1]!, Number(args[2]), Number(args[3]));
else { process.stderr.write('usage: dns-load.js latency SERVER PREFIX COUNT DISTINCT | rate udp|tcp SERVER SECONDS CONCURRENCY\n'); process.exit(2); }
