import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { isIP, connect as tcpConnect } from 'node:net';
import { parseFlags, type FlagSpec } from './flags.js';
import type { AgnhostIo } from './io.js';

/**
 * `agnhost connect HOST:PORT [--timeout=3s] [--protocol=tcp|udp|sctp]`, with agnhost's results
 * (kubernetes test/images/agnhost/connect): nothing and exit 0 on success; otherwise exit 1 and one line on
 * stderr starting with TIMEOUT, REFUSED, DNS, UNKNOWN or OTHER. UDP sends `--udp-data` plus a newline and
 * needs a reply (serve-hostname --udp answers); an ICMP port unreachable is REFUSED.
 */

export const CONNECT_FLAGS: FlagSpec = {
  timeout: { type: 'duration', default: 0 },
  protocol: { type: 'string', default: 'tcp' },
  'udp-data': { type: 'string', default: 'hostname' },
  'sctp-data': { type: 'string', default: 'hostname' },
};

// Go prints syscall errors with their strerror text; Node gives the errno name.
const STRERROR: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENETUNREACH: 'network is unreachable',
  EHOSTUNREACH: 'no route to host',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EINVAL: 'invalid argument',
};

function errnoText(err: NodeJS.ErrnoException): string {
  return (err.code && STRERROR[err.code]) ?? err.message;
}

/** net.SplitHostPort: `host:port` or `[v6]:port`. */
export function splitHostPort(dest: string): { host: string; port: string } | { error: string } {
  const bracket = /^\[([^\]]*)\]:([^:]*)$/.exec(dest);
  if (bracket) return { host: bracket[1]!, port: bracket[2]! };
  const i = dest.lastIndexOf(':');
  if (i < 0) return { error: `address ${dest}: missing port in address` };
  const host = dest.slice(0, i);
  if (host.includes(':')) return { error: `address ${dest}: too many colons in address` };
  return { host, port: dest.slice(i + 1) };
}

async function resolve(dest: string, net: 'tcp' | 'udp' | 'sctp'): Promise<{ host: string; port: number; family: 4 | 6 } | { error: string }> {
  const hp = splitHostPort(dest);
  if ('error' in hp) return hp;
  const port = /^\d+$/.test(hp.port) ? Number(hp.port) : NaN;
  if (!(port >= 0 && port <= 65535)) return { error: `lookup ${net}/${hp.port}: unknown port` };
  const literal = isIP(hp.host);
  if (literal) return { host: hp.host, port, family: literal as 4 | 6 };
  try {
    const r = await lookup(hp.host === '' ? 'localhost' : hp.host);
    return { host: r.address, port, family: r.family as 4 | 6 };
  } catch (e) {
    return { error: `lookup ${hp.host}: ${(e as NodeJS.ErrnoException).code === 'ENOTFOUND' ? 'no such host' : (e as Error).message}` };
  }
}

function connectTcp(io: AgnhostIo, dest: string, target: { host: string; port: number }, timeoutMs: number): Promise<number> {
  return new Promise((done) => {
    const sock = tcpConnect({ host: target.host, port: target.port });
    let timer: NodeJS.Timeout | undefined;
    const finish = (code: number, line?: string): void => {
      if (timer) clearTimeout(timer);
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      sock.destroy();
      if (line !== undefined) io.stderr(`${line}\n`);
      done(code);
    };
    // Go's DialTimeout: 0 means no timeout of its own (the kernel's SYN retries decide).
    if (timeoutMs > 0) timer = setTimeout(() => finish(1, 'TIMEOUT'), timeoutMs);
    sock.once('connect', () => finish(0));
    sock.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') finish(1, 'REFUSED');
      else if (err.code === 'ETIMEDOUT') finish(1, 'TIMEOUT');
      else finish(1, `OTHER: dial tcp ${dest}: connect: ${errnoText(err)}`);
    });
  });
}

function connectUdp(io: AgnhostIo, target: { host: string; port: number; family: 4 | 6 }, timeoutMs: number, data: string): Promise<number> {
  return new Promise((done) => {
    const sock: UdpSocket = createSocket(target.family === 6 ? 'udp6' : 'udp4');
    let timer: NodeJS.Timeout | undefined;
    let local = '';
    const remote = target.family === 6 ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
    const finish = (code: number, line?: string): void => {
      if (timer) clearTimeout(timer);
      sock.removeAllListeners();
      sock.on('error', () => undefined);
      try {
        sock.close();
      } catch {
        // already closed
      }
      if (line !== undefined) io.stderr(`${line}\n`);
      done(code);
    };
    const failed = (err: NodeJS.ErrnoException, op: string): void => {
      if (err.code === 'ECONNREFUSED') finish(1, `REFUSED: ${op} udp ${local}->${remote}: ${op}: connection refused`);
      else finish(1, `UNKNOWN: ${op} udp ${local}->${remote}: ${op}: ${errnoText(err)}`);
    };
    if (timeoutMs > 0) timer = setTimeout(() => finish(1, `TIMEOUT: read udp ${local}->${remote}: i/o timeout`), timeoutMs);
    sock.once('error', (err: NodeJS.ErrnoException) => failed(err, 'read'));
    sock.on('message', (msg) => {
      // As agnhost: an empty reply does not prove the server got the request.
      if (msg.length === 0) finish(1, 'OTHER: No data received from the server. Cannot guarantee the server received the request.');
      else finish(0);
    });
    // A connected socket is what turns an ICMP port unreachable into ECONNREFUSED on the next read.
    sock.connect(target.port, target.host, () => {
      const a = sock.address();
      local = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
      sock.send(`${data}\n`, (err) => {
        if (err) failed(err as NodeJS.ErrnoException, 'write');
      });
    });
  });
}

/** Whether this kernel has SCTP (the module registers /proc/sys/net/sctp). */
export function kernelHasSctp(): boolean {
  return existsSync('/proc/sys/net/sctp');
}

/** Run `agnhost connect`; returns the exit code. */
export async function connectCommand(argv: readonly string[], io: AgnhostIo): Promise<number> {
  const parsed = parseFlags(argv, CONNECT_FLAGS);
  if (!parsed.ok) {
    io.stderr(`Error: ${parsed.error}\n`);
    return 1;
  }
  if (parsed.args.length !== 1) {
    io.stderr(`Error: accepts 1 arg(s), received ${parsed.args.length}\n`);
    return 1;
  }
  const dest = parsed.args[0]!;
  const timeoutMs = parsed.flags.timeout as number;
  const protocol = parsed.flags.protocol as string;
  if (protocol !== '' && protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') {
    io.stderr(`Unsupported protocol\n${protocol}`);
    return 1;
  }
  if (protocol === 'sctp') {
    // Node.js has no SCTP sockets; in a kernel without SCTP no implementation could connect anyway.
    io.stderr(kernelHasSctp() ? 'OTHER: SCTP is not supported by this agnhost (Node.js has no SCTP sockets)\n' : 'OTHER: SCTP not supported by this kernel\n');
    return 1;
  }
  if (protocol !== 'udp' && 'error' in splitHostPort(dest)) {
    io.stderr(`UNKNOWN: ${(splitHostPort(dest) as { error: string }).error}\n`);
    return 1;
  }
  const target = await resolve(dest, protocol === 'udp' ? 'udp' : 'tcp');
  if ('error' in target) {
    io.stderr(`DNS: ${target.error}\n`);
    return 1;
  }
  return protocol === 'udp' ? connectUdp(io, target, timeoutMs, parsed.flags['udp-data'] as string) : connectTcp(io, dest, target, timeoutMs);
}
