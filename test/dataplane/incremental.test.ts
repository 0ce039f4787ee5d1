/**
 * Incremental compile and stable identity ids (src/dataplane/incremental.ts, allocate.ts): along random
 * sequences of label, policy and pod changes, a pass that reuses the previous pass equals a compile from
 * scratch with the same identity map, agrees with the engine packet by packet, and keeps the ids of
 * identities that did not change.
 */
import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/api/types.js';
import { compileDetailed, type Compiled } from '../../src/dataplane/compile.js';
import { render, stringify } from '../../src/dataplane/nft/render.js';
import { podEndpoint } from '../../src/engine/endpoint.js';
import { buildEngine, type Engine } from '../../src/engine/engine.js';
import type { Policy } from '../../src/engine/policy.js';
import { pick, rng } from '../../src/shared/random.js';
import { randomCluster } from '../support/random-cluster.js';
import { simulateFlow } from './flow.js';

const NODES = ['n1', 'n2'];

/** One random change, as a new object list (unchanged objects keep their identity, as the agent's snapshot does). */
function mutate(objects: ApiObject[], r: () => number, step: number): ApiObject[] {
  const pods = objects.filter((o) => o.kind === 'Pod' && !(o.spec as { hostNetwork?: boolean }).hostNetwork);
  const policies = objects.filter((o) => o.kind.endsWith('NetworkPolicy'));
  const roll = r();
  if (roll < 0.45 && pods.length > 0) {
    const p = pick(r, pods);
    const labels = { ...p.metadata.labels };
    if (r() < 0.5) labels.app = pick(r, ['web', 'db', 'api', 'cache', `x${step}`]);
    else if (labels.tier) delete labels.tier;
    else labels.tier = pick(r, ['front', 'back']);
    return objects.map((o) => (o === p ? ({ ...p, metadata: { ...p.metadata, labels } } as ApiObject) : o));
  }
  if (roll < 0.65 && policies.length > 1) {
    const p = pick(r, policies);
    return objects.filter((o) => o !== p);
  }
  if (roll < 0.8) {
    // A policy from another random cluster, moved in under a new name.
    const donor = randomCluster(1000 + step).filter((o) => o.kind.endsWith('NetworkPolicy'));
    const p = donor[0]!;
    return [...objects, { ...p, metadata: { ...p.metadata, name: `added-${step}` } } as ApiObject];
  }
  if (roll < 0.9 && pods.length > 1) {
    const p = pick(r, pods);
    return objects.filter((o) => o !== p);
  }
  if (roll >= 0.95) {
    // A namespace relabelled: what namespace selectors (and which policies select its pods) see.
    const ns = pick(r, objects.filter((o) => o.kind === 'Namespace'));
    const team = ns.metadata.labels?.team === 'a' ? 'b' : 'a';
    return objects.map((o) => (o === ns ? ({ ...ns, metadata: { ...ns.metadata, labels: { team } } } as ApiObject) : o));
  }
  const tmpl = pick(r, pods);
  const ip = `10.244.1.${10 + step}`;
  return [...objects, { ...tmpl, metadata: { ...tmpl.metadata, name: `new-${step}` }, status: { ...((tmpl as { status?: object }).status), podIP: ip } } as ApiObject];
}

describe('incremental compile', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: equals a compile from scratch with the same ids, and the engine`, () => {
      const r = rng(seed * 7919);
      const cache = new WeakMap<ApiObject, Policy[]>();
      let objects = randomCluster(seed);
      const prev = new Map<string, Compiled>();
      let reused = 0;
      let lastEngine: Engine | undefined;
      for (let step = 0; step < 25; step++) {
        // As the agent builds it: unchanged policies and which policies select an unchanged pod carried over.
        const engine = buildEngine(objects, { policyCache: cache, ...(lastEngine ? { previous: lastEngine } : {}) });
        lastEngine = engine;
        const fresh = buildEngine(objects);
        const byNode = new Map<string, Compiled>();
        for (const node of NODES) {
          const last = prev.get(node) ?? null;
          const inc = compileDetailed(engine, { node, enforcement: 'podwall', previous: last });
          const scratch = compileDetailed(engine, { node, enforcement: 'podwall', previous: last?.ruleset ?? null });
          expect(stringify(render(inc.ruleset))).toBe(stringify(render(scratch.ruleset)));
          if (last) {
            // Identities whose key and addresses did not change keep their id.
            const addrs = (c: Compiled) => {
              const m = new Map<number, string[]>();
              for (const iv of c.ids.intervals) if (iv.id !== 0) m.set(iv.id, [...(m.get(iv.id) ?? []), `${iv.from}-${iv.to}`]);
              return (id: number) => (m.get(id) ?? []).join(',');
            };
            const [was, now] = [addrs(last), addrs(inc)];
            const before = new Map(last.ids.list.map((i) => [`${i.key}|${was(i.id)}`, i.id]));
            for (const i of inc.ids.list) {
              const k = `${i.key}|${now(i.id)}`;
              if (before.has(k)) expect([k, i.id]).toEqual([k, before.get(k)]);
            }
            reused += inc.ids.list.filter((i) => i.kind === 'pod' && i.local).length * 2 - (inc.recomputed ?? 0);
          }
          byNode.set(node, inc);
        }
        const pods = engine.cluster.pods.filter((p) => !p.hostNetwork).map(podEndpoint);
        for (const src of pods) {
          for (const dst of pods) {
            if (src === dst) continue;
            for (const [port, protocol] of [[80, 'TCP'], [53, 'UDP'], [75, 'TCP']] as const) {
              const got = simulateFlow(engine, { byNode }, src, dst, port, protocol);
              if (got.skipped) continue;
              expect(`${src.ip}->${dst.ip} ${port}/${protocol} ${got.allowed}`).toBe(`${src.ip}->${dst.ip} ${port}/${protocol} ${fresh.evaluate({ src, dst, port, protocol }).allowed}`);
            }
          }
        }
        for (const node of NODES) prev.set(node, byNode.get(node)!);
        objects = mutate(objects, r, step);
      }
      expect(reused).toBeGreaterThan(0);
    });
  }

  it('the ids of the ruleset in force are kept: with it as the only state (a table read back), a pass gives the same ruleset', () => {
    const first = compileDetailed(buildEngine(randomCluster(3)), { node: 'n1', enforcement: 'podwall' });
    const objects = mutate(mutate(randomCluster(3), rng(5), 1), rng(6), 2);
    const second = compileDetailed(buildEngine(objects), { node: 'n1', enforcement: 'podwall', previous: first });
    const again = compileDetailed(buildEngine(objects), { node: 'n1', enforcement: 'podwall', previous: second.ruleset });
    expect(stringify(render(again.ruleset))).toBe(stringify(render(second.ruleset)));
    // Without a previous ruleset: ids afresh, 1..n in order.
    const fresh = compileDetailed(buildEngine(objects), { node: 'n1', enforcement: 'podwall' });
    expect(fresh.ids.list.map((i) => i.id)).toEqual(fresh.ids.list.map((_, k) => k + 1));
  });
});
