import type { ApiObject } from '../api/types.js';
import { caseLookups, type CaseStep, type ConformanceCase } from '../conformance/case.js';
import { probeEngine } from '../conformance/engine-run.js';
import type { PlannedFlow, SuiteData } from '../conformance/live-plan.js';
import { summarizeCase, type LiveCaseResult, type LiveFlowResult, type LiveRunResult } from '../conformance/live-report.js';
import { buildEngine, type Engine } from '../engine/engine.js';
import { labDown, requireRoot } from '../lab/lab.js';
import { labContext, type LabContext } from '../lab/names.js';
import { keyOf, type ObjectKey, type Store } from '../store/index.js';
import { buildLiveLab, type LiveLab } from './live-lab.js';
import type { ProberReply } from './prober.js';

/**
 * Conformance cases with real packets (/work/shared/conformance/README.md, "Running cases for real"): the
 * folder's cluster in a one-node lab, each case's steps written to the store and enforced by the agent, each
 * probe a real TCP connection or UDP request/reply from the source's network namespace. Every measured
 * verdict is compared with the case's expected one and with the engine's for the same store content.
 */

export interface LiveRunOptions {
  /** Default: from PODWALL_LAB_PREFIX / PODWALL_STATE_DIR (the agents read them from there too). */
  ctx?: LabContext;
  /** Run only these cases (all by default). */
  filter?: (c: ConformanceCase) => boolean;
  /** Leave the lab up afterwards (it is removed by default, also after a failure). */
  keepLab?: boolean;
  /** How long a probe waits for a handshake or reply: a dropped packet times out (default 1000 ms). */
  probeTimeoutMs?: number;
  /** A timeout that contradicts the expected or the engine's verdict is probed again with this (default 3000 ms). */
  confirmTimeoutMs?: number;
  onProgress?: (line: string) => void;
  /** Each case's result as soon as it is known. */
  onCase?: (r: LiveCaseResult) => void;
  /** Stops between steps; the lab is removed all the same. */
  signal?: AbortSignal;
}

const POLICY_KINDS = new Set(['NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy']);
const isPolicy = (o: ApiObject): boolean => POLICY_KINDS.has(o.kind);
const sameLabels = (a: ApiObject, b: ApiObject): boolean =>
  JSON.stringify(Object.entries(a.metadata.labels ?? {}).sort()) === JSON.stringify(Object.entries(b.metadata.labels ?? {}).sort());

/** Back to the cluster's state: no policies, every namespace's and pod's labels as in the cluster. */
function resetCase(store: Store, baseline: readonly ApiObject[]): void {
  const now = store.list().objects;
  const policies = now.filter(isPolicy).map(keyOf);
  if (policies.length) store.delete(policies);
  const byKey = new Map(now.map((o) => [JSON.stringify(keyOf(o)), o]));
  const relabel = baseline.filter((o) => {
    const cur = byKey.get(JSON.stringify(keyOf(o)));
    return (o.kind === 'Namespace' || o.kind === 'Pod') && (!cur || !sameLabels(cur, o));
  });
  if (relabel.length) store.apply(relabel);
}

/** One step's changes through the store, as applyStep (engine-run.ts) makes them on the object list. */
function writeStep(store: Store, step: CaseStep): number {
  if (step.apply.length) {
    store.apply(step.apply.map((o) => (o.kind !== 'CiliumClusterwideNetworkPolicy' && isPolicy(o) && !o.metadata.namespace
      ? ({ ...o, metadata: { ...o.metadata, namespace: 'default' } } as ApiObject) : o)));
  }
  if (step.delete.length) {
    const policies = store.list().objects.filter(isPolicy);
    const keys: ObjectKey[] = step.delete.flatMap((text) => {
      const [ns, name] = text.includes('/') ? text.split('/') : [undefined, text];
      return policies.filter((o) => o.metadata.name === name && (ns === undefined || (o.metadata.namespace ?? '') === ns || !o.metadata.namespace)).map(keyOf);
    });
    if (keys.length) store.delete(keys);
  }
  for (const [name, change] of Object.entries(step.label.namespaces)) store.setLabels({ kind: 'Namespace', name }, change, { overwrite: true });
  for (const [id, change] of Object.entries(step.label.pods)) {
    const [namespace, name] = id.split('/') as [string, string];
    store.setLabels({ kind: 'Pod', namespace, name }, change, { overwrite: true });
  }
  return store.revision();
}

function measured(r: ProberReply, f: PlannedFlow): Pick<LiveFlowResult, 'measured' | 'detail' | 'ms'> {
  switch (r.outcome) {
    case 'connected': return { measured: 'allowed', ms: r.ms };
    case 'timeout': return { measured: 'denied', ms: r.ms };
    case 'refused': {
      const dst = f.plan.ok ? `${f.plan.dst.ip}:${f.port}/${f.protocol}` : f.to;
      return { measured: 'error', detail: `REFUSED: the packet got through (allowed by policy) but nothing listens on ${dst}`, ms: r.ms };
    }
    default: return { measured: 'error', detail: r.detail ?? r.outcome, ms: r.ms };
  }
}

async function runFlow(lab: LiveLab, f: PlannedFlow, engine: Engine, opts: Required<Pick<LiveRunOptions, 'probeTimeoutMs' | 'confirmTimeoutMs'>>): Promise<LiveFlowResult> {
  const e = probeEngine(engine, f.from, f.to, f.port, f.protocol);
  const base = { step: f.step, from: f.from, to: f.to, port: f.port, protocol: f.protocol, expected: f.expected, engine: e.allowed, engineReason: e.reason };
  if (!f.plan.ok) return { ...base, measured: 'skipped', detail: f.plan.skip.reason, skipKind: f.plan.skip.kind };
  const { src, dst } = f.plan;
  const proto = f.protocol as 'TCP' | 'UDP';
  let r = await lab.probe(src, dst, f.port, proto, opts.probeTimeoutMs);
  // A drop that contradicts a reference could be a slow machine: confirm it with a longer wait before reporting it.
  if (r.outcome === 'timeout' && (f.expected || e.allowed)) r = await lab.probe(src, dst, f.port, proto, opts.confirmTimeoutMs);
  return { ...base, ...measured(r, f) };
}

async function runCase(lab: LiveLab, c: ConformanceCase, answers: SuiteData['answers'], opts: LiveRunOptions): Promise<LiveCaseResult> {
  const t0 = performance.now();
  const timeouts = { probeTimeoutMs: opts.probeTimeoutMs ?? 1000, confirmTimeoutMs: opts.confirmTimeoutMs ?? 3000 };
  const flows = lab.plans.get(c)!;
  const lookups = caseLookups(c);
  const results: LiveFlowResult[] = [];
  resetCase(lab.store, lab.baseline);
  await lab.cleanFqdn();
  for (const [i, step] of c.steps.entries()) {
    opts.signal?.throwIfAborted();
    await lab.waitApplied(writeStep(lab.store, step));
    // `dns: true`: each probing pod looks its names up first, through the cluster DNS and the node's DNS proxy.
    await Promise.all([...lookups].flatMap(([pod, names]) => [...names].map((name) => lab.resolve(pod, name, timeouts.probeTimeoutMs))));
    // The engine's verdicts for exactly what the agent compiled: the store's content at this revision.
    const engine = buildEngine(lab.store.list().objects, { answers, lookups: (pod) => lookups.get(pod.id) ?? [] });
    results.push(...await Promise.all(flows.filter((f) => f.step === i).map((f) => runFlow(lab, f, engine, timeouts))));
  }
  return summarizeCase(c.file, results, Math.round(performance.now() - t0));
}

/**
 * Run a case folder's cases on the real dataplane. Brings up a lab of the context's prefix (clearing what a
 * crashed run left) and removes it at the end, also after an error or an abort, unless `keepLab`.
 *
 * @example
 * const res = await runSuiteOnDataplane(suite, { onCase: (c) => console.log(formatLiveCase(c)) });
 * res.failed // cases with a difference from the expected or the engine's verdicts, or a setup error
 */
export async function runSuiteOnDataplane(suite: SuiteData, opts: LiveRunOptions = {}): Promise<LiveRunResult> {
  requireRoot();
  const ctx = opts.ctx ?? labContext();
  const say = opts.onProgress ?? (() => undefined);
  const cases = suite.cases.filter(opts.filter ?? (() => true));
  const t0 = performance.now();
  const results: LiveCaseResult[] = [];
  let lab: LiveLab | undefined;
  let setupMs = 0;
  let casesMs = 0;
  let teardownMs = 0;
  try {
    lab = await buildLiveLab(suite, cases, ctx, say);
    setupMs = performance.now() - t0;
    for (const [i, c] of cases.entries()) {
      opts.signal?.throwIfAborted();
      say(`case ${i + 1}/${cases.length}: ${c.file.replace(/^.*\//, '')}`);
      const r = await runCase(lab, c, suite.answers, opts);
      results.push(r);
      opts.onCase?.(r);
    }
    casesMs = performance.now() - t0 - setupMs;
  } finally {
    const t1 = performance.now();
    await lab?.close().catch(() => undefined);
    if (!opts.keepLab) await labDown({}, ctx);
    else say(`lab kept (prefix ${ctx.prefix}, state ${ctx.stateDir}): remove it with \`podwall lab down\``);
    teardownMs = performance.now() - t1;
  }
  const flows = results.flatMap((r) => r.flows);
  const skippedByKind: LiveRunResult['probes']['skippedByKind'] = {};
  for (const f of flows) if (f.skipKind) skippedByKind[f.skipKind] = (skippedByKind[f.skipKind] ?? 0) + 1;
  return {
    dir: suite.dir,
    cases: results,
    passed: results.filter((r) => r.status === 'ok').length,
    failed: results.filter((r) => r.status === 'fail').length,
    skipped: results.filter((r) => r.status === 'skipped').length,
    probes: { made: flows.filter((f) => f.measured !== 'skipped').length, skipped: flows.filter((f) => f.measured === 'skipped').length, skippedByKind },
    timings: { setupMs: Math.round(setupMs), casesMs: Math.round(casesMs), teardownMs: Math.round(teardownMs), totalMs: Math.round(performance.now() - t0) },
  };
}
