import type { ApiObject } from '../api/types.js';
import { compileDetailed, type Compiled } from '../dataplane/compile.js';
import { plan as diffPlan, type Plan as NftPlan } from '../dataplane/nft/diff.js';
import type { NftJson } from '../dataplane/nft/render.js';
import type { Ruleset } from '../dataplane/ruleset.js';
import type { Identities } from '../dataplane/identity.js';
import { buildEngine, type Engine } from '../engine/engine.js';
import type { Policy } from '../engine/policy.js';
import type { DesiredState, Plan } from './loop.js';

/**
 * Pure: the node's ruleset for the desired state, and the transaction from `prev` to it. Identities keep
 * the ids `prev` gives them (src/dataplane/allocate.ts): the same desired state and the same `prev` give
 * the same ruleset.
 */
export function planNode(node: string, prev: Ruleset | null, desired: DesiredState<ApiObject>): NodePlan {
  const engine = buildEngine(desired.objects);
  const compiled = compileDetailed(engine, { node, enforcement: desired.enforcement, previous: prev });
  return withDiff(prev, compiled, engine);
}

/** A pass's plan, with the engine and identities it was compiled from (the DNS redirect step compiles from them too). */
export type NodePlan = Plan<Ruleset, NftJson> & { stats: NftPlan; engine: Engine; ids: Identities };

function withDiff(prev: Ruleset | null, compiled: Compiled, engine: Engine): NodePlan {
  const next = compiled.ruleset;
  const p = diffPlan(prev, next);
  return { next, tx: p.json, kind: p.kind === 'none' ? 'none' : p.kind === 'elements' ? 'incremental' : 'full', stats: p, engine, ids: compiled.ids };
}

const ENV_KINDS = new Set(['Service', 'CiliumCIDRGroup']);

/**
 * `planNode` that remembers its last pass: unchanged store objects (the same references, see
 * `Store.listSince`) keep their normalised policies, and the compile reuses every side the change
 * cannot touch (src/dataplane/incremental.ts). Gives exactly what `planNode` gives for the same
 * `prev`: when `prev` is not the ruleset this planner produced last (the kernel's table read back after
 * a failure, or at start), only its identity map is used.
 */
export class NodePlanner {
  private policies = new WeakMap<ApiObject, Policy[]>();
  private env: ApiObject[] = [];
  private last: Compiled | null = null;
  private lastEngine: Engine | null = null;

  constructor(private readonly node: string) {}

  plan(prev: Ruleset | null, desired: DesiredState<ApiObject>): NodePlan {
    // Cilium policies read Services and CIDR groups: when any of them changes, normalise everything again.
    const env = desired.objects.filter((o) => ENV_KINDS.has(o.kind));
    if (env.length !== this.env.length || env.some((o, i) => o !== this.env[i])) this.policies = new WeakMap();
    this.env = env;
    const engine = buildEngine(desired.objects, { policyCache: this.policies, ...(this.last ? { previous: this.lastEngine! } : {}) });
    this.lastEngine = engine;
    const previous = this.last && prev === this.last.ruleset ? this.last : prev;
    const compiled = compileDetailed(engine, { node: this.node, enforcement: desired.enforcement, previous });
    this.last = compiled;
    return withDiff(prev, compiled, engine);
  }
}
