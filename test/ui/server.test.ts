import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/api/types.js';
import type { Flow } from '../../src/flows/flow.js';
import { waitFor } from '../../src/lab/wait.js';
import { openStore } from '../../src/store/index.js';
import { apiUrl } from '../../src/ui/agents.js';
import type { ClusterView, SourceStatus } from '../../src/ui/protocol.js';
import { startUiServer, type UiServer } from '../../src/ui/server.js';
import { repoRoot } from '../support/conformance-dir.js';
import { startFlowApi, type FlowApi } from '../support/flow-api.js';
import { generateLoad } from '../support/flow-gen.js';
import { podwall } from '../support/cli.js';

// The UI server without a browser: it follows every agent named by the status files, merges their flows,
// reconnects without counting a flow twice, and streams cluster, sources and flows as Server-Sent Events.

interface SseEvent { event: string; data: unknown }

/** Reads /api/events into a list of parsed events. */
function subscribe(url: string): { events: SseEvent[]; close(): void } {
  const events: SseEvent[] = [];
  let buf = '';
  const req = http.get(`${url}api/events`, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data !== undefined) events.push({ event, data: JSON.parse(data) });
      }
    });
  });
  req.on('error', () => undefined);
  return { events, close: () => req.destroy() };
}

const get = (url: string): Promise<{ status: number; body: string; type: string }> => new Promise((resolve, reject) => {
  http.get(url, (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body, type: String(res.headers['content-type']) }));
  }).on('error', reject);
});

const SEED: ApiObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'server', namespace: 'demo', labels: { app: 'server' } }, spec: { nodeName: 'node1', containers: [{ name: 'c' }] }, status: { podIP: '10.244.0.2' } },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: 'demo', labels: { run: 'client' } }, spec: { nodeName: 'node1', containers: [{ name: 'c' }] }, status: { podIP: '10.244.0.3' } },
  {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'demo-policy', namespace: 'demo' },
    spec: { podSelector: { matchLabels: { app: 'server' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 80 }] }] },
  },
] as ApiObject[];

describe('the UI server', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'podwall-ui-server-'));
  const stateDir = join(tmp, 'state');
  const flows = generateLoad(3, { pods: 100, policies: 5, flows: 400, nodes: 2 }).flows;
  const byNode = (n: string) => flows.filter((f) => f.node === n);
  const apis: FlowApi[] = [];
  let ui: UiServer;

  beforeAll(async () => {
    mkdirSync(stateDir, { recursive: true });
    const store = openStore(join(stateDir, 'store.db'));
    store.apply(SEED);
    store.close();
    for (const node of ['node1', 'node2']) {
      const api = await startFlowApi(byNode(node));
      apis.push(api);
      // The agents write the port alone (src/agent/status.ts `api`).
      const flowsInfo = { reader: { kind: 'tcpdump', running: node === 'node1', pid: null, lastError: node === 'node1' ? null : 'tcpdump exited' }, lost: 0, disagreements: 0, kernel: { suppressed: 3 } };
      writeFileSync(join(stateDir, `agent-${node}.json`), JSON.stringify({ node, api: Number(new URL(api.url).port), flows: flowsInfo }));
    }
    writeFileSync(join(stateDir, 'agent-node3.json'), JSON.stringify({ node: 'node3', api: null }));
    ui = await startUiServer({ host: '127.0.0.1', port: 0, stateDir, storePath: join(stateDir, 'store.db'), assetsDir: join(repoRoot, 'dist/ui'), retryMs: 50 });
  });

  afterAll(async () => {
    await ui?.close();
    for (const a of apis) await a.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('reads the agent API address as a port, host:port or URL', () => {
    expect(apiUrl(9301)).toBe('http://127.0.0.1:9301');
    expect(apiUrl('127.0.0.1:9301')).toBe('http://127.0.0.1:9301');
    expect(apiUrl('http://127.0.0.1:9301/')).toBe('http://127.0.0.1:9301');
    expect(apiUrl(null)).toBeUndefined();
    expect(apiUrl(70000)).toBeUndefined();
  });

  it('streams reset, cluster, sources, every agent\'s buffered flows, then ready', async () => {
    await waitFor(async () => (JSON.parse((await get(`${ui.url}api/flows`)).body) as Flow[]).length === flows.length || undefined, { what: 'both agents\' flows' });
    const sub = subscribe(ui.url);
    try {
      await waitFor(() => sub.events.some((e) => e.event === 'ready') || undefined, { what: 'ready' });
      const names = sub.events.map((e) => e.event);
      expect(names.slice(0, 3)).toEqual(['reset', 'cluster', 'sources']);
      expect(names.at(-1)).toBe('ready');
      const got = sub.events.filter((e) => e.event === 'flows').flatMap((e) => e.data as Flow[]);
      expect(got.map((f) => `${f.node}/${f.seq}`).sort()).toEqual(flows.map((f) => `${f.node}/${f.seq}`).sort());
      expect(sub.events.at(-1)!.data).toEqual({ flows: flows.length });

      const cluster = sub.events[1]!.data as ClusterView;
      expect(cluster.pods.map((p) => p.id)).toEqual(['demo/client', 'demo/server']);
      expect(cluster.policies).toEqual([expect.objectContaining({
        kind: 'NetworkPolicy', namespace: 'demo', name: 'demo-policy', selects: ['demo/server'], isolates: { ingress: true, egress: false },
        rules: [expect.objectContaining({ direction: 'ingress', action: 'allow', index: 0, ports: 'TCP/80' })],
      })]);
      const sources = sub.events[2]!.data as SourceStatus[];
      expect(sources.map((s) => [s.node, s.state])).toEqual([['node1', 'connected'], ['node2', 'connected'], ['node3', 'no-api']]);
      // The flow reader's health as the status files report it: a reader that stopped is shown, not hidden.
      expect(sources.map((s) => s.reader)).toEqual([
        { running: true, lastError: null, lost: 0, suppressed: 3, disagreements: 0 },
        { running: false, lastError: 'tcpdump exited', lost: 0, suppressed: 3, disagreements: 0 },
        undefined,
      ]);
    } finally {
      sub.close();
    }
  });

  it('pushes new flows and store changes live; a broken agent stream is resumed without duplicates', async () => {
    const sub = subscribe(ui.url);
    try {
      await waitFor(() => sub.events.some((e) => e.event === 'ready') || undefined, { what: 'ready' });
      const last = byNode('node1').at(-1)!;
      const fresh: Flow = { ...last, seq: last.seq + 1, time: new Date(Date.parse(last.time) + 1000).toISOString(), verdict: 'DROPPED' };
      apis[0]!.push([fresh]);
      await waitFor(() => sub.events.some((e) => e.event === 'flows' && (e.data as Flow[]).some((f) => f.seq === fresh.seq && f.node === 'node1' && f.time === fresh.time)) || undefined, { what: 'the new flow' });

      // The agent cuts the stream: the server reconnects, gets the whole buffer again, and keeps each flow once.
      const before = apis[0]!.requests.length;
      apis[0]!.dropFollowers();
      await waitFor(() => apis[0]!.requests.length > before || undefined, { what: 'a reconnect' });
      const after = { ...fresh, seq: fresh.seq + 1, time: new Date(Date.parse(fresh.time) + 1000).toISOString() };
      apis[0]!.push([after]);
      await waitFor(async () => (JSON.parse((await get(`${ui.url}api/flows`)).body) as Flow[]).length === flows.length + 2 || undefined, { what: 'the flow after the reconnect' });
      const all = JSON.parse((await get(`${ui.url}api/flows`)).body) as Flow[];
      expect(new Set(all.map((f) => `${f.node}/${f.seq}/${f.time}`)).size).toBe(all.length);
      expect(apis[0]!.requests.at(-1)).toMatch(/^\/v1\/flows\?follow=1&last=\d+$/);

      const store = openStore(join(stateDir, 'store.db'));
      store.setLabels({ kind: 'Pod', namespace: 'demo', name: 'client' }, { app: 'client' });
      store.close();
      await waitFor(() => sub.events.some((e) => e.event === 'cluster' && (e.data as ClusterView).pods.some((p) => p.id === 'demo/client' && p.labels.includes('app=client'))) || undefined, { what: 'the label in the cluster view' });
    } finally {
      sub.close();
    }
  });

  it('serves the built page with its assets from itself (no CDN), and nothing outside dist/ui', async () => {
    const index = await get(ui.url);
    expect(index.status).toBe(200);
    expect(index.type).toContain('text/html');
    const refs = [...index.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((r) => r !== 'data:,');
    expect(refs.length).toBeGreaterThanOrEqual(2);
    for (const ref of refs) {
      expect(ref).not.toMatch(/^(https?:)?\/\//);
      const asset = await get(new URL(ref, ui.url).href);
      expect(asset.status, ref).toBe(200);
      expect(asset.body).not.toMatch(/https?:\/\/(cdn|unpkg|fonts\.googleapis)/);
    }
    expect((await get(`${ui.url}nope.js`)).status).toBe(404);
    expect((await get(`${ui.url}..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await get(`${ui.url}%E0%A4%A`)).status).toBe(404);
    expect((await get(ui.url)).status).toBe(200); // and the server is still up
  });

  it('podwall ui: usage errors exit 2 before anything listens; --help has examples', () => {
    expect(podwall(['ui', '--port', 'http'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--port: expected a port number') });
    expect(podwall(['ui', '--agent', 'node1=not a url'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--agent') });
    expect(podwall(['ui', '--help']).stdout).toMatch(/Examples:\n  podwall ui /);
  });
});
