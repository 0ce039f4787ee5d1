import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Flow } from '../flows/flow.js';
import type { AgentEndpoint } from './agents.js';
import { FlowAggregator } from './aggregator.js';
import { ClusterWatch } from './cluster-watch.js';
import type { ClusterView, SourceStatus, UiEvent } from './protocol.js';
import { serveStatic } from './static.js';

export const DEFAULT_UI_PORT = 12000;

export interface UiServerOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  stateDir: string;
  storePath: string;
  agents?: AgentEndpoint[];
  /** Flows kept for the browser (default 50,000). */
  maxFlows?: number;
  /** The built front end (default: dist/ui of this checkout). */
  assetsDir?: string;
  /** Wait before reconnecting to an agent whose stream broke (default 1 s). */
  retryMs?: number;
}

export interface UiServer {
  url: string;
  close(): Promise<void>;
}

/** dist/src/ui/server.js → dist/ui */
export function defaultAssetsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui');
}

/** Flows per SSE message when a new browser catches up: big enough to be quick, small enough to parse smoothly. */
const CHUNK = 5000;

function sse(res: http.ServerResponse, event: UiEvent, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * The UI's own process (`podwall ui`): serves the built front end and one Server-Sent Events stream that carries
 * the cluster view (from the store), the agents' connection states and every agent's flows.
 */
export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  const assetsDir = opts.assetsDir ?? defaultAssetsDir();
  if (!existsSync(join(assetsDir, 'index.html'))) {
    throw new Error(`the UI is not built (${join(assetsDir, 'index.html')} is missing): run \`npm run setup\``);
  }
  const clients = new Set<http.ServerResponse>();
  const broadcast = (event: UiEvent, data: unknown) => { for (const c of clients) sse(c, event, data); };
  const aggregator = new FlowAggregator({
    stateDir: opts.stateDir, agents: opts.agents ?? [], maxFlows: opts.maxFlows ?? 50_000, ...(opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {}),
  });
  const watch = new ClusterWatch(opts.storePath, (view: ClusterView) => broadcast('cluster', view));
  aggregator.subscribe({
    flows: (batch: Flow[]) => broadcast('flows', batch),
    sources: (list: SourceStatus[]) => broadcast('sources', list),
  });

  const events = (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    sse(res, 'reset', {});
    sse(res, 'cluster', watch.current());
    sse(res, 'sources', aggregator.sources());
    const flows = aggregator.snapshot();
    for (let i = 0; i < flows.length; i += CHUNK) sse(res, 'flows', flows.slice(i, i + CHUNK));
    sse(res, 'ready', { flows: flows.length });
    clients.add(res);
    req.on('close', () => clients.delete(res));
  };

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/api/events') return events(req, res);
    if (path === '/api/cluster') return json(res, watch.current());
    if (path === '/api/sources') return json(res, aggregator.sources());
    if (path === '/api/flows') return json(res, aggregator.snapshot());
    void serveStatic(assetsDir, path, res).then((served) => {
      if (!served) res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
    });
  });
  // Keep-alive pings let the browser notice a dead server, and keep idle proxies from closing the stream.
  const ping = setInterval(() => { for (const c of clients) c.write(': ping\n\n'); }, 15_000);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  watch.start();
  aggregator.start();
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/`,
    close: async () => {
      clearInterval(ping);
      aggregator.stop();
      watch.stop();
      for (const c of clients) c.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res: http.ServerResponse, data: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(data));
}
