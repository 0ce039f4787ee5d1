import { existsSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { CacheEntry } from '../cache.js';

/**
 * The proxy's control socket (HTTP on a unix socket in the state dir, root only): the live cache and
 * counters for `podwall fqdn cache list`, `clean`, and the lookups the agent turns into L7 DNS flows.
 */
export interface ControlHandlers {
  status(): unknown;
  cache(): { now: number; entries: CacheEntry[] };
  clean(pod: string | null): Promise<number>;
  /** Lookups after sequence number `after` (src/fqdn/proxy/events.ts). */
  events(after: number): unknown;
}

export function serveControl(path: string, h: ControlHandlers): Promise<Server> {
  if (existsSync(path)) rmSync(path, { force: true });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/status') return send(200, h.status());
    if (req.method === 'GET' && url.pathname === '/cache') return send(200, h.cache());
    if (req.method === 'GET' && url.pathname === '/events') return send(200, h.events(Math.max(0, Number(url.searchParams.get('after')) || 0)));
    if (req.method === 'POST' && url.pathname === '/clean') {
      h.clean(url.searchParams.get('pod')).then((removed) => send(200, { removed }), (e: Error) => send(500, { error: e.message }));
      return;
    }
    send(404, { error: 'not found' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

/** One request to a proxy's control socket; null when no proxy answers there. */
export function controlRequest<T>(path: string, method: 'GET' | 'POST', route: string, timeoutMs = 2000): Promise<T | null> {
  if (!existsSync(path)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const req = request({ socketPath: path, method, path: route, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(Buffer.concat(chunks).toString()) as T) : null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}
