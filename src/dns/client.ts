import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as dns from 'dns-packet';
import { IoError } from '../shared/errors.js';

/**
 * A minimal DNS client: one raw message over UDP (a socket per query, so replies cannot be confused) or over
 * TCP (one connection per query). Used by the cluster DNS to forward, and by tests and tools.
 */

export interface Upstream {
  address: string;
  port: number;
}

/** Send raw query bytes over UDP and resolve with the first reply whose id matches; IoError on timeout. */
export function udpExchange(up: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  const sock = createSocket(up.address.includes(':') ? 'udp6' : 'udp4');
  const id = query.readUInt16BE(0);
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => done(new IoError(`no DNS answer from ${up.address}:${up.port} over UDP within ${timeoutMs} ms`)), timeoutMs);
    const done = (err: Error | null, msg?: Buffer): void => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(msg!);
    };
    sock.on('error', (e) => done(new IoError(`DNS over UDP to ${up.address}:${up.port}: ${e.message}`)));
    sock.on('message', (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) done(null, msg);
    });
    sock.send(query, up.port, up.address);
  });
}

/** Send raw query bytes over TCP (length-prefixed) and resolve with the reply; IoError on timeout or close. */
export function tcpExchange(up: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const s = connect({ host: up.address, port: up.port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => done(new IoError(`no DNS answer from ${up.address}:${up.port} over TCP within ${timeoutMs} ms`)), timeoutMs);
    const done = (err: Error | null, msg?: Buffer): void => {
      clearTimeout(timer);
      s.destroy();
      if (err) reject(err);
      else resolve(msg!);
    };
    s.on('error', (e) => done(new IoError(`DNS over TCP to ${up.address}:${up.port}: ${e.message}`)));
    s.on('connect', () => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(query.length);
      s.write(Buffer.concat([head, query]));
    });
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(null, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    s.on('close', () => done(new IoError(`${up.address}:${up.port} closed the TCP connection without an answer`)));
  });
}

export function isTruncated(reply: Buffer): boolean {
  return reply.length >= 4 && (reply.readUInt16BE(2) & dns.TRUNCATED_RESPONSE) !== 0;
}

/** Build a query packet (RD set, a random id, optionally with an EDNS0 OPT of `udpSize`). */
export function buildQuery(name: string, type: dns.RecordType, opts: { udpSize?: number; id?: number } = {}): Buffer {
  return dns.encode({
    type: 'query',
    id: opts.id ?? Math.floor(Math.random() * 65_536),
    flags: dns.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' } as dns.Question],
    ...(opts.udpSize ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: opts.udpSize, flags: 0, options: [] } as unknown as dns.Answer] } : {}),
  });
}

/** Resolve like a stub resolver: UDP first, TCP when the UDP answer is truncated. */
export async function query(up: Upstream, name: string, type: dns.RecordType, opts: { udpSize?: number; timeoutMs?: number } = {}): Promise<{ packet: dns.DecodedPacket; transport: 'udp' | 'tcp'; udpTruncated: boolean }> {
  const q = buildQuery(name, type, opts);
  const timeout = opts.timeoutMs ?? 2000;
  const udp = await udpExchange(up, q, timeout);
  if (!isTruncated(udp)) return { packet: dns.decode(udp), transport: 'udp', udpTruncated: false };
  return { packet: dns.decode(await tcpExchange(up, q, timeout)), transport: 'tcp', udpTruncated: true };
}
