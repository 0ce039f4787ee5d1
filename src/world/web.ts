import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * The simulated internet's web servers: HTTPS on 443 and plain HTTP on 80, on every address of the world
 * netns (bound to the wildcard, so addresses a conformance run adds later are served too). Every request
 * gets `200 OK` and a one-line body naming the host asked for and the address that answered.
 */

export interface WebOptions {
  /** PEM key and certificate (signed by the lab CA, SANs for the zone's names). */
  key: string;
  cert: string;
  address?: string;
  httpsPort?: number;
  httpPort?: number;
}

function handle(scheme: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '') || req.socket.localAddress || '?';
    const body = `hello from ${host} (${req.socket.localAddress ?? '?'}, ${scheme}) via the podwall lab's simulated internet\n`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), server: 'podwall-world' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

function listen(server: Server, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export interface WorldWeb {
  httpsPort: number;
  httpPort: number;
  stop(): Promise<void>;
}

export async function startWorldWeb(opts: WebOptions): Promise<WorldWeb> {
  const address = opts.address ?? '0.0.0.0';
  const https = createHttps({ key: opts.key, cert: opts.cert }, handle('https'));
  const http = createHttp(handle('http'));
  // A client that never finishes its handshake must not pin a socket forever.
  for (const s of [https, http]) {
    s.headersTimeout = 10_000;
    s.requestTimeout = 10_000;
    s.on('clientError', (_e, sock) => sock.destroy());
  }
  const httpsPort = await listen(https, opts.httpsPort ?? 443, address);
  const httpPort = await listen(http, opts.httpPort ?? 80, address);
  return {
    httpsPort,
    httpPort,
    stop: async () => {
      for (const s of [https, http]) s.closeAllConnections();
      await Promise.all([https, http].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
