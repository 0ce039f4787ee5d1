import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Flow } from '../../src/flows/flow.js';

/**
 * An HTTP server answering the agents' flow API (src/flows/flow.ts: GET /v1/flows?last=N[&follow=1], NDJSON) from
 * given flows: the load test's input, and a second agent for the aggregation tests. `push` streams more flows to
 * followers; `dropFollowers` cuts their connections (to test reconnects).
 */
export interface FlowApi {
  url: string;
  push(flows: Flow[]): void;
  dropFollowers(): void;
  requests: string[];
  close(): Promise<void>;
}

export async function startFlowApi(initial: Flow[]): Promise<FlowApi> {
  const buffer = [...initial];
  const followers = new Set<http.ServerResponse>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname + url.search);
    if (url.pathname !== '/v1/flows') {
      res.writeHead(404).end();
      return;
    }
    const last = Number(url.searchParams.get('last') ?? buffer.length);
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const lines = buffer.slice(-last).map((f) => JSON.stringify(f)).join('\n');
    if (lines) res.write(`${lines}\n`);
    if (url.searchParams.get('follow') !== '1') {
      res.end();
      return;
    }
    followers.add(res);
    req.on('close', () => followers.delete(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    push(flows) {
      buffer.push(...flows);
      const text = flows.map((f) => `${JSON.stringify(f)}\n`).join('');
      for (const f of followers) f.write(text);
    },
    dropFollowers() {
      for (const f of followers) f.destroy();
      followers.clear();
    },
    async close() {
      for (const f of followers) f.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
