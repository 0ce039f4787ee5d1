import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentFiles, waitForAgent } from '../../src/agent/launch.js';
import type { ApiObject, Pod } from '../../src/api/types.js';
import { createExecutor } from '../../src/dataplane/nft/executor.js';
import { controlRequest } from '../../src/fqdn/proxy/control.js';
import { proxyFiles } from '../../src/fqdn/proxy/files.js';
import { proxyPid, startProxy, stopProxy } from '../../src/fqdn/proxy/launch.js';
import { nodeNetns } from '../../src/lab/names.js';
import { execInPodCapture, type PodRef } from '../../src/lab/supervisor.js';
import { waitFor } from '../../src/lab/wait.js';
import type { Store } from '../../src/store/index.js';
import { agentPid, applyWithPods, namespace, pod, processGone, upAgentLab, waitGone } from '../support/agent-lab.js';
import { podwall } from '../support/cli.js';
import { connect, destroyTestLab, isRoot, requireAgnhostBuilt, testLab, waitServing } from '../support/lab.js';

const here = new URL('.', import.meta.url).pathname;
const UPSTREAM = join(here, '../support/dns-upstream.mjs');
const QUERY = join(here, '../support/dns-query.mjs');

const ctx = testLab('pwq');
const client: PodRef = { namespace: 'default', name: 'client' };
const other: PodRef = { namespace: 'default', name: 'other' };
const IP = { dns: '10.244.0.53', client: '10.244.0.10', other: '10.244.0.11', web: '10.244.0.80', web2: '10.244.0.81', web3: '10.244.0.82' };

const zone = {
  'example.com': { A: [IP.web], ttl: 300 },
  'short.example.com': { A: [IP.web2], ttl: 2 },
  'cname.example.com': { CNAME: 'target.elsewhere.org', ttl: 120 },
  'target.elsewhere.org': { A: [IP.web3], ttl: 100 },
  'blocked.com': { A: [IP.web2], ttl: 300 },
  'many.example.com': { A: Array.from({ length: 40 }, (_, i) => `198.18.1.${i + 1}`), ttl: 60 },
};

function placed(p: Pod, ip: string): Pod {
  return { ...p, status: { podIP: ip } } as Pod;
}

function objects(): ApiObject[] {
  const server = ['agnhost', 'serve-hostname', '--tcp', '--http=false', '--port', '80'];
  return [
    namespace('default'), namespace('kube-system'),
    placed(pod('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, ['node', UPSTREAM, join(ctx.tmp, 'zone.json')]), IP.dns),
    placed(pod('default', 'client', { app: 'client' }, ['agnhost', 'pause']), IP.client),
    placed(pod('default', 'other', { app: 'other' }, ['agnhost', 'pause']), IP.other),
    placed(pod('default', 'web', { app: 'web' }, server), IP.web),
    placed(pod('default', 'web2', { app: 'web' }, server), IP.web2),
    placed(pod('default', 'web3', { app: 'web' }, server), IP.web3),
    {
      apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'client-fqdn', namespace: 'default' },
      spec: {
        endpointSelector: { matchLabels: { app: 'client' } },
        egress: [
          {
            toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
            toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchName: 'example.com' }, { matchPattern: '*.example.com' }] } }],
          },
          { toFQDNs: [{ matchName: 'example.com' }, { matchPattern: '*.example.com' }], toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }] }] },
        ],
      },
    } as unknown as ApiObject,
  ];
}

interface Reply { id?: boolean; rcode?: string; tc?: boolean; answers?: { type: string; data: string; ttl: number }[]; error?: string }

async function query(from: PodRef, name: string, proto: 'udp' | 'tcp' = 'udp', edns = false): Promise<Reply> {
  const r = await execInPodCapture(from, ['node', QUERY, '10.96.0.10', name, proto, ...(edns ? ['edns'] : [])], {}, ctx);
  return JSON.parse(r.stdout.trim() || '{"error":"no output"}') as Reply;
}

async function fqdnElements(): Promise<{ key: string; timeout: number; expires: number }[]> {
  const exec = createExecutor({ netns: nodeNetns('node1', ctx.prefix) });
  try {
    const listing = (await exec.list()) as { nftables: Record<string, Record<string, unknown>>[] };
    const set = listing.nftables.find((o) => o.set?.name === 'fqdn')?.set;
    return ((set?.elem as { elem: { val: { concat: unknown[] }; timeout: number; expires: number } }[] | undefined) ?? [])
      .map((e) => ({ key: e.elem.val.concat.join(' '), timeout: e.elem.timeout, expires: e.elem.expires }));
  } finally {
    exec.close();
  }
}

const node1 = () => ({ name: 'node1', netns: nodeNetns('node1', ctx.prefix) });

describe.runIf(isRoot)('the DNS proxy in a live lab', () => {
  let store: Store;

  beforeAll(async () => {
    requireAgnhostBuilt();
    writeFileSync(join(ctx.tmp, 'zone.json'), JSON.stringify(zone));
    const lab = await upAgentLab(ctx, 1);
    store = lab.store;
    const { revision } = applyWithPods(store, objects());
    await waitForAgent(ctx.stateDir, 'node1', revision, 20_000);
    for (const p of ['web', 'web2', 'web3']) await waitServing(ctx, { namespace: 'default', name: p });
    await waitServing(ctx, { namespace: 'kube-system', name: 'coredns' });
    await waitFor(() => proxyPid(ctx.stateDir, node1()) !== null || undefined, { timeoutMs: 10_000, what: 'the DNS proxy' });
  }, 60_000);

  afterAll(async () => {
    store?.close();
    await destroyTestLab(ctx);
  });

  it('no connection to an IP before the pod looked its name up', async () => {
    expect((await connect(ctx, client, `${IP.web}:80`, '--timeout=1s', '--protocol=tcp')).out).toMatch(/TIMEOUT/);
  });

  it('an allowed lookup: answer relayed, element in the fqdn set with the TTL, the connect right after it passes', async () => {
    const r = await query(client, 'Example.COM');
    expect(r).toMatchObject({ id: true, rcode: 'NOERROR' });
    expect(r.answers?.map((a) => a.data)).toEqual([IP.web]);
    const c = await connect(ctx, client, `${IP.web}:80`, '--timeout=3s', '--protocol=tcp');
    expect(c.code, c.out).toBe(0);
    const el = (await fqdnElements()).find((e) => e.key === `${IP.client} ${IP.web} tcp 80`);
    expect(el?.timeout).toBeGreaterThan(290);
    expect(el!.timeout).toBeLessThanOrEqual(301);
    // Only the answered IP: another address stays closed.
    expect((await connect(ctx, client, `${IP.web2}:80`, '--timeout=1s', '--protocol=tcp')).out).toMatch(/TIMEOUT/);
  });

  it('a name the DNS rule does not allow gets REFUSED and teaches nothing', async () => {
    expect(await query(client, 'blocked.com')).toMatchObject({ rcode: 'REFUSED', answers: [] });
    expect((await fqdnElements()).some((e) => e.key.includes(IP.web2))).toBe(false);
  });

  it('a CNAME chain: the final address is allowed under the queried name; TCP works too', async () => {
    const r = await query(client, 'cname.example.com', 'tcp');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers?.map((a) => a.type)).toEqual(['CNAME', 'A']);
    expect((await fqdnElements()).map((e) => e.key)).toContain(`${IP.client} ${IP.web3} tcp 80`);
  });

  it('a truncated UDP answer is relayed with TC; over TCP the whole answer comes and is learned', async () => {
    const udp = await query(client, 'many.example.com');
    expect(udp).toMatchObject({ rcode: 'NOERROR', tc: true });
    const tcp = await query(client, 'many.example.com', 'tcp');
    expect(tcp.answers).toHaveLength(40);
    const keys = (await fqdnElements()).map((e) => e.key);
    expect(keys.filter((k) => k.startsWith(`${IP.client} 198.18.1.`))).toHaveLength(40);
    const edns = await query(client, 'many.example.com', 'udp', true);
    expect(edns).toMatchObject({ tc: false });
    expect(edns.answers).toHaveLength(40);
  });

  it('a pod without a DNS rule is not redirected (nothing answers at 10.96.0.10 for it)', async () => {
    expect((await query(other, 'example.com')).error).toBeDefined();
  });

  it('TTL expiry removes the element', async () => {
    await query(client, 'short.example.com');
    const key = `${IP.client} ${IP.web2} tcp 80`;
    expect((await fqdnElements()).map((e) => e.key)).toContain(key);
    await waitFor(async () => !(await fqdnElements()).some((e) => e.key === key) || undefined, { timeoutMs: 8000, what: 'the element to expire' });
  });

  it('fqdn cache list shows what was learned', async () => {
    const out = podwall(['fqdn', 'cache', 'list', '-o', 'json']);
    const rows = (JSON.parse(out.stdout) as { entries: { pod: string; fqdn: string; ips: string[]; source: string }[] }).entries;
    expect(rows.find((r) => r.fqdn === 'example.com')).toMatchObject({ pod: 'default/client', ips: [IP.web], source: 'lookup' });
  });

  it('policy trace on the live lab uses the proxy\'s cache', () => {
    // many.example.com answered world addresses (toFQDNs selects world endpoints only, as in Cilium).
    const ok = podwall(['policy', 'trace', '--from', 'default/client', '--to', 'many.example.com', '--port', '80/TCP']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('198.18.1.1');
    expect(podwall(['policy', 'trace', '--from', 'default/client', '--to', 'many.example.com', '--port', '443/TCP']).code).toBe(3);
  });

  it('proxy killed: lookups fail closed; restarted, it resumes from the persisted cache', async () => {
    // The agent would restart the proxy within a second: stop it first (its rules stay in force).
    const agent = agentPid(ctx, 'node1');
    process.kill(agent, 'SIGKILL');
    await waitGone(agent);
    const pid = proxyPid(ctx.stateDir, node1())!;
    stopProxy(ctx.stateDir, node1(), { kill: true });
    await waitFor(() => processGone(pid) || undefined, { timeoutMs: 5000, what: 'the proxy to end' });
    const r = await query(client, 'example.com');
    expect(r.error ?? r.rcode).toMatch(/ECONNREFUSED|timeout/);
    // Learned IPs stay allowed while the proxy is down (the kernel holds them).
    expect((await connect(ctx, client, `${IP.web}:80`, '--timeout=3s', '--protocol=tcp')).code).toBe(0);
    startProxy(ctx.stateDir, node1());
    const status = await waitFor(async () => (await controlRequest<{ cacheEntries: number }>(proxyFiles(ctx.stateDir, 'node1').socket, 'GET', '/status')) ?? undefined,
      { timeoutMs: 10_000, what: 'the restarted proxy' });
    expect(status.cacheEntries).toBeGreaterThan(0);
    const out = podwall(['fqdn', 'cache', 'list', '-o', 'json']);
    expect(out.stdout).toContain('"source": "restored"');
    expect((await query(client, 'example.com')).rcode).toBe('NOERROR');
  });

  it('the agent restarts a dead proxy', async () => {
    const { startAgent } = await import('../../src/agent/launch.js');
    const { labNode } = await import('../../src/lab/node.js');
    startAgent(ctx.stateDir, labNode('node1', ctx));
    const pid = proxyPid(ctx.stateDir, node1())!;
    stopProxy(ctx.stateDir, node1(), { kill: true });
    await waitFor(() => { const p = proxyPid(ctx.stateDir, node1()); return (p !== null && p !== pid) || undefined; }, { timeoutMs: 10_000, what: 'the agent to restart the proxy' });
    expect(agentFiles(ctx.stateDir, 'node1').pid).toBeTruthy();
  });
});
