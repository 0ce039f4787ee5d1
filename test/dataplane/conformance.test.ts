/**
 * The shared conformance cases through compile + simulate, compared with the engine probe by probe
 * (STYLE.md §10: engine and nftables cannot drift). All k8s-e2e cases and the cilium cases without
 * `dns: true` (toFQDNs needs the DNS proxy filling the `fqdn` set at run time, which compile leaves empty).
 */
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyStep, expandProbe } from '../../src/conformance/engine-run.js';
import type { ConformanceCase } from '../../src/conformance/case.js';
import type { ApiObject } from '../../src/api/types.js';
import { buildEngine } from '../../src/engine/engine.js';
import { resolveTarget } from '../../src/engine/target.js';
import { loadSuite, suiteDirs } from '../support/conformance-dir.js';
import { compileAll, simulateFlow } from './flow.js';

const isPolicy = (o: ApiObject) => o.kind === 'NetworkPolicy' || o.kind === 'CiliumNetworkPolicy' || o.kind === 'CiliumClusterwideNetworkPolicy';

function runCase(c: ConformanceCase, cluster: ApiObject[], answers: ReturnType<typeof loadSuite>['answers']) {
  let objects = cluster.filter((o) => !isPolicy(o));
  const mismatches: string[] = [];
  let probes = 0;
  c.steps.forEach((step, i) => {
    objects = applyStep(objects, step);
    const engine = buildEngine(objects, { answers, lookups: () => [] });
    const fw = compileAll(engine);
    for (const p of step.probes) {
      for (const f of expandProbe(c, p)) {
        const fromPod = engine.cluster.podById.get(f.from);
        const toPod = engine.cluster.podById.get(f.to);
        const src = resolveTarget(engine.cluster, f.from, answers, toPod).endpoints[0];
        const dsts = resolveTarget(engine.cluster, f.to, answers, fromPod, p.port, p.protocol).endpoints;
        if (!src || dsts.length === 0) continue;
        for (const d of dsts) {
          const port = d.port ?? p.port;
          const want = engine.evaluate({ src: src.endpoint, dst: d.endpoint, port, protocol: p.protocol });
          const got = simulateFlow(engine, fw, src.endpoint, d.endpoint, port, p.protocol);
          probes++;
          if (got.skipped) throw new Error(`step ${i}: ${f.from} -> ${f.to} not simulated: ${got.skipped}`);
          if (got.allowed !== want.allowed) {
            mismatches.push(`step ${i}: ${f.from} -> ${f.to} (${d.endpoint.ip}) ${port}/${p.protocol}: engine ${want.allowed ? 'allow' : 'deny'} (${want.reason}), `
              + `nft ${got.allowed ? 'accept' : 'drop'} [${got.steps.map((s) => `${s.node}/${s.hook}: ${s.comment}`).join(' | ')}]`);
          }
        }
      }
    }
  });
  return { mismatches, probes };
}

describe('conformance cases: compile + simulate agree with the engine', () => {
  for (const dir of suiteDirs()) {
    const suite = loadSuite(dir);
    describe(basename(dir), () => {
      for (const c of suite.cases.filter((x) => !x.dns)) {
        it(basename(c.file), () => {
          const res = runCase(c, suite.cluster, suite.answers);
          expect(res.probes).toBeGreaterThan(0);
          expect(res.mismatches).toEqual([]);
        });
      }
    });
  }
});
