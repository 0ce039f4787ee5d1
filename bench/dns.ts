/**
 * bench:dns (issue 5): what the DNS proxy adds. One lab node with the agent and its DNS proxy; a client
 * pod under a CiliumNetworkPolicy with an L7 DNS rule (`*`) and toFQDNs `*.example.com`; two pods running
 * the same authoritative server (bench/dns-upstream.ts): `kube-system/coredns`, reached through the
 * cluster DNS address and so through the proxy, and `default/upstream`, allowed without an L7 rule and so
 * reached straight. In the same run, in alternating rounds:
 *   - latency of sequential UDP queries for cached names (the answer changes no nft element) and for new
 *     names (each answer inserts an element before it is released), proxy vs direct: added p50/p99;
 *   - queries/second at saturation over UDP and TCP, proxy vs direct.
 * Progress on stderr; last stdout line `bench:dns added_p50_ms=… added_p99_ms=… update_added_p50_ms=…
 * update_added_p99_ms=… qps_udp=… qps_tcp=… ratio=<proxy/direct UDP qps>`. Run as root: `npm run bench:dns`
 * (env BENCH_ROUNDS, BENCH_COUNT, BENCH_SECONDS).
 */
import { join } from 'node:path';
import { startAgents, waitForAgent } from '../src/agent/launch.js';
import type { ApiObject, Pod } from '../src/api/types.js';
import { controlRequest } from '../src/fqdn/proxy/control.js';
import { proxyFiles } from '../src/fqdn/proxy/files.js';
import { labUp, podNetns } from '../src/lab/index.js';
import { schedulePods } from '../src/lab/schedule.js';
import { podLogs } from '../src/lab/supervisor.js';
import { waitFor } from '../src/lab/wait.js';
import { openStore } from '../src/store/index.js';
import { BenchLab, loadText, out, percentile, progress, repoRoot } from './lab-bench.js';

const say = progress('dns');
const envInt = (name: string, dflt: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
};
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const COUNT = envInt('BENCH_COUNT', 1000);
const SECONDS = envInt('BENCH_SECONDS', 3);
const IP = { coredns: '10.244.0.53', upstream: '10.244.0.54', client: '10.244.0.10' };
const VIP = '10.96.0.10';

function pod(namespace: string, name: string, labels: Record<string, string>, command: string[], ip: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name, command }] }, status: { podIP: ip } } as unknown as Pod;
}

function objects(): ApiObject[] {
  const server = [process.execPath, join(repoRoot(), 'dist/bench/dns-upstream.js')];
  const ns = (name: string): ApiObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
  return [
    ns('default'), ns('kube-system'),
    pod('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, server, IP.coredns),
    pod('default', 'upstream', { app: 'upstream' }, server, IP.upstream),
    pod('default', 'client', { app: 'client' }, ['agnhost', 'pause'], IP.client),
    {
      apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'client', namespace: 'default' },
      spec: {
        endpointSelector: { matchLabels: { app: 'client' } },
        egress: [
          { toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }], toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }] },
          { toEndpoints: [{ matchLabels: { app: 'upstream' } }], toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }] }] },
          { toFQDNs: [{ matchPattern: '*.example.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] },
        ],
      },
    } as unknown as ApiObject,
  ];
}

const f = (x: number, d = 3) => x.toFixed(d);

async function main(lab: BenchLab): Promise<number> {
  const info = await labUp({ nodes: 1, startAgents: false, onProgress: (l) => say(`lab: ${l}`) }, lab.ctx);
  await startAgents(lab.ctx.stateDir, info.nodes);
  const store = openStore(join(lab.ctx.stateDir, 'store.db'));
  const placed = schedulePods(objects().filter((o): o is Pod => o.kind === 'Pod'), store.list().objects);
  if (!placed.ok) throw new Error(placed.message);
  const rev = store.apply([...objects().filter((o) => o.kind !== 'Pod'), ...placed.pods]);
  store.close();
  await waitForAgent(lab.ctx.stateDir, 'node1', rev, 30_000);
  for (const p of [{ namespace: 'kube-system', name: 'coredns' }, { namespace: 'default', name: 'upstream' }]) {
    await waitFor(() => podLogs(p, lab.ctx).includes('Serving on port') || undefined, { timeoutMs: 15_000, what: `${p.name} to serve` });
  }
  const sock = proxyFiles(lab.ctx.stateDir, 'node1').socket;
  await waitFor(async () => (await controlRequest<{ revision: number }>(sock, 'GET', '/status'))?.revision === rev || undefined, { timeoutMs: 15_000, what: 'the DNS proxy to take the rules' });
  const clientNs = podNetns('default', 'client', lab.ctx.prefix);
  const load = async (args: string[]) => {
    const r = await lab.runIn(clientNs, [process.execPath, join(repoRoot(), 'dist/bench/dns-load.js'), ...args]);
    if (r.code !== 0) throw new Error(`dns-load ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout.trim()) as { ms?: number[]; failed?: number; qps?: number };
  };
  const via = { proxy: VIP, direct: IP.upstream } as const;
  const lat = { cached: { proxy: [] as number[], direct: [] as number[] }, update: { proxy: [] as number[], direct: [] as number[] } };
  const rate = { udp: { proxy: [] as number[], direct: [] as number[] }, tcp: { proxy: [] as number[], direct: [] as number[] } };
  let failed = 0;
  // Warm the cache (and both servers) for the cached names.
  for (const k of ['proxy', 'direct'] as const) await load(['latency', via[k], 'c', '20', '20']);
  say(`load ${loadText()}`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['proxy', 'direct'] as const) : (['direct', 'proxy'] as const);
    for (const k of order) {
      const c = await load(['latency', via[k], 'c', String(COUNT), '20']);
      const u = await load(['latency', via[k], `u${round}${k}-`, String(COUNT), String(COUNT)]);
      lat.cached[k].push(...c.ms!);
      lat.update[k].push(...u.ms!);
      failed += (c.failed ?? 0) + (u.failed ?? 0);
    }
    for (const k of order) {
      rate.udp[k].push((await load(['rate', 'udp', via[k], String(SECONDS), '64'])).qps!);
      rate.tcp[k].push((await load(['rate', 'tcp', via[k], String(SECONDS), '64'])).qps!);
    }
    say(`round ${round + 1}/${ROUNDS}: udp ${f(rate.udp.proxy.at(-1)!, 0)} vs ${f(rate.udp.direct.at(-1)!, 0)} qps, tcp ${f(rate.tcp.proxy.at(-1)!, 0)} vs ${f(rate.tcp.direct.at(-1)!, 0)} qps; load ${loadText()}`);
  }
  const status = await controlRequest<{ counters: Record<string, number>; transactions: number; elements: number }>(sock, 'GET', '/status');
  const p = (xs: number[], q: number) => percentile(xs, q);
  const added = (kind: 'cached' | 'update', q: number) => p(lat[kind].proxy, q) - p(lat[kind].direct, q);
  const best = (xs: number[]) => Math.max(...xs);
  for (const kind of ['cached', 'update'] as const) {
    out(`${kind}: proxy p50 ${f(p(lat[kind].proxy, 50))} ms p99 ${f(p(lat[kind].proxy, 99))} ms; direct p50 ${f(p(lat[kind].direct, 50))} ms p99 ${f(p(lat[kind].direct, 99))} ms (${lat[kind].proxy.length} queries each)`);
  }
  out(`saturation (best of ${ROUNDS}): udp proxy ${f(best(rate.udp.proxy), 0)} qps, direct ${f(best(rate.udp.direct), 0)} qps; tcp proxy ${f(best(rate.tcp.proxy), 0)} qps, direct ${f(best(rate.tcp.direct), 0)} qps`);
  out(`proxy: ${status?.transactions ?? '?'} nft transactions, ${status?.elements ?? '?'} elements; failed queries ${failed}; drops ${JSON.stringify(Object.fromEntries(Object.entries(status?.counters ?? {}).filter(([, v]) => v > 0)))}`);
  out(`bench:dns added_p50_ms=${f(added('cached', 50))} added_p99_ms=${f(added('cached', 99))} update_added_p50_ms=${f(added('update', 50))} `
    + `update_added_p99_ms=${f(added('update', 99))} qps_udp=${f(best(rate.udp.proxy), 0)} qps_tcp=${f(best(rate.tcp.proxy), 0)} `
    + `direct_qps_udp=${f(best(rate.udp.direct), 0)} ratio=${f(best(rate.udp.proxy) / best(rate.udp.direct), 2)}`);
  return 0;
}

process.exitCode = await new BenchLab('dns', say).run(main);
