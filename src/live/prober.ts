import { buildQuery } from '../dns/client.js';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect as tcpConnect, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * The prober: one long-lived process per network namespace that probes (a pod's, the node's, the world's).
 * It reads requests as JSON lines and answers each with one JSON line, many at once, so a run costs one
 * process per source instead of one per probe. It can also serve (the node's and the world's servers),
 * bound to one address so UDP replies leave from the address that was asked.
 */

export type ProberProtocol = 'TCP' | 'UDP';

/**
 * What a UDP probe sends: agnhost's `hostname\n`, but to port 53 a DNS query (for a cluster.local name, answered
 * by the cluster DNS itself with NXDOMAIN), so a DNS server answers it as the echo servers answer anything.
 */
function udpPayload(port: number): Buffer | string {
  return port === 53 ? buildQuery('probe.podwall.cluster.local', 'A', { id: 0x5057 }) : 'hostname\n';
}

export interface ProbeRequest {
  id: number;
  op: 'probe';
  protocol: ProberProtocol;
  host: string;
  port: number;
  timeoutMs: number;
  /** Bind this source address (the world netns holds several). */
  source?: string;
}

export interface ServeRequest {
  id: number;
  op: 'serve';
  protocol: ProberProtocol;
  host: string;
  port: number;
}

export type ProberRequest = ProbeRequest | ServeRequest;

/**
 * `connected`: a TCP handshake completed or a UDP reply came back; `timeout`: nothing came back (a dropped
 * packet); `refused`: a RST or ICMP port unreachable came back (the packet got through, nothing listens);
 * `error`: anything else (unreachable, bad request).
 */
export type ProbeOutcome = 'connected' | 'timeout' | 'refused' | 'error';

export interface ProberReply {
  id: number;
  outcome: ProbeOutcome | 'serving';
  detail?: string;
  ms: number;
}

/** UDP source ports are handed out in turn, never chosen by the kernel: a new probe must never reuse the
 * 5-tuple of an earlier one, or the earlier one's conntrack entry (established) would let it through. */
const UDP_PORTS = { from: 20000, to: 60999 };

/**
 * Run `fn` after one more poll phase: when the process was starved, the timers phase runs before the I/O that
 * arrived in time (a completed handshake, a reply) is read; an answer that is already there must still count.
 */
function lastTurn(fn: () => void): void {
  setImmediate(fn);
}

export class Prober {
  private nextUdpPort: number;

  constructor(private readonly name: string, seed: number) {
    this.nextUdpPort = UDP_PORTS.from + (seed % (UDP_PORTS.to - UDP_PORTS.from));
  }

  private udpPort(): number {
    const p = this.nextUdpPort;
    this.nextUdpPort = p >= UDP_PORTS.to ? UDP_PORTS.from : p + 1;
    return p;
  }

  async handle(req: ProberRequest): Promise<ProberReply> {
    const t0 = performance.now();
    const done = (outcome: ProberReply['outcome'], detail?: string): ProberReply =>
      ({ id: req.id, outcome, ...(detail ? { detail } : {}), ms: Math.round(performance.now() - t0) });
    try {
      if (req.op === 'serve') {
        await (req.protocol === 'TCP' ? this.serveTcp(req) : this.serveUdp(req));
        return done('serving');
      }
      const r = req.protocol === 'TCP' ? await this.probeTcp(req) : await this.probeUdp(req);
      return done(r.outcome, r.detail);
    } catch (err) {
      return done('error', (err as Error).message);
    }
  }

  private probeTcp(req: ProbeRequest): Promise<{ outcome: ProbeOutcome; detail?: string }> {
    return new Promise((resolve) => {
      const sock = tcpConnect({ host: req.host, port: req.port, ...(req.source ? { localAddress: req.source } : {}) });
      let settled = false;
      const finish = (outcome: ProbeOutcome, detail?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.removeAllListeners();
        sock.on('error', () => undefined);
        sock.destroy();
        resolve({ outcome, ...(detail ? { detail } : {}) });
      };
      const timer = setTimeout(() => lastTurn(() => finish('timeout')), req.timeoutMs);
      sock.once('connect', () => finish('connected'));
      sock.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? finish('refused') : finish('error', e.code ?? e.message)));
    });
  }

  private async bindUdp(source: string | undefined): Promise<UdpSocket> {
    for (let attempt = 0; ; attempt++) {
      const sock = createSocket('udp4');
      try {
        sock.bind({ port: this.udpPort(), ...(source ? { address: source } : {}) });
        await Promise.race([once(sock, 'listening'), once(sock, 'error').then(([e]) => Promise.reject(e))]);
        return sock;
      } catch (err) {
        sock.close();
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err;
      }
    }
  }

  private async probeUdp(req: ProbeRequest): Promise<{ outcome: ProbeOutcome; detail?: string }> {
    const sock = await this.bindUdp(req.source);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: ProbeOutcome, detail?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.removeAllListeners();
        sock.on('error', () => undefined);
        try {
          sock.close();
        } catch {
          // already closed
        }
        resolve({ outcome, ...(detail ? { detail } : {}) });
      };
      const timer = setTimeout(() => lastTurn(() => finish('timeout')), req.timeoutMs);
      sock.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? finish('refused') : finish('error', e.code ?? e.message)));
      // As agnhost connect: an empty reply does not prove the server got the request.
      sock.on('message', (msg) => (msg.length > 0 ? finish('connected') : finish('error', 'empty UDP reply')));
      // A connected socket turns an ICMP port unreachable into ECONNREFUSED.
      sock.connect(req.port, req.host, () => sock.send(udpPayload(req.port), (e) => e && finish('error', (e as NodeJS.ErrnoException).code ?? e.message)));
    });
  }

  private async serveTcp(req: ServeRequest): Promise<void> {
    const server = createServer((conn) => {
      conn.on('error', () => undefined);
      conn.end(this.name);
    });
    server.listen({ host: req.host, port: req.port });
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
  }

  private async serveUdp(req: ServeRequest): Promise<void> {
    const sock = createSocket('udp4');
    sock.on('message', (_msg, rinfo) => sock.send(this.name, rinfo.port, rinfo.address));
    sock.bind({ port: req.port, address: req.host });
    await Promise.race([once(sock, 'listening'), once(sock, 'error').then(([e]) => Promise.reject(e))]);
    sock.on('error', () => undefined);
  }
}

/**
 * Read requests from `input` until it ends, answering each on `write` as soon as it completes.
 * Resolves when the input ends (the parent went away): the caller exits then.
 */
export async function runProber(input: Readable, write: (line: string) => void, name: string, seed: number): Promise<void> {
  const prober = new Prober(name, seed);
  write(`${JSON.stringify({ id: 0, outcome: 'serving', detail: 'ready', ms: 0 } satisfies ProberReply)}\n`);
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    let req: ProberRequest;
    try {
      req = JSON.parse(line) as ProberRequest;
    } catch {
      write(`${JSON.stringify({ id: -1, outcome: 'error', detail: `bad request: ${line.slice(0, 80)}`, ms: 0 })}\n`);
      continue;
    }
    void prober.handle(req).then((reply) => write(`${JSON.stringify(reply)}\n`));
  }
}
