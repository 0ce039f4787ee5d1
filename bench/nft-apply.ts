/**
 * Apply latency of the two nft executors (libnftables addon vs `nft -j -f` process), in a throwaway
 * network namespace: a small change (one set element added, then removed) and a full replace of a
 * realistic ruleset (1,000 pods, 1,000 policies). Run as root: `npm run bench:nft-apply`.
 * The last line: `bench:nft-apply native_ms=… process_ms=… ratio=…` (small change, medians; ratio = process/native).
 */
import { spawnSync } from 'node:child_process';
import { compile } from '../src/dataplane/compile.js';
import { plan } from '../src/dataplane/nft/diff.js';
import { addonPath, nativeExecutor, processExecutor, type NftExecutor } from '../src/dataplane/nft/executor.js';
import { render, stringify } from '../src/dataplane/nft/render.js';
import { elementCounts, type Ruleset } from '../src/dataplane/ruleset.js';
import { buildEngine } from '../src/engine/engine.js';
import { DEFAULT_OPTIONS, syntheticCluster } from './synthetic-cluster.js';

const INNER = 'PODWALL_BENCH_NFT_INNER';

function outer(): number {
  const ns = `pwd-bench-${process.pid.toString(36)}`;
  const run = (args: string[]) => spawnSync('ip', args, { stdio: 'inherit' }).status;
  if (run(['netns', 'add', ns]) !== 0) return 1;
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, process.argv[1]!, ...process.argv.slice(2)], {
      stdio: 'inherit', env: { ...process.env, [INNER]: '1' },
    });
    return r.status ?? 1;
  } finally {
    run(['netns', 'del', ns]);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The same ruleset with one more element in `egress_open` (an id nobody has): a one-element change. */
function plusOne(rs: Ruleset): Ruleset {
  const t = rs.tables[0]!;
  const unused = Math.max(0, ...t.sets.find((s) => s.name === 'ident')!.elements.map((e) => e.value ?? 0)) + 1;
  const sets = t.sets.map((s) => (s.name === 'egress_open' ? { ...s, elements: [...s.elements, { key: [unused] }] } : s));
  return { tables: [{ ...t, sets }] };
}

async function measure(ex: NftExecutor, a: Ruleset, b: Ruleset, fulls: number, smalls: number) {
  const full: number[] = [];
  const small: number[] = [];
  const time = async (json: Parameters<NftExecutor['apply']>[0]) => {
    const t0 = performance.now();
    await ex.apply(json);
    return performance.now() - t0;
  };
  const fullJson = stringify(render(a));
  const up = plan(a, b);
  const down = plan(b, a);
  if (up.kind !== 'elements' || up.added !== 1 || down.deleted !== 1) throw new Error('expected a one-element change');
  for (let i = 0; i < fulls; i++) full.push(await time(fullJson));
  for (let i = 0; i < smalls; i++) {
    small.push(await time(up.json));
    small.push(await time(down.json));
  }
  return { full: median(full), small: median(small) };
}

async function inner(): Promise<void> {
  const pods = Number(process.argv[2] ?? 1000);
  const policies = Number(process.argv[3] ?? 1000);
  const scale = policies / (DEFAULT_OPTIONS.networkPolicies + DEFAULT_OPTIONS.ciliumPolicies + DEFAULT_OPTIONS.clusterwidePolicies);
  const { objects } = syntheticCluster({
    ...DEFAULT_OPTIONS, pods, namespaces: Math.max(10, Math.round(pods / 100)), nodes: 3,
    networkPolicies: Math.round(DEFAULT_OPTIONS.networkPolicies * scale), ciliumPolicies: Math.round(DEFAULT_OPTIONS.ciliumPolicies * scale), clusterwidePolicies: 1,
  });
  const a = compile(buildEngine(objects), { node: 'node-0', enforcement: 'podwall' });
  const b = plusOne(a);
  const elements = Object.values(elementCounts(a)).reduce((x, y) => x + y, 0);
  console.log(`ruleset: ${pods} pods, ${policies} policies, ${elements} elements, ${stringify(render(a)).length} bytes of JSON`);
  const results: Record<string, { full: number; small: number }> = {};
  const kinds: [string, () => NftExecutor][] = [['process', () => processExecutor()]];
  if (addonPath()) kinds.unshift(['native', () => nativeExecutor()]);
  for (const [kind, make] of kinds) {
    const ex = make();
    try {
      results[kind] = await measure(ex, a, b, 5, 20);
    } finally {
      ex.close();
    }
    console.log(`${kind}: one-element change ${results[kind]!.small.toFixed(2)} ms, full replace ${results[kind]!.full.toFixed(1)} ms (medians)`);
  }
  const n = results.native;
  const p = results.process!;
  const f = (x: number | undefined, d = 2) => (x === undefined ? 'na' : x.toFixed(d));
  console.log(`bench:nft-apply native_ms=${f(n?.small)} process_ms=${f(p.small)} ratio=${n ? (p.small / n.small).toFixed(1) : 'na'}`
    + ` full_native_ms=${f(n?.full, 1)} full_process_ms=${f(p.full, 1)} full_ratio=${n ? (p.full / n.full).toFixed(2) : 'na'} elements=${elements}`);
}

if (process.env[INNER]) {
  await inner();
} else {
  process.exitCode = outer();
}
