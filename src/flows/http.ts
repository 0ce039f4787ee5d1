/**
 * The flow API on 127.0.0.1 (paths in src/flows/flow.ts): NDJSON flows (oldest first, optionally
 * followed), the service status as JSON and Prometheus metrics. Filtering is the client's
 * (src/flows/filter.ts), so every consumer filters alike.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FLOW_API_PREFIX, type Flow } from './flow.js';
import type { FlowRing, RingQuery } from './ring.js';
import type { AgentMetrics } from './metrics.js';

export interface FlowSource {
  ring: FlowRing;
  metrics: AgentMetrics;
  poll(): Promise<unknown>;
}

export interface FlowServer {
  port: number;
  close(): Promise<void>;
}

/**
 * A follower that reads slower than flows come: past SOFT_BACKLOG bytes waiting for it, forwarded flows are
 * no longer sent to it, past HARD_BACKLOG no flow is (memory stays bounded); each skipped flow is counted.
 */
const SOFT_BACKLOG = 8 * 1024 * 1024;
const HARD_BACKLOG = 48 * 1024 * 1024;

function time(v: string | null, name: string): number | undefined {
  if (v === null || v === '') return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(t)) throw new RangeError(`${name}: not a time (ISO 8601 or ms since the epoch): ${v}`);
  return t;
}

function ringQuery(u: URL): RingQuery {
  const q: RingQuery = {};
  const last = u.searchParams.get('last');
  if (last !== null) {
    if (!/^\d+$/.test(last)) throw new RangeError(`last: not a count: ${last}`);
    q.last = Number(last);
  }
  const since = time(u.searchParams.get('since'), 'since');
  const until = time(u.searchParams.get('until'), 'until');
  if (since !== undefined) q.since = since;
  if (until !== undefined) q.until = until;
  return q;
}

/** Each flow is serialised once, however many clients read it. */
const lines = new WeakMap<Flow, string>();
function line(f: Flow): string {
  let l = lines.get(f);
  if (l === undefined) {
    l = `${JSON.stringify(f)}\n`;
    lines.set(f, l);
  }
  return l;
}

function flows(src: FlowSource, u: URL, req: IncomingMessage, res: ServerResponse): void {
  const q = ringQuery(u);
  const follow = ['1', 'true'].includes(u.searchParams.get('follow') ?? '');
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  const past = src.ring.query(follow && q.last === undefined && q.since === undefined ? { last: 0 } : q);
  res.write(past.map(line).join(''));
  if (!follow) {
    res.end();
    return;
  }
  // Flows arriving together (one read of the reader's pipe) go out in one write.
  let pending: string[] = [];
  let pendingBytes = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0 || res.destroyed) return;
    res.write(pending.join(''));
    pending = [];
    pendingBytes = 0;
  };
  const stop = src.ring.follow((f) => {
    if (q.until !== undefined && Date.parse(f.time) > q.until) return;
    const waiting = res.writableLength + pendingBytes;
    if (waiting > HARD_BACKLOG || (waiting > SOFT_BACKLOG && f.verdict !== 'DROPPED')) {
      src.metrics.slowFollower.inc({ verdict: f.verdict });
      return;
    }
    const l = line(f);
    pending.push(l);
    pendingBytes += l.length;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  const end = () => stop();
  req.on('close', end);
  res.on('close', end);
}

export function serveFlows(src: FlowSource, port: number): Promise<FlowServer> {
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    void (async () => {
      try {
        if (req.method !== 'GET') {
          res.writeHead(405, { allow: 'GET' }).end();
        } else if (u.pathname === `${FLOW_API_PREFIX}/flows`) {
          flows(src, u, req, res);
        } else if (u.pathname === `${FLOW_API_PREFIX}/status`) {
          res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(await src.poll())}\n`);
        } else if (u.pathname === '/metrics') {
          await src.poll();
          res.writeHead(200, { 'content-type': src.metrics.registry.contentType }).end(await src.metrics.text());
        } else {
          res.writeHead(404, { 'content-type': 'application/json' }).end(`${JSON.stringify({ error: `no such path: ${u.pathname}` })}\n`);
        }
      } catch (err) {
        const bad = err instanceof RangeError;
        if (!res.headersSent) res.writeHead(bad ? 400 : 500, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify({ error: (err as Error).message })}\n`);
      }
    })();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const addr = server.address() as AddressInfo;
      resolve({
        port: addr.port,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}
