/**
 * Ruleset sizes and compile times: the seed examples and synthetic clusters (bench/synthetic-cluster.ts),
 * one node's firewall each. `node dist/bench/dataplane-size.js [pods policies]`.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadManifests } from '../src/api/load.js';
import { readSources } from '../src/cli/input.js';
import { compileDetailed } from '../src/dataplane/compile.js';
import { render, stringify } from '../src/dataplane/nft/render.js';
import { elementCounts } from '../src/dataplane/ruleset.js';
import { buildEngine, type Engine } from '../src/engine/engine.js';
import { DEFAULT_OPTIONS, syntheticCluster } from './synthetic-cluster.js';

function report(name: string, engine: Engine, node: string): void {
  const t0 = performance.now();
  const c = compileDetailed(engine, { node, enforcement: 'podwall' });
  const ms = performance.now() - t0;
  const t1 = performance.now();
  const bytes = stringify(render(c.ruleset)).length;
  const renderMs = performance.now() - t1;
  const counts = elementCounts(c.ruleset);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const kinds = c.ids.list.reduce<Record<string, number>>((o, i) => ({ ...o, [i.kind]: (o[i.kind] ?? 0) + 1 }), {});
  const ranges = c.ranges.map((r) => `${r.protocol}:${r.ranges.length}`).join(' ');
  console.log(`${name} node=${node} pods=${engine.cluster.pods.length} policies=${engine.policies.length} ids=${c.ids.list.length} ${JSON.stringify(kinds)} ranges=${ranges}`);
  console.log(`  elements=${total} ${JSON.stringify(counts)} compile_ms=${ms.toFixed(1)} render_ms=${renderMs.toFixed(1)} json_bytes=${bytes}`);
}

const root = resolve(process.cwd(), 'examples');
for (const dir of readdirSync(root).sort()) {
  const loaded = loadManifests(readSources([join(root, dir)]));
  const engine = buildEngine(loaded.objects.map((o) => o.object));
  report(`examples/${dir}`, engine, engine.cluster.nodes[0]?.name ?? 'node1');
}
const [pods = 1000, policies = 1000] = process.argv.slice(2).map(Number);
const scale = policies / (DEFAULT_OPTIONS.networkPolicies + DEFAULT_OPTIONS.ciliumPolicies + DEFAULT_OPTIONS.clusterwidePolicies);
const opts = {
  ...DEFAULT_OPTIONS, pods, namespaces: Math.max(10, Math.round(pods / 100)), nodes: Math.max(3, Math.round(pods / 1000)),
  networkPolicies: Math.round(DEFAULT_OPTIONS.networkPolicies * scale), ciliumPolicies: Math.round(DEFAULT_OPTIONS.ciliumPolicies * scale),
  clusterwidePolicies: Math.max(1, Math.round(DEFAULT_OPTIONS.clusterwidePolicies * scale)),
};
const t0 = performance.now();
const engine = buildEngine(syntheticCluster(opts).objects);
console.log(`synthetic: build_engine_ms=${(performance.now() - t0).toFixed(0)}`);
report(`synthetic ${pods} pods/${policies} policies`, engine, 'node-0');
