/**
 * bench:flows: flow events end to end. A client and a server pod on one lab node; the server admits the
 * client on UDP 20000-39999 only. A C generator (bench/flowgen.c) in the client sends new UDP flows
 * (one packet each, a new 5-tuple every time), alternating an allowed and a dropped port, so half the
 * flows are dropped. Each flow is decided twice on the node (egress of the client, ingress of the
 * server), so it gives two events. Measured:
 *  - produced: the kernel's counters of the log rules (GET /v1/status, `kernel`);
 *  - delivered: the lines `podwall observe -f -o json` prints (a child process, as a user runs it);
 *  - lost: produced - delivered, and how many of the lost were drops;
 *  - CPU (% of one core) and peak RSS of the reader (tcpdump) and of the agent that parses, enriches and serves.
 * Two phases: paced at BENCH_RATE events/s (default 50,000: the goal) and as fast as the generator
 * can send (the overload case: loss must be counted, never silent). Bounded: BENCH_SECONDS per phase (3) and
 * at most 2 x 20,000 x 4 flows per phase.
 * Last stdout line: `bench:flows paced_events_per_s=… paced_lost=… paced_drops_lost=… max_produced_per_s=…
 * max_delivered_per_s=… max_lost=… reader_cpu_pct=… agent_cpu_pct=… agent_rss_mib=… ratio=<delivered/produced, paced>`.
 * Run as root: `npm run bench:flows`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStatus, statusPath } from '../src/agent/status.js';
import type { FlowServiceInfo } from '../src/flows/service.js';
import { labUp, podNetns, runProcess } from '../src/lab/index.js';
import { waitFor } from '../src/lab/wait.js';
import { BenchLab, cpuMs, monoMs, out, peakRssMib, progress, repoRoot } from './lab-bench.js';

const say = progress('flows');
const envNum = (name: string, dflt: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const RATE = envNum('BENCH_RATE', 50_000);
const SECONDS = envNum('BENCH_SECONDS', 3);
const RANGE = 20_000;
const SOCKETS = 4;
const ALLOWED_BASE = 20_000;
const DENIED_BASE = 40_000;

const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: udp-range, namespace: bench }
spec:
  podSelector: { matchLabels: { app: server } }
  ingress: [{ from: [{ podSelector: { matchLabels: { app: client } } }], ports: [{ protocol: UDP, port: ${ALLOWED_BASE}, endPort: ${ALLOWED_BASE + RANGE - 1} }] }]
`;

async function cli(args: string[]): Promise<string> {
  const r = await runProcess(process.execPath, [join(repoRoot(), 'bin', 'podwall.js'), ...args]);
  if (r.code !== 0) throw new Error(`podwall ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function status(port: number): Promise<FlowServiceInfo> {
  return (await (await fetch(`http://127.0.0.1:${port}/v1/status`)).json()) as FlowServiceInfo;
}

interface Counter { lines: number; drops: number }

/** `podwall observe -f -o json`, counting lines and drops as they come. */
function observer(lab: BenchLab): { counts: Counter; stop: () => Promise<void> } {
  const counts: Counter = { lines: 0, drops: 0 };
  const child = spawn(process.execPath, [join(repoRoot(), 'bin', 'podwall.js'), 'observe', '-f', '-o', 'json'], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env, detached: true });
  let rest = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const text = rest + chunk;
    const lines = text.split('\n');
    rest = lines.pop()!;
    counts.lines += lines.length;
    for (const l of lines) if (l.includes('"verdict":"DROPPED"')) counts.drops++;
  });
  void lab;
  return {
    counts,
    stop: async () => {
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ }
      await done;
    },
  };
}

interface Phase { name: string; seconds: number; produced: number; producedDrops: number; delivered: number; deliveredDrops: number; suppressed: number; readerCpu: number; agentCpu: number }

async function phase(name: string, rate: number, ctx: { port: number; gen: string; netns: string; serverIp: string; counts: Counter; readerPid: number; agentPid: number }): Promise<Phase> {
  const before = await status(ctx.port);
  const c0 = { ...ctx.counts };
  const cpu0 = [cpuMs(ctx.readerPid), cpuMs(ctx.agentPid)];
  const t0 = monoMs();
  const g = await runProcess('ip', ['netns', 'exec', ctx.netns, ctx.gen, ctx.serverIp, String(ALLOWED_BASE), String(DENIED_BASE), String(RANGE), String(SOCKETS),
    String(rate / 2), String(2 * RANGE * SOCKETS), String(SECONDS * 1000)]);
  if (g.code !== 0) throw new Error(`flowgen: ${g.stderr}`);
  const sendMs = Number(/ms=(\d+)/.exec(g.stdout)?.[1] ?? SECONDS * 1000);
  // Delivered stops growing once the pipeline is drained: wait for that (bounded), not a fixed time.
  let last = -1;
  let lastChange = monoMs();
  await waitFor(async () => {
    if (ctx.counts.lines !== last) { last = ctx.counts.lines; lastChange = monoMs(); }
    return (monoMs() - lastChange > 1500 && (await status(ctx.port)).backlog === 0) || undefined;
  }, { timeoutMs: 120_000, what: 'the flow pipeline to drain' });
  const after = await status(ctx.port);
  say(`${name}: agent read ${after.read - before.read}, enriched ${after.enriched - before.enriched}, shed ${after.shed.forwarded - before.shed.forwarded} forwarded / ${after.shed.dropped - before.shed.dropped} dropped`);
  const cpu1 = [cpuMs(ctx.readerPid), cpuMs(ctx.agentPid)];
  const busyMs = monoMs() - t0;
  const p: Phase = {
    name, seconds: sendMs / 1000,
    produced: after.kernel.logged - before.kernel.logged, producedDrops: after.kernel.dropped - before.kernel.dropped,
    delivered: ctx.counts.lines - c0.lines, deliveredDrops: ctx.counts.drops - c0.drops,
    suppressed: after.kernel.suppressed - before.kernel.suppressed,
    readerCpu: (100 * (cpu1[0]! - cpu0[0]!)) / busyMs, agentCpu: (100 * (cpu1[1]! - cpu0[1]!)) / busyMs,
  };
  say(`${name}: ${g.stdout.trim()}; produced ${p.produced} events (${p.producedDrops} drops) = ${(p.produced / p.seconds).toFixed(0)}/s, `
    + `delivered ${p.delivered} (${p.deliveredDrops} drops), lost ${p.produced - p.delivered}, suppressed ${p.suppressed}; `
    + `CPU reader ${p.readerCpu.toFixed(0)}% agent ${p.agentCpu.toFixed(0)}% of a core`);
  return p;
}

async function main(lab: BenchLab): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'podwall-flowgen-'));
  const gen = join(dir, 'flowgen');
  const cc = await runProcess('gcc', ['-O2', '-Wall', '-o', gen, join(repoRoot(), 'bench', 'flowgen.c')]);
  if (cc.code !== 0) throw new Error(`cannot build bench/flowgen.c: ${cc.stderr}`);
  await labUp({ nodes: 1, onProgress: (l) => say(`lab: ${l}`) }, lab.ctx);
  await cli(['create', 'namespace', 'bench']);
  await cli(['run', 'server', '-n', 'bench', '--labels=app=server']);
  await cli(['run', 'client', '-n', 'bench', '--labels=app=client']);
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, POLICY);
  await cli(['apply', '-f', file]);
  const serverIp = JSON.parse(await cli(['get', 'pod', 'server', '-n', 'bench', '-o', 'json'])).status.podIP as string;
  const st = readStatus(statusPath(lab.ctx.stateDir, 'node1'))!;
  const port = st.api!;
  const s0 = await status(port);
  const readerPid = s0.reader.pid!;
  const obs = observer(lab);
  // The observer is connected once a probe flow reaches it (one probe every 2 s: it may connect after the first).
  await waitFor(async () => {
    if (obs.counts.lines > 0) return true;
    await runProcess('ip', ['netns', 'exec', podNetns('bench', 'client', lab.ctx.prefix), gen, serverIp, String(DENIED_BASE), String(DENIED_BASE), '1', '1', '0', '1', '1000']);
    const until = monoMs() + 2000;
    return waitFor(() => obs.counts.lines > 0 || monoMs() > until || undefined, { timeoutMs: 3000 }).then(() => obs.counts.lines > 0 || undefined);
  }, { timeoutMs: 30_000, what: 'observe -f to print a probe flow' });
  const ctx = { port, gen, netns: podNetns('bench', 'client', lab.ctx.prefix), serverIp, counts: obs.counts, readerPid, agentPid: st.pid };
  const paced = await phase(`paced ${RATE}/s`, RATE, ctx);
  const max = await phase('as fast as possible', 0, ctx);
  const rss = peakRssMib(st.pid);
  const readerRss = peakRssMib(readerPid);
  const final = await status(port);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const skipped = (v: string) => Number(new RegExp(`podwall_flow_follower_dropped_total\\{verdict="${v}"[^}]*\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
  say(`agent -> observe: skipped for a slow follower ${skipped('FORWARDED')} forwarded / ${skipped('DROPPED')} dropped`);
  await obs.stop();
  say(`agent peak RSS ${rss.toFixed(0)} MiB, tcpdump peak RSS ${readerRss.toFixed(0)} MiB; agent: lost kernel-to-reader ${final.lost}, `
    + `shed ${final.shed.forwarded} forwarded / ${final.shed.dropped} dropped, ring evicted ${final.evicted}, disagreements ${final.disagreements}`);
  const ratio = paced.produced > 0 ? paced.delivered / paced.produced : 0;
  out([
    'bench:flows',
    `paced_events_per_s=${(paced.delivered / paced.seconds).toFixed(0)}`,
    `paced_lost=${paced.produced - paced.delivered}`,
    `paced_drops_lost=${paced.producedDrops - paced.deliveredDrops}`,
    `max_produced_per_s=${(max.produced / max.seconds).toFixed(0)}`,
    `max_delivered_per_s=${(max.delivered / max.seconds).toFixed(0)}`,
    `max_lost=${max.produced - max.delivered}`,
    `reader_cpu_pct=${paced.readerCpu.toFixed(0)}`,
    `agent_cpu_pct=${paced.agentCpu.toFixed(0)}`,
    `agent_rss_mib=${rss.toFixed(0)}`,
    `ratio=${ratio.toFixed(3)}`,
  ].join(' '));
  return 0;
}

process.exitCode = await new BenchLab('flows', say).run(main);
