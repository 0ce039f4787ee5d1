import type { ApiObject } from '../src/api/types.js';
import { localPods, PodReconciler } from '../src/agent/pods.js';
import { NodePlanner } from '../src/agent/plan.js';
import { compile, compileDetailed } from '../src/dataplane/compile.js';
import { sideElements } from '../src/dataplane/elements.js';
import { computeIdentities } from '../src/dataplane/identity.js';
import { portRanges } from '../src/dataplane/ports.js';
import { sideTables } from '../src/dataplane/sides.js';
import { lintDesiredState } from '../src/cli/commands/apply.js';
import { plan } from '../src/dataplane/nft/diff.js';
import { createExecutor } from '../src/dataplane/nft/executor.js';
import { render } from '../src/dataplane/nft/render.js';
import { elementCounts, type Ruleset } from '../src/dataplane/ruleset.js';
import { buildEngine } from '../src/engine/engine.js';
import { ip, nodeNetns } from '../src/lab/index.js';
import type { Store } from '../src/store/index.js';
import { allowPolicy, BENCH_NS, CLIENT } from './apply-cluster.js';
import { median, type BenchLab } from './lab-bench.js';

/**
 * Where one agent pass goes, measured in this process with the agent's own code (src/agent/plan.ts does
 * engine → compile → diff; src/agent/pods.ts the pod bookkeeping) on the benchmark's state: the
 * snapshot read, the engine build, the compile, the diff, the nft transaction (in a scratch netns
 * holding the same table, so the lab's agents are not disturbed) and `PodReconciler.prepare`.
 */

export interface PassTimes {
  snapshot: number;
  engine: number;
  compile: number;
  /** The compile's parts: identities, port ranges, side tables (both directions), set elements. */
  parts: { ids: number; ranges: number; sides: number; elements: number };
  diff: number;
  /** The agent's own pass as it runs (src/agent/plan.ts NodePlanner: engine with cached policies, incremental compile, diff) on the change. */
  incremental: number;
  nft: number;
  pods: number;
  total: number;
  plan: string;
  added: number;
  deleted: number;
}

const REPS = 5;
const WARMUP = 2;

async function timed<T>(f: () => T | Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await f();
  return [v, performance.now() - t];
}

async function medianOf<T>(f: () => T | Promise<T>): Promise<[T, number]> {
  for (let i = 0; i < WARMUP; i++) await f();
  const times: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < REPS; i++) {
    const [v, ms] = await timed(f);
    times.push(ms);
    last = v;
  }
  return [last as T, median(times)];
}

/** One change as two desired states made in memory from the store's objects. */
export type Change = (objects: readonly ApiObject[]) => [before: ApiObject[], after: ApiObject[]];

const edit = (objects: readonly ApiObject[], f: (o: ApiObject) => ApiObject | undefined) => objects.map((o) => f(o) ?? o);
const inBench = (o: ApiObject, kind: string, name: string) => o.metadata.namespace === BENCH_NS && o.kind === kind && o.metadata.name === name;
const withLabel = (o: ApiObject, k: string, v: string): ApiObject => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, [k]: v } } }) as ApiObject;

/** The bench namespace with `allow-client`'s peer selecting role=`peer` and the client labelled role=`role`. */
const benchState = (objects: readonly ApiObject[], peer: string, role: string) => edit(objects, (o) => {
  if (inBench(o, 'NetworkPolicy', 'allow-client')) return { ...o, spec: allowPolicy(peer).spec } as ApiObject;
  if (inBench(o, 'Pod', CLIENT)) return withLabel(o, 'role', role);
  return undefined;
});

/** `allow-client` rewritten (peer role=client → role=nobody), as bench:apply's apply changes. */
export const policyChange: Change = (objects) => [benchState(objects, CLIENT, CLIENT), benchState(objects, 'nobody', CLIENT)];

/** The client relabelled (role=client → role=idle), as bench:apply's label changes. */
export const labelChange: Change = (objects) => [benchState(objects, CLIENT, CLIENT), benchState(objects, CLIENT, 'idle')];

/**
 * A label change that splits a pod class: one pod of the node's first local class with more than one
 * pod gets a label of its own, so a new class (identity) sorts in before all the others and every
 * later identity id moves by one.
 */
export function splitChange(node: string): Change {
  return (objects) => {
    const ids = compileDetailed(buildEngine(objects), { node, enforcement: 'podwall' }).ids;
    const cls = ids.list.find((i) => i.kind === 'pod' && i.local && i.label.includes('(+') && i.rep.kind === 'pod');
    if (!cls || cls.rep.kind !== 'pod') throw new Error(`no local pod class with two pods on ${node}`);
    const { namespace, name } = cls.rep.pod;
    const target = (o: ApiObject) => o.kind === 'Pod' && o.metadata.namespace === namespace && o.metadata.name === name;
    return [[...objects], edit(objects, (o) => (target(o) ? withLabel(o, 'bench-split', 'yes') : undefined))];
  };
}

export async function agentPass(lab: BenchLab, store: Store, node: string, change: Change): Promise<PassTimes> {
  const [snap, snapshot] = await medianOf(() => store.list());
  const [before, after] = change(snap.objects);
  const enforcement = snap.settings.networkPolicy;
  const [engine, engineMs] = await medianOf(() => buildEngine(after));
  const [, compileMs] = await medianOf(() => compile(engine, { node, enforcement }));
  const prev = compile(buildEngine(before), { node, enforcement });
  // The transaction the agent applies: identities keep the ids they had (src/dataplane/allocate.ts).
  const next = compileDetailed(engine, { node, enforcement, previous: prev }).ruleset;
  const [ids, idsMs] = await medianOf(() => computeIdentities(engine.cluster, engine.policies, { node }));
  const [ranges, rangesMs] = await medianOf(() => portRanges(engine.cluster, engine.policies));
  const [sides, sidesMs] = await medianOf(() => [sideTables(engine, ids, ranges, 'egress'), sideTables(engine, ids, ranges, 'ingress')] as const);
  const [, elementsMs] = await medianOf(() => [sideElements(sides[0], ranges, ids), sideElements(sides[1], ranges, ids)]);
  const [p, diff] = await medianOf(() => plan(prev, next));
  const planner = new NodePlanner(node);
  const states = [before, after].map((objects) => ({ revision: 0, objects, enforcement }));
  let applied = planner.plan(null, states[0]!).next;
  const incTimes: number[] = [];
  for (let i = 0; i < WARMUP + REPS * 2; i++) {
    const [r, ms] = await timed(() => planner.plan(applied, states[(i + 1) % 2]!));
    applied = r.next;
    if (i >= WARMUP && i % 2 === 0) incTimes.push(ms);
  }
  const incremental = median(incTimes);
  const back = plan(next, prev);
  const scratch = `${lab.ctx.prefix}-scratch`;
  await ip(['netns', 'add', scratch]);
  const ex = createExecutor({ netns: scratch });
  let nft = NaN;
  try {
    await ex.apply(render(prev));
    const times: number[] = [];
    for (let i = 0; i < REPS; i++) {
      times.push((await timed(() => ex.apply(p.json)))[1]);
      await ex.apply(back.json);
    }
    nft = median(times);
  } finally {
    ex.close();
    await ip(['netns', 'del', scratch]).catch(() => undefined);
  }
  const reconciler = new PodReconciler(node, lab.ctx);
  const [, pods] = await medianOf(() => reconciler.prepare(localPods(after, node)));
  return {
    snapshot, engine: engineMs, compile: compileMs, parts: { ids: idsMs, ranges: rangesMs, sides: sidesMs, elements: elementsMs }, diff, incremental, nft, pods, total: snapshot + engineMs + compileMs + diff + nft + pods,
    plan: p.kind, added: p.added, deleted: p.deleted,
  };
}

/** A full `render` replace of the node's table, applied in the node's netns (the same content it holds). */
export async function fullReplace(lab: BenchLab, store: Store, node: string): Promise<{ applyMs: number; compileMs: number; elements: number }> {
  const snap = store.list();
  const [rs, compileMs] = await timed((): Ruleset => compile(buildEngine(snap.objects), { node, enforcement: snap.settings.networkPolicy }));
  const json = render(rs);
  const ex = createExecutor({ netns: nodeNetns(node, lab.ctx.prefix) });
  try {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) times.push((await timed(() => ex.apply(json)))[1]);
    return { applyMs: median(times), compileMs, elements: Object.values(elementCounts(rs)).reduce((a, b) => a + b, 0) };
  } finally {
    ex.close();
  }
}

/** What `podwall apply` does after the agents applied: lint the whole desired state (median of 3). */
export async function lintTime(store: Store): Promise<number> {
  const objects = store.list().objects;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push((await timed(() => lintDesiredState(objects, [])))[1]);
  return median(times);
}
