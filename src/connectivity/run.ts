import type { ApiObject } from '../api/types.js';
import { waitForLab } from '../cli/lab-sync.js';
import type { LabContext } from '../lab/names.js';
import type { ObjectKey, Store } from '../store/index.js';
import type { Deployment } from './deploy.js';
import { checkFlows, flowApis, type FlowApi, type FlowProbe, type FlowVerdict } from './flows-check.js';
import { meets, probe, type ProbeResult } from './probe.js';
import { REQUIREMENT_MISSING, type ProbeSpec, type Scenario, type ScenarioEnv, type Target } from './scenarios.js';

/** Running the scenarios against a deployment: apply, probe in parallel, check the flow log, remove. */

export interface ProbeReport {
  spec: ProbeSpec;
  /** `podwall-test/client -> podwall-test/echo:8080` */
  label: string;
  result: ProbeResult;
  ok: boolean;
  /** Absent when the flow log was not checked. */
  flow?: FlowVerdict;
}

export interface ScenarioResult {
  name: string;
  description: string;
  status: 'passed' | 'failed' | 'skipped';
  /** Why it was skipped, or what failed beyond the probes (an error while applying). */
  reason?: string;
  probes: ProbeReport[];
  /** Whether the flow log took part in the verdict. */
  flows: 'checked' | 'partly checked' | 'not checked';
  ms: number;
}

export class Aborted extends Error {
  override name = 'Aborted';
}

export interface RunOptions {
  ctx: LabContext;
  store: Store;
  deployment: Deployment;
  scenarios: readonly Scenario[];
  probeTimeoutMs: number;
  signal: AbortSignal;
  /** Called as each scenario starts (progress) and ends (its result). */
  onStart?(s: Scenario, index: number): void;
  onResult?(r: ScenarioResult, index: number): void;
}

function keyOf(o: ApiObject): ObjectKey {
  return { kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) };
}

function destination(t: Target, port: number, d: Deployment): { host: string; label: string; ip?: string } {
  switch (t.kind) {
    case 'pod': {
      const p = d.pods[t.pod];
      return { host: p.ip, ip: p.ip, label: `${p.namespace}/${p.name}:${port}` };
    }
    case 'host': return { host: d.host.ip, ip: d.host.ip, label: `host ${d.host.node} (${d.host.ip}):${port}` };
    case 'world': return { host: d.worldIp ?? '', ip: d.worldIp ?? '', label: `world ${d.worldIp}:${port}` };
    case 'name': return { host: t.name, label: `${t.name}:${port}` };
  }
}

export function scenarioEnv(d: Deployment): ScenarioEnv {
  return {
    namespace: d.namespace, otherNamespace: d.otherNamespace, world: d.have.has('world'),
    ips: { client: d.pods.client.ip, client2: d.pods.client2.ip, echo: d.pods.echo.ip, 'echo-other': d.pods['echo-other'].ip },
  };
}

async function runOne(s: Scenario, o: RunOptions, apis: readonly FlowApi[]): Promise<ScenarioResult> {
  const base = { name: s.name, description: s.description };
  const missing = (s.requires ?? []).filter((r) => !o.deployment.have.has(r));
  if (missing.length) return { ...base, status: 'skipped', reason: missing.map((r) => REQUIREMENT_MISSING[r]).join('; '), probes: [], flows: 'not checked', ms: 0 };
  const env = scenarioEnv(o.deployment);
  const policies = s.policies(env);
  const location = o.store.location;
  if (policies.length) await waitForLab(location, o.store.apply(policies), 30_000);
  try {
    if (o.signal.aborted) throw new Aborted();
    // The flow log is read from a little before the first probe (clock reads differ by a few ms).
    const since = new Date(Date.now() - 200).toISOString();
    const specs = s.probes(env);
    const probes = await Promise.all(specs.map(async (spec): Promise<ProbeReport> => {
      const from = o.deployment.pods[spec.from];
      const dst = destination(spec.to, spec.port, o.deployment);
      const result = await probe(from, `${dst.host}:${spec.port}`, o.probeTimeoutMs, o.ctx);
      return { spec, label: `${from.namespace}/${from.name} -> ${dst.label}`, result, ok: meets(spec.expect, result.outcome, spec.to.kind === 'world' || spec.to.kind === 'name') };
    }));
    if (o.signal.aborted) throw new Aborted();
    let flows: ScenarioResult['flows'] = 'not checked';
    if (apis.length) {
      const fp: FlowProbe[] = probes.map(({ spec }) => {
        const dst = destination(spec.to, spec.port, o.deployment);
        return {
          srcIp: o.deployment.pods[spec.from].ip, port: spec.port, expect: spec.expect,
          ...(dst.ip ? { dstIp: dst.ip } : {}), ...(spec.to.kind === 'name' ? { name: spec.to.name } : {}),
        };
      });
      const verdicts = await checkFlows(apis, since, fp, new Set(policies.map((p) => p.metadata.name)));
      verdicts.forEach((v, i) => (probes[i]!.flow = v));
      flows = verdicts.some((v) => v.unchecked) ? 'partly checked' : 'checked';
    }
    const ok = probes.every((p) => p.ok && (p.flow?.ok ?? true));
    return { ...base, status: ok ? 'passed' : 'failed', probes, flows, ms: 0 };
  } finally {
    if (policies.length) await waitForLab(location, o.store.delete(policies.map(keyOf)), 30_000);
  }
}

export async function runScenarios(o: RunOptions): Promise<ScenarioResult[]> {
  const apis = flowApis(o.ctx.stateDir, [...new Set(Object.values(o.deployment.pods).map((p) => p.node))]);
  const results: ScenarioResult[] = [];
  for (const [i, s] of o.scenarios.entries()) {
    if (o.signal.aborted) throw new Aborted();
    o.onStart?.(s, i);
    let r: ScenarioResult;
    try {
      const t0 = performance.now();
      r = await runOne(s, o, apis);
      r.ms = Math.round(performance.now() - t0); // applying and removing the policies included
    } catch (err) {
      if (err instanceof Aborted) throw err;
      r = { name: s.name, description: s.description, status: 'failed', reason: err instanceof Error ? err.message : String(err), probes: [], flows: 'not checked', ms: 0 };
    }
    results.push(r);
    o.onResult?.(r, i);
  }
  return results;
}
