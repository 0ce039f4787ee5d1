import type { DnsAnswers } from '../api/hosts.js';
import type { ApiObject, Labels } from '../api/types.js';
import { buildEngine, type Engine } from '../engine/engine.js';
import { resolveTarget } from '../engine/target.js';
import { caseLookups, type CaseStep, type ConformanceCase, type Probe } from './case.js';

/** One asserted flow and what the engine said. */
export interface ProbeResult {
  step: number;
  from: string;
  to: string;
  port: number;
  protocol: string;
  expected: boolean;
  actual: boolean;
  reason: string;
}

export interface CaseResult {
  name: string;
  file: string;
  results: ProbeResult[];
  failures: ProbeResult[];
}

function objKey(o: ApiObject): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function isPolicy(o: ApiObject): boolean {
  return o.kind === 'NetworkPolicy' || o.kind === 'CiliumNetworkPolicy' || o.kind === 'CiliumClusterwideNetworkPolicy';
}

function mergeLabels(labels: Labels | undefined, change: Record<string, string | null>): Labels {
  const out: Labels = { ...(labels ?? {}) };
  for (const [k, v] of Object.entries(change)) {
    if (v === null) delete out[k];
    else out[k] = String(v);
  }
  return out;
}

/** Apply one step's changes to the object list: replace-or-add, delete by `ns/name`, merge labels. */
export function applyStep(objects: ApiObject[], step: CaseStep): ApiObject[] {
  let out = objects.slice();
  for (const o of step.apply) {
    const obj = (o.kind === 'NetworkPolicy' || o.kind === 'CiliumNetworkPolicy') && !o.metadata.namespace
      ? ({ ...o, metadata: { ...o.metadata, namespace: 'default' } } as ApiObject) : o;
    const i = out.findIndex((x) => objKey(x) === objKey(obj));
    if (i >= 0) out[i] = obj;
    else out.push(obj);
  }
  for (const name of step.delete) {
    const [ns, n] = name.includes('/') ? name.split('/') : [undefined, name];
    out = out.filter((o) => !(isPolicy(o) && o.metadata.name === n && (ns === undefined || (o.metadata.namespace ?? '') === ns || !o.metadata.namespace)));
  }
  out = out.map((o) => {
    if (o.kind === 'Namespace' && step.label.namespaces[o.metadata.name]) {
      return { ...o, metadata: { ...o.metadata, labels: mergeLabels(o.metadata.labels, step.label.namespaces[o.metadata.name]!) } };
    }
    const id = `${o.metadata.namespace ?? 'default'}/${o.metadata.name}`;
    if (o.kind === 'Pod' && step.label.pods[id]) {
      return { ...o, metadata: { ...o.metadata, labels: mergeLabels(o.metadata.labels, step.label.pods[id]!) } };
    }
    return o;
  });
  return out;
}

/** Expand a probe into the flows it asserts. */
export function expandProbe(c: ConformanceCase, p: Probe): { from: string; to: string; expected: boolean }[] {
  if (p.type === 'single') return [{ from: p.from, to: p.to, expected: p.allowed }];
  const except = new Set(p.except);
  const out = [];
  for (const from of c.pods) {
    for (const to of c.pods) {
      if (from === to) continue;
      const flip = except.has(`${from} ${to}`);
      out.push({ from, to, expected: (p.default === 'allow') !== flip });
    }
  }
  return out;
}

export function probeEngine(engine: Engine, from: string, to: string, port: number, protocol: Probe['protocol']) {
  const fromPod = engine.cluster.podById.get(from);
  const toPod = engine.cluster.podById.get(to);
  const src = resolveTarget(engine.cluster, from, engine.answers, toPod);
  const dst = resolveTarget(engine.cluster, to, engine.answers, fromPod, port, protocol);
  const err = src.error ?? dst.error;
  const s = src.endpoints[0];
  if (err || !s || dst.endpoints.length === 0) return { allowed: false, reason: err ?? 'unresolved' };
  const decisions = dst.endpoints.map((d) => engine.evaluate({ src: s.endpoint, dst: d.endpoint, port: d.port ?? port, protocol }));
  // Through a Service, a connection lands on one backend: it is allowed only when every backend allows it.
  const bad = decisions.find((d) => !d.allowed);
  return { allowed: !bad, reason: (bad ?? decisions[0]!).reason };
}

/** Run a case against the engine, step by step, from the cluster objects with no policies. */
export function runCaseOnEngine(c: ConformanceCase, clusterObjects: readonly ApiObject[], answers: DnsAnswers): CaseResult {
  let objects = clusterObjects.filter((o) => !isPolicy(o));
  const lookups = caseLookups(c);
  const results: ProbeResult[] = [];
  c.steps.forEach((step, i) => {
    objects = applyStep(objects, step);
    const engine = buildEngine(objects, { answers, lookups: (pod) => lookups.get(pod.id) ?? [] });
    for (const p of step.probes) {
      for (const f of expandProbe(c, p)) {
        const r = probeEngine(engine, f.from, f.to, p.port, p.protocol);
        results.push({ step: i, from: f.from, to: f.to, port: p.port, protocol: p.protocol, expected: f.expected, actual: r.allowed, reason: r.reason });
      }
    }
  });
  return { name: c.name, file: c.file, results, failures: results.filter((r) => r.expected !== r.actual) };
}
