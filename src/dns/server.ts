import { createSocket, type Socket, type RemoteInfo } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import * as dns from 'dns-packet';

/**
 * DNS over UDP and TCP on one address, for the lab's DNS servers (the world's authoritative server, the
 * cluster DNS). The handler sees decoded queries and returns a response; this layer does the wire work:
 * framing, EDNS0 (the client's UDP size, the OPT record echoed), truncation (TC when an answer exceeds what
 * the client can take over UDP: it retries over TCP and gets it whole), and dropping (and counting) every
 * packet that is not a well-formed query. A handler that throws costs one SERVFAIL, never the server.
 */

export type Transport = 'udp' | 'tcp';

export interface DnsQuery {
  packet: dns.DecodedPacket;
  question: dns.Question;
  transport: Transport;
  /** The largest UDP response the client takes: its EDNS0 size (512 … 4096), 512 without OPT. */
  udpSize: number;
  from: { address: string; port: number };
  raw: Buffer;
}

/** A full response packet, or raw wire bytes (a forwarder relays what it got), or null to send nothing. */
export type DnsReply = dns.Packet | Buffer | null;
export type DnsHandler = (q: DnsQuery) => Promise<DnsReply> | DnsReply;

export interface DnsCounters {
  udp: number;
  tcp: number;
  answered: number;
  nxdomain: number;
  truncated: number;
  malformed: number;
  servfail: number;
}

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Our own EDNS0 UDP size (the DNS flag day 2020 value). */
export const EDNS_SIZE = 1232;
const MIN_UDP = 512;
const MAX_UDP = 4096;
const TCP_IDLE_MS = 10_000;

export function ednsSize(p: dns.DecodedPacket): number | undefined {
  const opt = (p.additionals ?? []).find((r) => r.type === 'OPT') as dns.OptAnswer | undefined;
  if (!opt) return undefined;
  return Math.min(MAX_UDP, Math.max(MIN_UDP, opt.udpPayloadSize ?? MIN_UDP));
}

/** The response skeleton for a query: same id, question, RD copied, OPT echoed when the query had one. */
export function responseTo(q: DnsQuery, rcode: number, flags = 0): dns.Packet {
  const rd = (q.packet.flags ?? 0) & dns.RECURSION_DESIRED;
  const hasOpt = ednsSize(q.packet) !== undefined;
  return {
    type: 'response',
    id: q.packet.id ?? 0,
    flags: flags | rd | rcode,
    questions: [q.question],
    answers: [],
    ...(hasOpt ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_SIZE, flags: 0, options: [] } as unknown as dns.OptAnswer] } : {}),
  };
}

/** Decode a query, or undefined when it is not a well-formed standard query with exactly one question. */
export function decodeQuery(raw: Buffer): { packet: dns.DecodedPacket; question: dns.Question } | undefined {
  if (raw.length < 12 || raw.length > 65_535) return undefined;
  let packet: dns.DecodedPacket;
  try {
    packet = dns.decode(raw);
  } catch {
    return undefined;
  }
  if (packet.type !== 'query' || packet.questions?.length !== 1) return undefined;
  const question = packet.questions[0]!;
  if (typeof question.name !== 'string' || typeof question.type !== 'string') return undefined;
  return { packet, question };
}

/** The bytes to send over UDP: the response, or its header and question with TC when it does not fit. */
export function fitUdp(q: DnsQuery, reply: Buffer): { bytes: Buffer; truncated: boolean } {
  if (reply.length <= q.udpSize) return { bytes: reply, truncated: false };
  const cut = responseTo(q, 0);
  try {
    const decoded = dns.decode(reply);
    cut.flags = ((decoded.flags ?? 0) | dns.TRUNCATED_RESPONSE) & 0x7fff;
    cut.id = decoded.id ?? cut.id;
  } catch {
    cut.flags = (cut.flags ?? 0) | dns.TRUNCATED_RESPONSE;
  }
  return { bytes: dns.encode(cut), truncated: true };
}

/** The header's OPCODE (0: a standard query). */
const opcode = (raw: Buffer): number => (raw.readUInt16BE(2) >> 11) & 0xf;

export interface DnsServerOptions {
  address: string;
  port?: number;
  handler: DnsHandler;
  /** Called for each dropped packet (why), e.g. to log the first few. */
  onDrop?: (why: string, from: string) => void;
}

export class DnsServer {
  readonly counters: DnsCounters = { udp: 0, tcp: 0, answered: 0, nxdomain: 0, truncated: 0, malformed: 0, servfail: 0 };
  private udp: Socket | null = null;
  private tcp: Server | null = null;
  private readonly conns = new Set<TcpSocket>();

  constructor(private readonly opts: DnsServerOptions) {}

  /** Bind UDP and TCP; resolves with the port (useful with port 0 in tests). */
  async start(): Promise<number> {
    const udp = createSocket({ type: this.opts.address.includes(':') ? 'udp6' : 'udp4', reuseAddr: true });
    udp.on('message', (msg, rinfo) => void this.onUdp(udp, msg, rinfo));
    udp.on('error', (e) => this.opts.onDrop?.(`udp socket error: ${e.message}`, this.opts.address));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.opts.port ?? 53, this.opts.address, () => { udp.off('error', reject); resolve(); });
    });
    this.udp = udp;
    const port = udp.address().port;
    const tcp = createServer((s) => this.onTcp(s));
    tcp.on('error', (e) => this.opts.onDrop?.(`tcp server error: ${e.message}`, this.opts.address));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, this.opts.address, () => { tcp.off('error', reject); resolve(); });
    });
    this.tcp = tcp;
    return port;
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
  }

  private drop(why: string, from: string): void {
    this.counters.malformed++;
    this.opts.onDrop?.(why, from);
  }

  /** Run the handler; the encoded response, or null. Never throws. */
  private async answer(raw: Buffer, transport: Transport, from: { address: string; port: number }): Promise<{ q: DnsQuery; bytes: Buffer } | null> {
    const d = decodeQuery(raw);
    if (!d) {
      this.drop('malformed query', `${from.address}:${from.port}`);
      return null;
    }
    const q: DnsQuery = { ...d, transport, udpSize: ednsSize(d.packet) ?? MIN_UDP, from, raw };
    let reply: DnsReply;
    try {
      reply = opcode(raw) === 0 ? await this.opts.handler(q) : responseTo(q, RCODE.NOTIMP);
    } catch (err) {
      this.counters.servfail++;
      this.opts.onDrop?.(`handler failed: ${err instanceof Error ? err.message : String(err)}`, `${from.address}:${from.port}`);
      reply = responseTo(q, RCODE.SERVFAIL);
    }
    if (reply === null) return null;
    let bytes: Buffer;
    try {
      bytes = Buffer.isBuffer(reply) ? reply : dns.encode(reply);
    } catch (err) {
      this.counters.servfail++;
      this.opts.onDrop?.(`cannot encode the answer: ${err instanceof Error ? err.message : String(err)}`, `${from.address}:${from.port}`);
      bytes = dns.encode(responseTo(q, RCODE.SERVFAIL));
    }
    this.counters.answered++;
    if (bytes.length >= 4 && (bytes.readUInt16BE(2) & 0xf) === RCODE.NXDOMAIN) this.counters.nxdomain++;
    return { q, bytes };
  }

  private async onUdp(sock: Socket, msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    this.counters.udp++;
    const r = await this.answer(msg, 'udp', { address: rinfo.address, port: rinfo.port });
    if (!r) return;
    const { bytes, truncated } = fitUdp(r.q, r.bytes);
    if (truncated) this.counters.truncated++;
    sock.send(bytes, rinfo.port, rinfo.address, () => undefined);
  }

  /** TCP: 2-byte length-prefixed messages (RFC 1035 4.2.2), several per connection, answered in order. */
  private onTcp(s: TcpSocket): void {
    this.conns.add(s);
    s.setTimeout(TCP_IDLE_MS, () => s.destroy());
    s.on('error', () => undefined);
    s.on('close', () => this.conns.delete(s));
    let buf = Buffer.alloc(0);
    let chain = Promise.resolve();
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        this.counters.tcp++;
        chain = chain.then(async () => {
          const r = await this.answer(Buffer.from(msg), 'tcp', { address: s.remoteAddress ?? '?', port: s.remotePort ?? 0 });
          if (!r) {
            s.destroy(); // a client that sends garbage over TCP gets nothing more
            return;
          }
          const head = Buffer.alloc(2);
          head.writeUInt16BE(r.bytes.length);
          if (!s.destroyed) s.write(Buffer.concat([head, r.bytes]));
        });
      }
    });
  }
}
