/**
 * The egress/ingress sets in shards by subject (src/dataplane/shards.ts): every element sits in its
 * subject's shard, the verdict maps send each shard to its chain, and a small change rebuilds only the
 * shards it touches (the others are the same arrays, which nft/diff.ts skips).
 */
import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/api/types.js';
import { NodePlanner } from '../../src/agent/plan.js';
import { shardChainName, shardMapName, shardOf, shardSetDirection, SHARD_COUNT } from '../../src/dataplane/shards.js';
import { bounds, type Ruleset } from '../../src/dataplane/ruleset.js';
import { syntheticCluster, DEFAULT_OPTIONS } from '../../bench/synthetic-cluster.js';

const objects = syntheticCluster({ ...DEFAULT_OPTIONS, pods: 400, namespaces: 8, nodes: 2, networkPolicies: 200, ciliumPolicies: 40, clusterwidePolicies: 1 }).objects;
const shardSets = (rs: Ruleset) => rs.tables[0]!.sets.filter((s) => shardSetDirection(s.name));

describe('shards', () => {
  const planner = new NodePlanner('node-0');
  const first = planner.plan(null, { revision: 1, objects, enforcement: 'podwall' });

  it('puts every element in the shard of its subject, and the verdict map sends shard k to its chain', () => {
    const used = new Set<number>();
    for (const s of shardSets(first.next)) {
      const dir = shardSetDirection(s.name)!;
      const k = Number(s.name.split('_')[1]);
      for (const e of s.elements) {
        const [from, to] = bounds(e.key[dir === 'egress' ? 0 : 1]!);
        for (let id = from; id <= to; id++) expect(shardOf(id)).toBe(k);
      }
      if (s.elements.length > 0) used.add(k);
    }
    expect(used.size).toBeGreaterThan(SHARD_COUNT / 2);
    for (const dir of ['egress', 'ingress'] as const) {
      const map = first.next.tables[0]!.sets.find((s) => s.name === shardMapName(dir))!;
      expect(map.elements).toEqual(Array.from({ length: SHARD_COUNT }, (_, k) => ({ key: [k], goto: shardChainName(dir, k) })));
    }
  });

  it('rebuilds only the shards a label change touches', () => {
    const podAt = objects.findIndex((o) => o.kind === 'Pod' && (o.spec as { nodeName?: string }).nodeName === 'node-0');
    const changed = objects.map((o, i) => (i === podAt ? ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, shard: 'test' } } } as ApiObject) : o));
    const second = planner.plan(first.next, { revision: 2, objects: changed, enforcement: 'podwall' });
    const before = new Map(shardSets(first.next).map((s) => [s.name, s.elements]));
    const text = (els: readonly { key: unknown }[]) => JSON.stringify(els.map((e) => e.key));
    let same = 0;
    for (const s of shardSets(second.next)) {
      if (before.get(s.name) === s.elements) same++;
      // A shard put together again is one whose elements did change.
      else expect([s.name, text(s.elements)]).not.toEqual([s.name, text(before.get(s.name)!)]);
    }
    expect(same).toBeGreaterThan(0);
    expect(second.kind).toBe('incremental');
  });
});
