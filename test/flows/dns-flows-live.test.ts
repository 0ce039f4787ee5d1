import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatus, statusPath } from '../../src/agent/status.js';
import { waitForAgent } from '../../src/agent/launch.js';
import type { Flow } from '../../src/flows/flow.js';
import { execInPodCapture } from '../../src/lab/supervisor.js';
import { waitFor } from '../../src/lab/wait.js';
import { waitFlow as waitLabFlow } from '../support/flows.js';
import { labCliOk } from '../support/lab-cli.js';
import { destroyTestLab, isRoot, requireAgnhostBuilt, testLab } from '../support/lab.js';

// L7 DNS events from the node's DNS proxy, world names from its cache, and flows explained by the policy
// in force at their own time (issue 6), on a real lab with its simulated internet. Prefix pwl7: this file only.

const DNS_POLICY = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: fqdn, namespace: demo }
spec:
  endpointSelector: { matchLabels: { app: client } }
  egress:
    - toEndpoints: [{ matchLabels: { k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns } }]
      toPorts: [{ ports: [{ port: "53", protocol: ANY }], rules: { dns: [{ matchName: example.com }, { matchPattern: "*.example.com" }] } }]
    - toFQDNs: [{ matchName: example.com }]
      toPorts: [{ ports: [{ port: "443", protocol: TCP }] }]
`;

describe.skipIf(!isRoot)('DNS proxy lookups as L7 flows, world names, flows explained at their time (real kernel)', () => {
  const lab = testLab('pwl7');
  const curl = { namespace: 'demo', name: 'curl' };
  const ok = labCliOk(lab);
  const waitFlow = (what: string, pred: (f: Flow) => boolean) => waitLabFlow(lab, what, pred);
  const https = (url: string) => execInPodCapture(curl, ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', url], {}, lab);

  beforeAll(() => {
    requireAgnhostBuilt();
    ok(['lab', 'up']);
    ok(['create', 'namespace', 'demo']);
    ok(['run', 'curl', '-n', 'demo', '--labels=app=client', '--command', '--', 'sleep', '365d']);
  }, 90_000);

  afterAll(async () => {
    await destroyTestLab(lab);
  });

  it('a flow logged just before a policy change is explained by the policy of its time, without disagreement', async () => {
    // Hold the node's flow reader (SIGSTOP: the kernel keeps the events) so the event is read only after
    // the agent applied the denying policy, as NFLOG batching does at random.
    const reader = readStatus(statusPath(lab.stateDir, 'node1'))?.flows?.reader.pid;
    expect(reader).toBeGreaterThan(0);
    const before = Date.now();
    process.kill(reader!, 'SIGSTOP');
    try {
      expect((await https('https://198.18.0.10')).stdout).toBe('200');
      const file = join(lab.tmp, 'fqdn.yaml');
      writeFileSync(file, DNS_POLICY);
      const applied = readStatus(statusPath(lab.stateDir, 'node1'))!.appliedRevision;
      ok(['apply', '-f', file]);
      await waitForAgent(lab.stateDir, 'node1', applied + 1, 10_000);
    } finally {
      process.kill(reader!, 'SIGCONT');
    }
    const f = await waitFlow('the pre-policy flow to 198.18.0.10:443', (x) => x.type === 'L3_L4' && x.destination.ip === '198.18.0.10' && x.destination.port === 443
      && x.trafficDirection === 'EGRESS' && Date.parse(x.time) >= before - 5);
    expect(f.verdict).toBe('FORWARDED');
    expect(f.disagreement).toBeUndefined();
    expect(f.reason).not.toContain('fqdn');
    // And the same connection now, under the policy: dropped, explained by demo/fqdn.
    expect((await https('https://198.18.0.10')).stdout).not.toBe('200');
    const d = await waitFlow('the drop under the policy', (x) => x.type === 'L3_L4' && x.destination.ip === '198.18.0.10' && x.verdict === 'DROPPED');
    expect(d.disagreement).toBeUndefined();
    expect(d.policies).toContainEqual(expect.objectContaining({ namespace: 'demo', name: 'fqdn' }));
  });

  it('an allowed lookup: dns-request and dns-response L7 flows with the answer, the rule, metrics; the flow to the answer is named', async () => {
    expect((await https('https://example.com')).stdout).toBe('200');
    const answer = await waitFlow('the DNS response', (x) => x.type === 'L7' && x.l7?.type === 'RESPONSE' && x.l7.dns.query === 'example.com.' && x.l7.dns.qtype === 'A');
    expect(answer).toMatchObject({
      verdict: 'FORWARDED', trafficDirection: 'EGRESS', isReply: true,
      source: { kind: 'pod', namespace: 'kube-system', pod: 'coredns', port: 53 }, destination: { kind: 'pod', namespace: 'demo', pod: 'curl' },
      l7: { dns: { rcode: 'NOERROR', ips: ['198.18.0.10'], observationSource: 'proxy' } },
      policies: [{ kind: 'CiliumNetworkPolicy', namespace: 'demo', name: 'fqdn', direction: 'egress', rule: 0, action: 'allow', l7: 'dns' }],
    });
    expect(answer.l7!.dns.ttl).toBeGreaterThan(0);
    // The agent reads the proxy's cache at its next poll (200 ms): a connection whose event is read before
    // that may lack the name, so the named one is the next connection, once the name is known.
    await waitFor(async () => (await (await fetch(`http://127.0.0.1:${readStatus(statusPath(lab.stateDir, 'node1'))!.api!}/metrics`)).text())
      .match(/podwall_dns_proxy_cache_names\{node="node1"\} [1-9]/) ?? undefined, { timeoutMs: 5000, what: 'the agent to read the cache' });
    const second = Date.now();
    expect((await https('https://example.com')).stdout).toBe('200');
    const conn = await waitFlow('the connection to example.com', (x) => x.type === 'L3_L4' && x.destination.ip === '198.18.0.10' && x.verdict === 'FORWARDED' && Date.parse(x.time) >= second);
    expect(conn.destination.names).toContain('example.com');
    expect(conn.disagreement).toBeUndefined();

    const l7 = ok(['observe', '--type', 'l7', '--pod', 'demo/curl', '--last', '20']).stdout;
    expect(l7).toMatch(/: demo\/curl:\d+ -> kube-system\/coredns:53 dns-request proxy FORWARDED \(DNS Query example\.com\. A\)\n/);
    expect(l7).toMatch(/: demo\/curl:\d+ <- kube-system\/coredns:53 dns-response proxy FORWARDED \(DNS Answer "198\.18\.0\.10" TTL: \d+ \(Proxy example\.com\. A\)\)\n {4}egress DNS: example\.com allowed by the DNS rule of demo\/fqdn egress rule 0/);
    expect(l7).not.toContain('policy-verdict');
    const named = ok(['observe', '--to-fqdn', 'example.com', '--last', '5']).stdout;
    expect(named).toMatch(/demo\/curl:\d+ -> example\.com:443 \(world\) policy-verdict:\S+ EGRESS ALLOWED/);
    expect(ok(['observe', '--fqdn', 'example.com', '--type', 'l7', '--last', '50', '-o', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as Flow)
      .every((x) => x.l7?.dns.query === 'example.com.')).toBe(true);

    const api = readStatus(statusPath(lab.stateDir, 'node1'))!.api!;
    const metrics = await (await fetch(`http://127.0.0.1:${api}/metrics`)).text();
    expect(metrics).toMatch(/podwall_dns_proxy_queries_total\{rcode="NOERROR",verdict="allowed",node="node1"\} [1-9]/);
    expect(metrics).toMatch(/podwall_dns_proxy_latency_seconds_count\{node="node1"\} [1-9]/);
    expect(metrics).toMatch(/podwall_dns_proxy_cache_names\{node="node1"\} [1-9]/);
  });

  it('a name the DNS rule does not list: REFUSED, a DROPPED L7 flow with the rule and the fix', async () => {
    expect((await https('https://blocked.com')).code).not.toBe(0);
    const refused = await waitFlow('the refused lookup', (x) => x.type === 'L7' && x.l7?.type !== 'RESPONSE' && x.l7?.dns.query === 'blocked.com.');
    expect(refused).toMatchObject({
      verdict: 'DROPPED', source: { namespace: 'demo', pod: 'curl' }, l7: { dns: { rcode: 'REFUSED' } },
      policies: [{ namespace: 'demo', name: 'fqdn', rule: 0, action: 'deny', l7: 'dns' }],
    });
    expect(refused.suggestion).toContain('matchName: "blocked.com"');
    const out = ok(['observe', '--type', 'l7', '--verdict', 'DROPPED', '--fqdn', 'blocked.com', '--last', '4']).stdout;
    expect(out).toMatch(/demo\/curl:\d+ -> kube-system\/coredns:53 dns-request proxy DROPPED \(DNS Query blocked\.com\. A\)/);
    expect(out).toMatch(/demo\/curl:\d+ <- kube-system\/coredns:53 dns-response proxy DROPPED \(DNS Answer RCode: Query Refused TTL: 0 \(Proxy blocked\.com\. A\)\)/);
    const api = readStatus(statusPath(lab.stateDir, 'node1'))!.api!;
    expect(await (await fetch(`http://127.0.0.1:${api}/metrics`)).text()).toMatch(/podwall_dns_proxy_queries_total\{rcode="REFUSED",verdict="refused",node="node1"\} [1-9]/);
  });
});
