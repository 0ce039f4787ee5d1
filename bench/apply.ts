/**
 * bench:apply: how long a policy or label change takes to reach real packets, with 1,000 pods and
 * 1,000 policies in a two-node lab (bench/apply-cluster.ts; the agents are the real `podwall agent`
 * processes). A prober in the client pod (bench/probe.ts) opens a new TCP connection to the server pod
 * every millisecond; the verdict has flipped at the send time of the first probe of the final run of
 * probes with the new outcome. Measured:
 *   apply   store write of `allow-client` (peer role=client ↔ role=nobody), as a plain `kubectl apply`
 *           that does not wait: write returned → verdict flipped
 *   label   store write of the client's label role=client ↔ role=idle: the same
 *           (each after BENCH_WARMUP changes of its kind that are not counted, see WARMUP)
 *   cli     `podwall apply -f` / `podwall label` (they wait for the agents): process start → exit
 *   resync  an agent restarted with its rules in place, and with its table gone: start → converged;
 *           a full `render` replace of one node's table through the executor
 *   memory  the agents' peak RSS (VmHWM) after all of it
 * and where an agent's pass goes (snapshot, engine, compile, diff, nft, pod bookkeeping), measured
 * in-process on the same state. Deterministic inputs, bounded (every wait has a deadline).
 * Progress on stderr; the last stdout line: `bench:apply p50_ms=… p99_ms=… … ratio=<50/p99>`.
 *
 * Run as root: `npm run bench:apply` (env: BENCH_CHANGES, BENCH_CLI_CHANGES, BENCH_WARMUP, BENCH_SAMPLES=file for every sample).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync } from 'node:fs';
import { agentFiles, startAgent, startAgents, stopAgent, waitForAgent } from '../src/agent/launch.js';
import { readStatus, type AgentStatus } from '../src/agent/status.js';
import { buildEngine } from '../src/engine/engine.js';
import { podEndpoint } from '../src/engine/endpoint.js';
import { labNode, labUp, nodeNetns, podNetns, runProcess } from '../src/lab/index.js';
import type { ApiObject } from '../src/api/types.js';
import { openStore, type Store } from '../src/store/index.js';
import { adoptCrowd, allowPolicy, applyCluster, BENCH_NS, CLIENT, CLIENT_IP, PORT, SERVER, SERVER_IP } from './apply-cluster.js';
import { agentPass, fullReplace, labelChange, lintTime, policyChange, splitChange, type PassTimes } from './apply-breakdown.js';
import { BenchLab, buildTinyHttpd, cpuMs, loadText, median, monoMs, out, peakRssMib, percentile, progress, repoRoot } from './lab-bench.js';
import { Prober } from './prober.js';

const say = progress('apply');
const envInt = (name: string, dflt: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
};
const CHANGES = envInt('BENCH_CHANGES', 200);
const CLI_CHANGES = envInt('BENCH_CLI_CHANGES', 20);
/**
 * Changes of each kind made before the measured ones, not counted (an even number: the flow ends allowed).
 * The first changes after the agents start take 2-4 times as long (V8 compiles the incremental paths
 * on first use, the initial state's garbage is collected): a steady-state figure needs them out.
 */
const WARMUP = envInt('BENCH_WARMUP', 20) & ~1;
const PROBE_TIMEOUT_MS = 50;
const NODES = ['node1', 'node2'];
const AGENT_TIMEOUT_MS = 30_000;

interface ChangeSample { at: number; latency: number; write: number; agents: number; pass: number | null; kind: string | null }

const clientKey = { kind: 'Pod' as const, namespace: BENCH_NS, name: CLIENT };

async function waitAgents(stateDir: string, rev: number): Promise<void> {
  await Promise.all(NODES.map((n) => waitForAgent(stateDir, n, rev, AGENT_TIMEOUT_MS)));
}

/** Time `n` library writes, alternating the verdict; `write(allow)` returns the new revision. */
async function timeWrites(label: string, n: number, stateDir: string, prober: Prober, write: (allow: boolean) => number, startAllowed: boolean): Promise<ChangeSample[]> {
  const samples: ChangeSample[] = [];
  let allowed = startAllowed;
  for (let i = 0; i < n; i++) {
    allowed = !allowed;
    const t0 = monoMs();
    const rev = write(allowed);
    const t1 = monoMs();
    await waitAgents(stateDir, rev);
    const tA = monoMs();
    const flip = await prober.settledFlip(t0, allowed, 5000);
    if (flip === null) throw new Error(`${label} #${i + 1}: the verdict never became ${allowed ? 'allowed' : 'denied'} (agents applied revision ${rev})`);
    const s: AgentStatus | null = readStatus(agentFiles(stateDir, 'node2').status);
    samples.push({ at: t0, latency: flip - t1, write: t1 - t0, agents: tA - t1, pass: s?.lastApplyMs ?? null, kind: s?.lastApplyKind ?? null });
    if ((i + 1) % 25 === 0) say(`${label}: ${i + 1}/${n}, p50 ${median(samples.map((x) => x.latency)).toFixed(1)} ms; load ${loadText()}`);
  }
  return samples;
}

/** Time `n` CLI runs (they return once the agents enforce the change), alternating the verdict. */
async function timeCli(label: string, n: number, prober: Prober, argv: (allow: boolean) => string[], startAllowed: boolean) {
  const cli: number[] = [];
  const flipAfterStart: number[] = [];
  let allowed = startAllowed;
  for (let i = 0; i < n; i++) {
    allowed = !allowed;
    const t0 = monoMs();
    const r = await runProcess(process.execPath, [join(repoRoot(), 'bin', 'podwall.js'), ...argv(allowed)]);
    const t1 = monoMs();
    if (r.code !== 0) throw new Error(`${label}: podwall exited ${r.code}: ${r.stderr.trim()}`);
    const flip = await prober.settledFlip(t0, allowed, 5000);
    if (flip === null || flip > t1) throw new Error(`${label} #${i + 1}: podwall returned before the verdict flipped`);
    cli.push(t1 - t0);
    flipAfterStart.push(flip - t0);
  }
  say(`${label}: ${n} runs, p50 ${median(cli).toFixed(0)} ms`);
  return { cli, flipAfterStart };
}

/** Restart one agent; time until the new process reports the store's revision applied. */
async function restart(stateDir: string, node: string, store: Store, beforeStart: () => Promise<void> = async () => undefined): Promise<{ ms: number; kind: string | null; peak: number }> {
  const files = agentFiles(stateDir, node);
  const old = readStatus(files.status)?.pid;
  stopAgent(stateDir, node);
  for (let i = 0; old !== undefined && i < 500 && Number.isFinite(peakRssMib(old)); i++) await sleep(10);
  await beforeStart();
  const rev = store.revision();
  const t0 = monoMs();
  const pid = startAgent(stateDir, labNode(node));
  for (;;) {
    const s = readStatus(files.status);
    if (s && s.pid === pid && s.appliedRevision >= rev) return { ms: monoMs() - t0, kind: s.lastApplyKind, peak: peakRssMib(pid) };
    if (monoMs() - t0 > AGENT_TIMEOUT_MS) throw new Error(`the restarted agent of ${node} did not converge (status ${JSON.stringify(s)})`);
    await sleep(2);
  }
}

const stats = (xs: number[]) => ({ min: Math.min(...xs), p50: percentile(xs, 50), p99: percentile(xs, 99), max: Math.max(...xs) });
const f1 = (x: number) => x.toFixed(1);

function passLine(name: string, p: PassTimes): string {
  const c = p.parts;
  return `  agent pass (${name}, node2, in-process medians): incremental (engine + compile + diff, as the agent runs it) ${f1(p.incremental)} ms, nft ${f1(p.nft)} ms (${p.plan}: +${p.added} −${p.deleted} elements); `
    + `from scratch: snapshot ${f1(p.snapshot)} ms, engine ${f1(p.engine)} ms, compile ${f1(p.compile)} ms `
    + `[identities ${f1(c.ids)}, port ranges ${f1(c.ranges)}, side tables ${f1(c.sides)}, elements ${f1(c.elements)}], diff ${f1(p.diff)} ms, pod bookkeeping ${f1(p.pods)} ms`;
}

async function main(lab: BenchLab): Promise<number> {
  const { stateDir } = lab.ctx;
  const load0 = loadText();
  say(`load average ${load0}; ${CHANGES} apply + ${CHANGES} label changes, ${CLI_CHANGES} + ${CLI_CHANGES} CLI runs`);
  const httpd = buildTinyHttpd(stateDir);
  const cluster = applyCluster(httpd);
  const info = await labUp({ nodes: NODES.length, startAgents: false, onProgress: (l) => say(`lab: ${l}`) }, lab.ctx);
  // The agents start on the whole desired state with the crowd adopted: an agent reads the pods it runs
  // from the state directory once, and its first pass would remove adopted pods the store does not name yet.
  adoptCrowd(lab.ctx, cluster.crowd);
  const store = openStore(join(stateDir, 'store.db'));
  try {
    let t = monoMs();
    const rev = store.apply(cluster.objects);
    await startAgents(stateDir, info.nodes);
    await waitAgents(stateDir, rev);
    const pods = store.list().objects.filter((o) => o.kind === 'Pod').length;
    say(`desired state: ${pods} pods, ${cluster.policies} policies; agents applied it in ${(monoMs() - t).toFixed(0)} ms`);
    // The measured flow must be decided by bench's two policies alone: allowed as written, denied by either change.
    const verdict = (objects: readonly ApiObject[]) => {
      const engine = buildEngine(objects);
      const ep = (name: string) => podEndpoint(engine.cluster.podById.get(`${BENCH_NS}/${name}`)!);
      return engine.evaluate({ src: ep(CLIENT), dst: ep(SERVER), port: PORT, protocol: 'TCP' }).allowed;
    };
    const now = store.list().objects;
    if (!verdict(now) || verdict(policyChange(now)[1]) || verdict(labelChange(now)[1])) throw new Error('self-check: the engine does not flip client → server as the benchmark expects');
    const probe = lab.spawnIn(podNetns(BENCH_NS, CLIENT, lab.ctx.prefix), [process.execPath, join(repoRoot(), 'dist', 'bench', 'probe.js'), SERVER_IP, String(PORT), '1', String(PROBE_TIMEOUT_MS)], { stdout: 'pipe' });
    const prober = new Prober(probe, (c) => lab.stop(c), PROBE_TIMEOUT_MS);
    t = monoMs();
    if ((await prober.waitFor(true, 10_000)) === null) throw new Error(`the prober never reached the server (${CLIENT_IP} → ${SERVER_IP}:${PORT})`);
    say(`prober: first connection after ${(monoMs() - t).toFixed(0)} ms`);

    // Every phase starts from the allowed state (an odd count would leave it denied).
    const restore = async () => {
      const rev = Math.max(store.apply([allowPolicy(CLIENT)]), store.setLabels(clientKey, { role: CLIENT }, { overwrite: true }));
      await waitAgents(stateDir, rev);
      if ((await prober.waitFor(true, 10_000)) === null) throw new Error('the flow is not allowed again after restoring the policy and the label');
    };
    // The agents' CPU time per change: what a pass costs whatever the machine's load does to its wall time.
    const agentPids = NODES.map((n) => readStatus(agentFiles(stateDir, n).status)?.pid ?? -1);
    const agentCpu = () => agentPids.map(cpuMs);
    const cpuPerChange = (before: number[], n: number) => agentCpu().map((c, i) => (c - before[i]!) / n);
    const applyWarm = await timeWrites('apply warm-up', WARMUP, stateDir, prober, (allow) => store.apply([allowPolicy(allow ? CLIENT : 'nobody')]), true);
    let cpu0 = agentCpu();
    const applyWrites = await timeWrites('apply', CHANGES, stateDir, prober, (allow) => store.apply([allowPolicy(allow ? CLIENT : 'nobody')]), true);
    const applyCpu = cpuPerChange(cpu0, CHANGES);
    await restore();
    const labelWarm = await timeWrites('label warm-up', WARMUP, stateDir, prober, (allow) => store.setLabels(clientKey, { role: allow ? CLIENT : 'idle' }, { overwrite: true }), true);
    cpu0 = agentCpu();
    const labelWrites = await timeWrites('label', CHANGES, stateDir, prober, (allow) => store.setLabels(clientKey, { role: allow ? CLIENT : 'idle' }, { overwrite: true }), true);
    const labelCpu = cpuPerChange(cpu0, CHANGES);
    // Every sample (start time, latency, agent pass), for looking at the tail.
    if (process.env.BENCH_SAMPLES) writeFileSync(process.env.BENCH_SAMPLES, `${JSON.stringify({ applyWarm, apply: applyWrites, labelWarm, label: labelWrites })}\n`);
    await restore();
    const files = { allow: join(stateDir, 'allow.json'), deny: join(stateDir, 'deny.json') };
    writeFileSync(files.allow, JSON.stringify(allowPolicy(CLIENT)));
    writeFileSync(files.deny, JSON.stringify(allowPolicy('nobody')));
    const cliApply = await timeCli('cli apply', CLI_CHANGES, prober, (allow) => ['apply', '-f', allow ? files.allow : files.deny], true);
    await restore();
    const cliLabel = await timeCli('cli label', CLI_CHANGES, prober, (allow) => ['label', 'pod', CLIENT, '-n', BENCH_NS, `role=${allow ? CLIENT : 'idle'}`, '--overwrite'], true);
    await restore();
    const probeStats = prober.stats();

    // Memory first: a restarted agent starts its peak afresh.
    const peaks = NODES.map((n) => peakRssMib(readStatus(agentFiles(stateDir, n).status)?.pid ?? -1));
    say(`agent peak RSS: ${peaks.map((p) => `${p.toFixed(0)} MiB`).join(', ')}`);
    const breakdown = {
      apply: await agentPass(lab, store, 'node2', policyChange),
      label: await agentPass(lab, store, 'node2', labelChange),
      split: await agentPass(lab, store, 'node2', splitChange('node2')),
    };
    const lint = await lintTime(store);
    const startups: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = monoMs();
      await runProcess(process.execPath, [join(repoRoot(), 'bin', 'podwall.js'), '--version']);
      startups.push(monoMs() - t0);
    }
    const startup = median(startups);
    const warm = await restart(stateDir, 'node2', store);
    const cold = await restart(stateDir, 'node2', store, () => lab.runIn(nodeNetns('node2', lab.ctx.prefix), ['nft', 'delete', 'table', 'inet', 'podwall']).then(() => undefined));
    const full = await fullReplace(lab, store, 'node2');
    say(`resync: warm ${warm.ms.toFixed(0)} ms (${warm.kind ?? 'no change'}), cold ${cold.ms.toFixed(0)} ms (${cold.kind}); full replace ${full.applyMs.toFixed(0)} ms`);
    await prober.close();

    const a = stats(applyWrites.map((s) => s.latency));
    const l = stats(labelWrites.map((s) => s.latency));
    const ca = stats(cliApply.cli);
    const cl = stats(cliLabel.cli);
    const pass = stats([...applyWrites, ...labelWrites].flatMap((s) => (s.pass === null ? [] : [s.pass])));
    const kinds = [...applyWrites, ...labelWrites].reduce<Record<string, number>>((o, s) => ({ ...o, [s.kind ?? 'none']: (o[s.kind ?? 'none'] ?? 0) + 1 }), {});
    const peak = Math.max(...peaks, warm.peak, cold.peak);
    const load1 = loadText();
    out(`podwall apply-latency benchmark (node ${process.version}; ${pods} pods, ${cluster.policies} policies, 2 nodes; load average ${load0} at start, ${load1} at end)`);
    out(`  apply → verdict  p50 ${f1(a.p50)} ms, p99 ${f1(a.p99)} ms, min ${f1(a.min)} ms, max ${f1(a.max)} ms (${applyWrites.length} changes; the store write itself p50 ${f1(median(applyWrites.map((s) => s.write)))} ms)`);
    out(`  label → verdict  p50 ${f1(l.p50)} ms, p99 ${f1(l.p99)} ms, min ${f1(l.min)} ms, max ${f1(l.max)} ms (${labelWrites.length} changes; the store write itself p50 ${f1(median(labelWrites.map((s) => s.write)))} ms)`);
    const warmMax = (w: ChangeSample[]) => (w.length ? `max ${f1(Math.max(...w.map((x) => x.latency)))} ms` : 'none');
    out(`  warm-up          ${WARMUP} changes of each kind first, not counted: apply ${warmMax(applyWarm)}, label ${warmMax(labelWarm)}`);
    out(`  agents applied   apply p50 ${f1(median(applyWrites.map((s) => s.agents)))} ms, label p50 ${f1(median(labelWrites.map((s) => s.agents)))} ms after the write (both nodes' status files)`);
    out(`  agent pass       p50 ${f1(pass.p50)} ms, p99 ${f1(pass.p99)} ms (node2's lastApplyMs); kinds ${JSON.stringify(kinds)}`);
    out(`  agent CPU        per change (user + system, polling included): apply ${applyCpu.map((c, i) => `${NODES[i]} ${f1(c)} ms`).join(', ')}; label ${labelCpu.map((c, i) => `${NODES[i]} ${f1(c)} ms`).join(', ')}`);
    out(`  CLI apply        p50 ${f1(ca.p50)} ms, p99 ${f1(ca.p99)} ms (${cliApply.cli.length} runs; verdict flipped p50 ${f1(median(cliApply.flipAfterStart))} ms after start)`);
    out(`  CLI label        p50 ${f1(cl.p50)} ms, p99 ${f1(cl.p99)} ms (${cliLabel.cli.length} runs; verdict flipped p50 ${f1(median(cliLabel.flipAfterStart))} ms after start)`);
    out(`  CLI parts        start-up (\`podwall --version\`) ${startup.toFixed(0)} ms; apply's lint of the whole desired state ${lint.toFixed(0)} ms (in-process)`);
    out(passLine('policy change', breakdown.apply));
    out(passLine('label change', breakdown.label));
    out(passLine('label change splitting a pod class', breakdown.split));
    out(`  resync           agent restart, rules in place: ${warm.ms.toFixed(0)} ms (${warm.kind ?? 'nothing to apply'}); table gone: ${cold.ms.toFixed(0)} ms (${cold.kind}); `
      + `full render replace ${full.applyMs.toFixed(0)} ms (${full.elements} elements; compile ${full.compileMs.toFixed(0)} ms)`);
    out(`  agent memory     peak RSS ${peaks.map((p, i) => `${NODES[i]} ${p.toFixed(0)} MiB`).join(', ')}; restarted ${warm.peak.toFixed(0)}/${cold.peak.toFixed(0)} MiB`);
    out(`  prober           ${probeStats.probes} probes, ${probeStats.errors} errors`);
    out(`  goal             p99 < 50 ms: apply ${a.p99 < 50 ? 'met' : 'not met'}, label ${l.p99 < 50 ? 'met' : 'not met'}`);
    out(`bench:apply p50_ms=${f1(a.p50)} p99_ms=${f1(a.p99)} label_p50_ms=${f1(l.p50)} label_p99_ms=${f1(l.p99)} cli_p50_ms=${ca.p50.toFixed(0)} cli_p99_ms=${ca.p99.toFixed(0)}`
      + ` cli_label_p50_ms=${cl.p50.toFixed(0)} cli_label_p99_ms=${cl.p99.toFixed(0)} resync_ms=${warm.ms.toFixed(0)} resync_cold_ms=${cold.ms.toFixed(0)} full_apply_ms=${full.applyMs.toFixed(0)}`
      + ` agent_cpu_ms=${f1(Math.max(...applyCpu, ...labelCpu))} agent_peak_mib=${peak.toFixed(0)} load1=${load1.split(' ')[0]} ratio=${(50 / Math.max(a.p99, l.p99)).toFixed(3)}`);
    return 0;
  } finally {
    store.close();
  }
}

process.exitCode = await new BenchLab('apply', say).run(main);
