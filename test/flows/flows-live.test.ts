import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatus, statusPath } from '../../src/agent/status.js';
import type { Flow } from '../../src/flows/flow.js';
import { flowApis, streamFlows } from '../../src/flows/relay.js';
import type { FlowServiceInfo } from '../../src/flows/service.js';
import { execInPodCapture } from '../../src/lab/supervisor.js';
import { waitFor } from '../../src/lab/wait.js';
import { waitFlow as waitLabFlow, labFlows } from '../support/flows.js';
import { labCliOk } from '../support/lab-cli.js';
import { connect, destroyTestLab, isRoot, requireAgnhostBuilt, testLab, waitServing } from '../support/lab.js';

// Flow events from real packets (issue 6): the seed's client -> server through the kernel's NFLOG, the
// agent's reader and API, and `podwall observe`. Prefix pwl1 belongs to this file only.

const DEMO_POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: demo-policy, namespace: demo }
spec:
  podSelector: { matchLabels: { app: server } }
  ingress: [{ from: [{ podSelector: { matchLabels: { app: client } } }], ports: [{ protocol: TCP, port: 80 }] }]
`;

async function get(port: number, path: string): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  expect(r.status).toBe(200);
  return r.text();
}

/** Prometheus text format, strictly enough to catch a broken exposition: every sample line parses. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

describe.skipIf(!isRoot)('flow events from real packets (real kernel)', () => {
  const lab = testLab('pwl1');
  const client = { namespace: 'demo', name: 'client' };
  let serverIp = '';
  let port = 0;
  const ok = labCliOk(lab);
  const flows = () => labFlows(lab);
  const waitFlow = (what: string, pred: (f: Flow) => boolean) => waitLabFlow(lab, what, pred);

  beforeAll(() => {
    requireAgnhostBuilt();
    ok(['lab', 'up']);
    ok(['create', 'namespace', 'demo']);
    ok(['run', 'server', '-n', 'demo', '--labels=app=server', '--port=80', '--command', '--', '/agnhost', 'serve-hostname', '--tcp', '--http=false', '--port', '80']);
    ok(['run', 'client', '-n', 'demo']);
    serverIp = JSON.parse(ok(['get', 'pod', 'server', '-n', 'demo', '-o', 'json']).stdout).status.podIP;
    port = readStatus(statusPath(lab.stateDir, 'node1'))!.api!;
  }, 60_000);

  afterAll(async () => {
    await destroyTestLab(lab);
  });

  it('the agent serves the flow API and names its port in the status file', async () => {
    expect(port).toBeGreaterThan(0);
    expect(flowApis(lab.stateDir)).toEqual([{ node: 'node1', port }]);
    const status = JSON.parse(await get(port, '/v1/status')) as FlowServiceInfo;
    expect(status).toMatchObject({ node: 'node1', api: port, ringSize: 4096, reader: { kind: 'tcpdump', running: true } });
  });

  it('a dropped connection: INGRESS DROPPED by demo/demo-policy (default deny), with the fix; egress FORWARDED', async () => {
    await waitServing(lab, { namespace: 'demo', name: 'server' });
    const file = join(lab.tmp, 'demo-policy.yaml');
    writeFileSync(file, DEMO_POLICY);
    ok(['apply', '-n', 'demo', '-f', file]);
    expect((await connect(lab, client, `${serverIp}:80`, '--timeout=1s', '--protocol=tcp')).out).toBe('TIMEOUT');
    const drop = await waitFlow('the drop', (f) => f.verdict === 'DROPPED' && f.destination.ip === serverIp);
    expect(drop).toMatchObject({
      node: 'node1', type: 'L3_L4', trafficDirection: 'INGRESS', dropReason: 'POLICY_DENIED', policyMatchType: 'none',
      source: { kind: 'pod', namespace: 'demo', pod: 'client', labels: ['run=client'] },
      destination: { kind: 'pod', namespace: 'demo', pod: 'server', port: 80, labels: ['app=server'] },
      l4: { protocol: 'TCP', tcpFlags: ['SYN'] },
      policies: [{ kind: 'NetworkPolicy', namespace: 'demo', name: 'demo-policy', direction: 'ingress', action: 'deny' }],
      reason: 'ingress: no rule matched; default deny by NetworkPolicy demo/demo-policy',
      suggestion: 'label pod demo/client app=client would match demo/demo-policy ingress rule 0',
    });
    expect(drop.disagreement).toBeUndefined();
    const egress = (await flows()).find((f) => f.trafficDirection === 'EGRESS' && f.source.port === drop.source.port);
    expect(egress).toMatchObject({ verdict: 'FORWARDED', policyMatchType: 'all', policies: [] });

    const r = ok(['observe', '--last', '1', '--to-pod', 'demo/server', '--verdict', 'DROPPED']);
    expect(r.stdout).toMatch(/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d{3}: demo\/client:\d+ -> demo\/server:80 policy-verdict:none INGRESS DENIED \(TCP Flags: SYN\)\n/);
    expect(r.stdout).toContain('fix: label pod demo/client app=client would match demo/demo-policy ingress rule 0');
    const json = ok(['observe', '--last', '5', '-o', 'json', '--to-pod', 'demo/server', '--not', '--verdict', 'FORWARDED']).stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow);
    expect(json.length).toBeGreaterThan(0);
    expect(json.every((f) => f.verdict === 'DROPPED' && f.destination.pod === 'server')).toBe(true);
  });

  it('follow streams the next flows: after `label pod client app=client` the connection is FORWARDED by demo-policy ingress rule 0', async () => {
    const seen: Flow[] = [];
    const ac = new AbortController();
    const following = streamFlows({ node: 'node1', port }, { follow: true }, (f) => seen.push(f), ac.signal);
    try {
      ok(['label', 'pod', 'client', '-n', 'demo', 'app=client']);
      expect((await connect(lab, client, `${serverIp}:80`, '--timeout=3s', '--protocol=tcp')).code).toBe(0);
      const allowed = await waitFor(() => seen.find((f) => f.trafficDirection === 'INGRESS' && f.destination.ip === serverIp), { timeoutMs: 10_000, what: 'the followed flow' });
      expect(allowed).toMatchObject({
        verdict: 'FORWARDED', policyMatchType: 'L3-L4', reason: 'ingress: allowed by demo/demo-policy ingress rule 0',
        source: { labels: ['app=client', 'run=client'] },
        policies: [{ kind: 'NetworkPolicy', namespace: 'demo', name: 'demo-policy', direction: 'ingress', rule: 0, action: 'allow' }],
      });
      expect(allowed.suggestion).toBeUndefined();
      // Only new flows: nothing from before the stream opened.
      expect(seen.every((f) => f.verdict === 'FORWARDED')).toBe(true);
    } finally {
      ac.abort();
      await following;
    }
  });

  it('repeated drops of one flow are rate-limited and counted; /metrics parses and agrees', async () => {
    // 300 UDP packets of one flow (fixed source port) to a port demo-policy does not open.
    const script = `const s=require('dgram').createSocket('udp4');s.bind(40001,()=>{let n=0;const go=()=>{if(n++>=300)return s.close();s.send('x',9999,${JSON.stringify(serverIp)},go)};go()})`;
    const r = await execInPodCapture(client, [process.execPath, '-e', script], {}, lab);
    expect(r.code).toBe(0);
    // Logged events reach the reader in batches or after the log's 1 s flush timeout: wait until all are in.
    const { status, logged, drops } = await waitFor(async () => {
      const st = JSON.parse(await get(port, '/v1/status')) as FlowServiceInfo;
      const mine = (await flows()).filter((f) => f.source.port === 40001);
      const dropped = mine.filter((f) => f.verdict === 'DROPPED');
      return st.kernel.suppressedDrops >= 250 && dropped.length + st.kernel.suppressedDrops === 300 ? { status: st, logged: mine, drops: dropped } : undefined;
    }, { timeoutMs: 15_000, what: 'every drop logged or counted as suppressed' });
    // Every packet passes egress (the client is not isolated) and is dropped at ingress, so conntrack never
    // confirms the flow: the meter lets the burst (10) and 5/s through on each side, the rest is counted.
    expect(drops.length).toBeGreaterThanOrEqual(1);
    expect(drops.length).toBeLessThanOrEqual(30);
    expect(logged.length - drops.length).toBeLessThanOrEqual(30);
    expect(drops.length + status.kernel.suppressedDrops).toBe(300);
    expect(status.kernel.suppressed - status.kernel.suppressedDrops).toBeGreaterThanOrEqual(250);
    expect(drops[0]).toMatchObject({ trafficDirection: 'INGRESS', l4: { protocol: 'UDP' }, destination: { port: 9999 }, dropReason: 'POLICY_DENIED' });

    const metrics = parseMetrics(await get(port, '/metrics'));
    expect(metrics.get('podwall_flow_events_suppressed{verdict="DROPPED",node="node1"}')).toBeGreaterThanOrEqual(status.kernel.suppressedDrops);
    expect(metrics.get('podwall_flows_total{verdict="DROPPED",direction="INGRESS",policy="demo/demo-policy",node="node1"}')).toBeGreaterThanOrEqual(drops.length + 1);
    expect(metrics.get('podwall_drops_total{reason="POLICY_DENIED",node="node1"}')).toBeGreaterThan(0);
    expect(metrics.get('podwall_flow_verdict_disagreements_total{node="node1"}')).toBe(0);
    expect(metrics.get('podwall_nft_apply_duration_seconds_count{node="node1"}')).toBeGreaterThan(0);
    expect(metrics.has('podwall_agent_reconcile_errors_total{node="node1"}')).toBe(true);
    expect(metrics.get('podwall_flow_events_lost{where="kernel-to-reader",node="node1"}')).toBe(0);
  });
});
