import { loadavg } from 'node:os';
import type { ApiObject } from '../src/api/types.js';
import { buildEngine, type Engine } from '../src/engine/engine.js';
import { podEndpoint, type Endpoint } from '../src/engine/endpoint.js';
import { flowText } from '../src/engine/evaluate.js';
import { buildMatrix, type Matrix, type PortProto } from '../src/engine/matrix.js';
import { rng } from '../src/shared/random.js';
import { DEFAULT_OPTIONS, syntheticCluster } from './synthetic-cluster.js';

/**
 * Engine benchmark: the class-based matrix against pair-by-pair `evaluate` on a synthetic cluster of
 * 10,000 pods and 2,000 policies. Deterministic (fixed seeds) and bounded (every loop has a cap).
 * Progress goes to stderr, a summary to stdout, and the last stdout line is machine-readable.
 * Exits 1 when the matrix and `evaluate` disagree on any checked pair.
 *
 * Run: `npx tsc -p tsconfig.json && node --expose-gc dist/bench/engine.js`
 */

const PP: PortProto = { port: 80, protocol: 'TCP' };
const SAMPLE_SEED = 7_331;
const MIN_PAIRS = 20_000;
const MIN_SAMPLE_MS = 2_000;
/** Hard caps on the naive sample, so the run is bounded even on a very slow engine. */
const MAX_PAIRS = 2_000_000;
const MAX_SAMPLE_MS = 30_000;
const BATCH = 1_000;
/** Extra, untimed pairs with both ends in one namespace, for the agreement check. */
const SAME_NS_PAIRS = 20_000;
const MAX_MISMATCHES_SHOWN = 20;

const progress = (msg: string) => process.stderr.write(`[bench:engine] ${msg}\n`);
const out = (s: string) => process.stdout.write(`${s}\n`);
const now = () => performance.now();
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const fixed = (x: number) => x.toFixed(0);

/** Wall and CPU time (this process, all threads: GC helpers included) of `f`. */
function timed<T>(f: () => T): [T, number, number] {
  const c = process.cpuUsage();
  const t = now();
  const v = f();
  const wall = now() - t;
  const cpu = process.cpuUsage(c);
  return [v, wall, (cpu.user + cpu.system) / 1000];
}

interface MatrixPhase {
  engine: Engine;
  matrix: Matrix;
  buildMs: number;
  matrixMs: number;
  matrixCpuMs: number;
  peakRssMib: number;
  allowedPairs: number;
  readMs: number;
}

/** Every allowed ordered pair, self pairs included, read through the public `allowed` API. */
function countAllowed(m: Matrix): number {
  const n = m.pods.length;
  let count = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (m.allowed(i, j)) count++;
  return count;
}

function matrixPhase(objects: readonly ApiObject[]): MatrixPhase {
  gc();
  progress('engine: building (cluster model + policy normalisation)');
  const [engine, buildMs] = timed(() => buildEngine(objects));
  progress(`engine: ${engine.policies.length} normalised policies in ${fixed(buildMs)} ms`);
  progress(`matrix: building for ${PP.port}/${PP.protocol}`);
  const [matrix, matrixMs, matrixCpuMs] = timed(() => buildMatrix(engine, PP));
  // maxRSS is in KiB.
  const peakRssMib = Math.round(process.resourceUsage().maxRSS / 1024);
  progress(`matrix: ${matrix.classes.reps.length} pod classes in ${fixed(matrixMs)} ms, peak RSS ${peakRssMib} MiB`);
  const [allowedPairs, readMs] = timed(() => countAllowed(matrix));
  progress(`matrix: read all ${matrix.pods.length ** 2} pairs in ${fixed(readMs)} ms, ${allowedPairs} allowed`);
  return { engine, matrix, buildMs, matrixMs, matrixCpuMs, peakRssMib, allowedPairs, readMs };
}

/** Ordered pod pairs (by index) with `evaluate`'s verdict on each. */
interface Pairs {
  src: Int32Array;
  dst: Int32Array;
  verdict: Uint8Array;
  count: number;
}

function pairs(capacity: number): Pairs {
  return { src: new Int32Array(capacity), dst: new Int32Array(capacity), verdict: new Uint8Array(capacity), count: 0 };
}

interface NaivePhase {
  engine: Engine;
  freshBuildMs: number;
  setupMs: number;
  sampleMs: number;
  sample: Pairs;
}

/**
 * Pair-by-pair evaluation on a fresh engine over uniformly random pairs, until both MIN_PAIRS and
 * MIN_SAMPLE_MS are reached (capped by MAX_PAIRS and MAX_SAMPLE_MS). The per-pod policy lists
 * (`PolicySet.selecting`) are filled first and timed apart: a full naive run pays for them once, not
 * per pair, so they are added once to the estimate rather than extrapolated.
 */
function naivePhase(objects: readonly ApiObject[]): NaivePhase {
  gc();
  progress('naive: fresh engine');
  const [engine, freshBuildMs] = timed(() => buildEngine(objects));
  const pods = engine.cluster.pods;
  const eps: Endpoint[] = pods.map(podEndpoint);
  const [, setupMs] = timed(() => { for (const p of pods) engine.set.selecting(p); });
  progress(`naive: per-pod policy lists for ${pods.length} pods in ${fixed(setupMs)} ms`);
  const r = rng(SAMPLE_SEED);
  const s = pairs(MAX_PAIRS);
  const start = now();
  let elapsed = 0;
  while (s.count < MAX_PAIRS && (s.count < MIN_PAIRS || (elapsed < MIN_SAMPLE_MS && elapsed < MAX_SAMPLE_MS))) {
    const end = Math.min(MAX_PAIRS, s.count + BATCH);
    for (let k = s.count; k < end; k++) {
      const i = Math.floor(r() * pods.length);
      const j = Math.floor(r() * pods.length);
      s.src[k] = i;
      s.dst[k] = j;
      s.verdict[k] = engine.evaluate({ src: eps[i]!, dst: eps[j]!, ...PP }).allowed ? 1 : 0;
    }
    s.count = end;
    elapsed = now() - start;
    if (s.count % 20_000 === 0) progress(`naive: ${s.count} pairs in ${fixed(elapsed)} ms`);
  }
  progress(`naive: ${s.count} pairs in ${fixed(elapsed)} ms (${((1000 * elapsed) / s.count).toFixed(1)} µs/pair)`);
  return { engine, freshBuildMs, setupMs, sampleMs: elapsed, sample: s };
}

/**
 * Uniform pairs are mostly denied (most pairs cross namespaces), so the check also covers pairs inside
 * one namespace, where most allowed verdicts are. Untimed.
 */
function sameNamespacePairs(engine: Engine): Pairs {
  const pods = engine.cluster.pods;
  const byNs = new Map<string, number[]>();
  pods.forEach((p, i) => {
    const list = byNs.get(p.namespace);
    if (list) list.push(i);
    else byNs.set(p.namespace, [i]);
  });
  const r = rng(SAMPLE_SEED + 1);
  const s = pairs(SAME_NS_PAIRS);
  for (let k = 0; k < SAME_NS_PAIRS; k++) {
    const i = Math.floor(r() * pods.length);
    const peers = byNs.get(pods[i]!.namespace)!;
    const j = peers[Math.floor(r() * peers.length)]!;
    s.src[k] = i;
    s.dst[k] = j;
    s.verdict[k] = engine.evaluate({ src: podEndpoint(pods[i]!), dst: podEndpoint(pods[j]!), ...PP }).allowed ? 1 : 0;
  }
  s.count = SAME_NS_PAIRS;
  return s;
}

const allowedIn = (s: Pairs) => s.verdict.subarray(0, s.count).reduce((a, v) => a + v, 0);

/** Pairs where the matrix and `evaluate` disagree: a count, and the first few explained. */
function mismatches(m: Matrix, engine: Engine, sets: readonly Pairs[]): { count: number; shown: string[] } {
  const pods = engine.cluster.pods;
  const shown: string[] = [];
  let count = 0;
  for (const s of sets) {
    for (let k = 0; k < s.count; k++) {
      const [i, j, want] = [s.src[k]!, s.dst[k]!, s.verdict[k] === 1];
      if (m.allowed(i, j) === want) continue;
      count++;
      if (shown.length >= MAX_MISMATCHES_SHOWN) continue;
      const flow = { src: podEndpoint(pods[i]!), dst: podEndpoint(pods[j]!), ...PP };
      shown.push(`${flowText(flow)}: evaluate ${want} (${engine.evaluate(flow).reason}), matrix ${!want}`);
    }
  }
  return { count, shown };
}

function main(): number {
  const opts = DEFAULT_OPTIONS;
  progress(`generate: seed ${opts.seed}, ${opts.pods} pods, ${opts.namespaces} namespaces`);
  const [{ objects }, genMs] = timed(() => syntheticCluster(opts));
  const kinds = new Map<string, number>();
  for (const o of objects) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
  const kind = (k: string) => kinds.get(k) ?? 0;
  const policies = kind('NetworkPolicy') + kind('CiliumNetworkPolicy') + kind('CiliumClusterwideNetworkPolicy');
  progress(`generate: ${objects.length} objects in ${fixed(genMs)} ms (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})`);

  const m = matrixPhase(objects);
  const nv = naivePhase(objects);
  const n = m.matrix.pods.length;
  const perPairMs = nv.sampleMs / nv.sample.count;
  const naiveEstMs = nv.setupMs + perPairMs * n * n;
  progress(`check: matrix against evaluate on ${nv.sample.count} sampled pairs plus ${SAME_NS_PAIRS} same-namespace pairs`);
  const sameNs = sameNamespacePairs(nv.engine);
  const bad = mismatches(m.matrix, nv.engine, [nv.sample, sameNs]);
  const checked = nv.sample.count + sameNs.count;

  out(`podwall engine benchmark (seed ${opts.seed}, ${PP.port}/${PP.protocol}, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  out(`  cluster        ${n} pods, ${kind('Namespace')} namespaces, ${kind('Node')} nodes; ${policies} policies `
    + `(${kind('NetworkPolicy')} NetworkPolicy, ${kind('CiliumNetworkPolicy')} CNP, ${kind('CiliumClusterwideNetworkPolicy')} CCNP)`);
  out(`  engine build   ${fixed(m.buildMs)} ms (${m.engine.policies.length} normalised policies)`);
  out(`  matrix         ${fixed(m.matrixMs)} ms wall, ${fixed(m.matrixCpuMs)} ms CPU; ${m.matrix.classes.reps.length} pod classes; peak RSS ${m.peakRssMib} MiB`);
  out(`  allowed pairs  ${m.allowedPairs} of ${n * n} (${((100 * m.allowedPairs) / (n * n)).toFixed(2)}%, self pairs included; read in ${fixed(m.readMs)} ms)`);
  out(`  naive          fresh engine ${fixed(nv.freshBuildMs)} ms; per-pod policy lists ${fixed(nv.setupMs)} ms; `
    + `${nv.sample.count} pairs in ${fixed(nv.sampleMs)} ms = ${(perPairMs * 1000).toFixed(1)} µs/pair (${allowedIn(nv.sample)} allowed)`);
  out(`  naive, all     ${(naiveEstMs / 1000).toFixed(1)} s estimated for ${n * n} pairs (lists + µs/pair × pairs)`);
  out(`  agreement      ${checked - bad.count}/${checked} pairs agree (${nv.sample.count} sampled, `
    + `${sameNs.count} same-namespace of which ${allowedIn(sameNs)} allowed)`);
  if (bad.count > 0) {
    out(`MISMATCH: matrix and evaluate disagree on ${bad.count} pairs${bad.count > bad.shown.length ? `, first ${bad.shown.length}` : ''}:`);
    for (const line of bad.shown) out(`  ${line}`);
  }
  out(`bench:engine matrix_ms=${Math.round(m.matrixMs)} naive_est_ms=${Math.round(naiveEstMs)} pods=${n} policies=${policies} `
    + `classes=${m.matrix.classes.reps.length} peak_rss_mib=${m.peakRssMib} build_ms=${Math.round(m.buildMs)} ratio=${(naiveEstMs / m.matrixMs).toFixed(1)}`);
  return bad.count > 0 ? 1 : 0;
}

process.exitCode = main();
