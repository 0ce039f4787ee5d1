import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { parseFlags, type FlagSpec } from './flags.js';
import { logLine, type AgnhostIo } from './io.js';
import { kernelHasSctp } from './connect.js';

/**
 * `agnhost serve-hostname [--tcp] [--udp] [--http=true|false] [--close] [--port 9376]` (kubernetes
 * test/images/agnhost/serve-hostname): answers with the hostname — the pod name (POD_NAME) in the lab, where
 * netns share the machine's UTS name. --tcp writes it and closes; --udp answers each datagram; --http
 * (default on, exclusive with the others) serves it over HTTP. "Serving on port N." is logged once every
 * listener is bound, so it doubles as a readiness signal. Differences: SIGTERM exits at once (agnhost waits
 * 60 s for pod deletion); --sctp is accepted and logged as unavailable when the kernel has no SCTP.
 */

export const SERVE_HOSTNAME_FLAGS: FlagSpec = {
  tcp: { type: 'bool', default: false },
  udp: { type: 'bool', default: false },
  sctp: { type: 'bool', default: false },
  http: { type: 'bool', default: true },
  close: { type: 'bool', default: false },
  port: { type: 'int', default: 9376 },
};

function remote(address: string | undefined, port: number | undefined): string {
  const a = address?.startsWith('::ffff:') ? address.slice(7) : address ?? '?';
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

async function listen(server: Server, port: number): Promise<void> {
  server.listen({ port }); // no host: dual-stack when IPv6 is available, else 0.0.0.0 (the pods have IPv6 off)
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e))]);
}

async function bindUdp(port: number): Promise<UdpSocket> {
  for (const type of ['udp6', 'udp4'] as const) {
    const sock = createSocket({ type, ipv6Only: false });
    try {
      sock.bind(port);
      await Promise.race([once(sock, 'listening'), once(sock, 'error').then(([e]) => Promise.reject(e))]);
      return sock;
    } catch (err) {
      sock.close();
      const code = (err as NodeJS.ErrnoException).code;
      if (type === 'udp4' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL' && code !== 'EINVAL')) throw err;
    }
  }
  throw new Error('unreachable');
}

/** Run `agnhost serve-hostname` until `signal` aborts (exit 0) or a listener fails (exit 1). */
export async function serveHostnameCommand(argv: readonly string[], io: AgnhostIo, opts: { signal?: AbortSignal } = {}): Promise<number> {
  const parsed = parseFlags(argv, SERVE_HOSTNAME_FLAGS);
  if (!parsed.ok) {
    io.stderr(`Error: ${parsed.error}\n`);
    return 1;
  }
  if (parsed.args.length > 0) {
    io.stderr(`Error: accepts at most 0 arg(s), received ${parsed.args.length}\n`);
    return 1;
  }
  const f = parsed.flags as { tcp: boolean; udp: boolean; sctp: boolean; http: boolean; close: boolean; port: number };
  if (f.http && (f.tcp || f.udp)) {
    logLine(io, "Can't server TCP/UDP mode and HTTP mode at the same time");
    return 1;
  }
  const name = io.env.POD_NAME || osHostname();
  const closers: (() => void)[] = [];
  try {
    if (f.tcp) {
      const server = createTcpServer((conn) => {
        logLine(io, `TCP request from ${remote(conn.remoteAddress, conn.remotePort)}`);
        conn.on('error', () => undefined);
        conn.end(name);
      });
      await listen(server, f.port).catch((e: Error) => Promise.reject(new Error(`Error from net.Listen(): ${e.message}`)));
      closers.push(() => server.close());
    }
    if (f.udp) {
      const sock = await bindUdp(f.port).catch((e: Error) => Promise.reject(new Error(`Error from ListenUDP(): ${e.message}`)));
      sock.on('message', (_msg, rinfo) => {
        logLine(io, `UDP request from ${remote(rinfo.address, rinfo.port)}`);
        sock.send(name, rinfo.port, rinfo.address);
      });
      closers.push(() => sock.close());
    }
    if (f.sctp && !kernelHasSctp()) logLine(io, 'SCTP not supported by this kernel: not serving SCTP');
    else if (f.sctp) logLine(io, 'SCTP is not supported by this agnhost (Node.js has no SCTP sockets): not serving SCTP');
    if (f.http) {
      const server = createHttpServer((req, res) => {
        logLine(io, `HTTP request from ${remote(req.socket.remoteAddress, req.socket.remotePort)}`);
        if (f.close) res.setHeader('Connection', 'close');
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        res.end(name);
      });
      await listen(server, f.port).catch((e: Error) => Promise.reject(new Error(`listen tcp :${f.port}: ${e.message}`)));
      closers.push(() => {
        server.closeAllConnections();
        server.close();
      });
    }
  } catch (err) {
    logLine(io, (err as Error).message);
    for (const c of closers) c();
    return 1;
  }
  logLine(io, `Serving on port ${f.port}.`);
  if (opts.signal) {
    if (!opts.signal.aborted) await once(opts.signal, 'abort');
    logLine(io, `Shutting down after receiving signal: ${String(opts.signal.reason ?? 'terminated')}.`);
    for (const c of closers) c();
    return 0;
  }
  return new Promise<number>(() => undefined); // serves until the process is killed
}
