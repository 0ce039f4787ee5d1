import type { Protocol } from '../engine/cluster.js';
import type { CaseResult } from './engine-run.js';
import type { SkipReason } from './live-plan.js';

/** Results of live (dataplane) runs and the text both `conformance run` modes print. Pure. */

/** What a real packet did: got through, was dropped, was not sent (skipped), or the setup was wrong (error). */
export type Measured = 'allowed' | 'denied' | 'skipped' | 'error';

export interface LiveFlowResult {
  step: number;
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
  expected: boolean;
  /** The engine's verdict for the same state. */
  engine: boolean;
  engineReason: string;
  measured: Measured;
  /** Why it was skipped, or what went wrong (e.g. REFUSED: nothing listens). */
  detail?: string;
  skipKind?: SkipReason['kind'];
  /** Time of the (last) probe. */
  ms?: number;
}

export interface LiveCaseResult {
  /** The case file's name without `.yaml`. */
  name: string;
  file: string;
  /** `fail`: a difference or a setup error; `skipped`: no flow could be probed; `ok` otherwise. */
  status: 'ok' | 'fail' | 'skipped';
  flows: LiveFlowResult[];
  /** Probed flows whose measured verdict differs from the case's expected one. */
  vsExpected: LiveFlowResult[];
  /** Probed flows whose measured verdict differs from the engine's. */
  vsEngine: LiveFlowResult[];
  /** Probes that could not give a verdict (nothing listening, unreachable). */
  errors: LiveFlowResult[];
  skipped: LiveFlowResult[];
  ms: number;
}

export interface LiveRunResult {
  dir: string;
  cases: LiveCaseResult[];
  passed: number;
  failed: number;
  /** Cases with no flow probed. */
  skipped: number;
  probes: { made: number; skipped: number; skippedByKind: Partial<Record<SkipReason['kind'], number>> };
  timings: { setupMs: number; casesMs: number; teardownMs: number; totalMs: number };
}

export function caseName(file: string): string {
  return file.replace(/^.*\//, '').replace(/\.ya?ml$/, '');
}

const verdict = (allowed: boolean): string => (allowed ? 'allow' : 'deny');

export function flowId(f: { step: number; from: string; to: string; port: number; protocol: string }): string {
  return `step ${f.step}: ${f.from} -> ${f.to} ${f.port}/${f.protocol}`;
}

/** Sort one case's flow results into differences, errors and skips. */
export function summarizeCase(file: string, flows: LiveFlowResult[], ms: number): LiveCaseResult {
  const probed = flows.filter((f) => f.measured === 'allowed' || f.measured === 'denied');
  const vsExpected = probed.filter((f) => (f.measured === 'allowed') !== f.expected);
  const vsEngine = probed.filter((f) => (f.measured === 'allowed') !== f.engine);
  const errors = flows.filter((f) => f.measured === 'error');
  const skipped = flows.filter((f) => f.measured === 'skipped');
  const status = vsExpected.length + vsEngine.length + errors.length > 0 ? 'fail' : probed.length === 0 ? 'skipped' : 'ok';
  return { name: caseName(file), file, status, flows, vsExpected, vsEngine, errors, skipped, ms };
}

/** One line for a flow that differs or failed: both references and what the packet did. */
export function formatLiveFlow(f: LiveFlowResult): string {
  if (f.measured === 'error') return `${flowId(f)} setup error: ${f.detail ?? 'unknown'} (expected ${verdict(f.expected)}, engine ${verdict(f.engine)})`;
  const kinds = [(f.measured === 'allowed') !== f.expected ? 'expected' : '', (f.measured === 'allowed') !== f.engine ? 'engine' : ''].filter(Boolean);
  return `${flowId(f)} expected ${verdict(f.expected)}, engine ${verdict(f.engine)} (${f.engineReason}), dataplane ${f.measured === 'allowed' ? 'allow' : 'deny'}`
    + ` [differs from ${kinds.join(' and ')}]`;
}

const SKIP_TEXT: Record<SkipReason['kind'], string | undefined> = {
  sctp: 'SCTP: this kernel has no SCTP',
  dns: 'DNS names and what they resolve to: need the DNS proxy (not in the lab yet)',
  service: 'ClusterIP of a Service without exactly one backend on the same port: the kernel would pick a backend at random',
  unsupported: undefined,
};

/** Why flows were skipped, one entry per kind (`unsupported` ones each with their own reason). */
function skipSummary(flows: readonly LiveFlowResult[]): string {
  const reasons = new Map<string, number>();
  for (const f of flows) {
    const r = (f.skipKind && SKIP_TEXT[f.skipKind]) ?? f.detail ?? 'skipped';
    reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  return [...reasons].map(([r, n]) => `${n} × ${r}`).join('; ');
}

/** `ok NAME`, `ok (N skipped) NAME`, `skipped NAME (…)` or `FAIL NAME` with the differing flows indented. */
export function formatLiveCase(c: LiveCaseResult, opts: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  if (c.status === 'skipped') lines.push(`skipped ${c.name} (${skipSummary(c.skipped)})`);
  else if (c.status === 'ok') lines.push(c.skipped.length ? `ok (${c.skipped.length} skipped) ${c.name}` : `ok ${c.name}`);
  else {
    lines.push(c.skipped.length ? `FAIL (${c.skipped.length} skipped) ${c.name}` : `FAIL ${c.name}`);
    const bad = c.flows.filter((f) => c.vsExpected.includes(f) || c.vsEngine.includes(f) || c.errors.includes(f));
    for (const f of bad) lines.push(`  ${formatLiveFlow(f)}`);
  }
  if (opts.verbose && c.skipped.length && c.status !== 'skipped') lines.push(`  skipped: ${skipSummary(c.skipped)}`);
  return `${lines.join('\n')}\n`;
}

/** The probe count line and the final `N passed, N failed[, N skipped]` line. */
export function formatLiveSummary(r: LiveRunResult): string {
  const kinds = Object.entries(r.probes.skippedByKind).map(([k, n]) => `${k} ${n}`).join(', ');
  const probes = `${r.probes.made} probes made, ${r.probes.skipped} skipped${kinds ? ` (${kinds})` : ''}; `
    + `setup ${(r.timings.setupMs / 1000).toFixed(1)} s, cases ${(r.timings.casesMs / 1000).toFixed(1)} s, teardown ${(r.timings.teardownMs / 1000).toFixed(1)} s`;
  return `${probes}\n${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}\n`;
}

/** Engine mode: `ok NAME` or `FAIL NAME` followed by the flows whose verdict differs from the expected one. */
export function formatEngineCase(r: CaseResult): string {
  const name = caseName(r.file);
  if (r.failures.length === 0) return `ok ${name}\n`;
  return `FAIL ${name}\n${r.failures.map((f) => `  ${flowId(f)} expected ${verdict(f.expected)}, got ${verdict(f.actual)} (${f.reason})\n`).join('')}`;
}

export function formatEngineSummary(results: readonly CaseResult[]): string {
  const failed = results.filter((r) => r.failures.length > 0).length;
  return `${results.length - failed} passed, ${failed} failed\n`;
}
