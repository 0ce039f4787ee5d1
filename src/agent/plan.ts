import type { ApiObject } from '../api/types.js';
import { compile } from '../dataplane/compile.js';
import { plan as diffPlan, type Plan as NftPlan } from '../dataplane/nft/diff.js';
import type { NftJson } from '../dataplane/nft/render.js';
import type { Ruleset } from '../dataplane/ruleset.js';
import { buildEngine, type Engine } from '../engine/engine.js';
import type { DesiredState, Plan } from './loop.js';

/** Pure: the node's ruleset for the desired state, and the transaction from `prev` to it. */
export function planNode(node: string, prev: Ruleset | null, desired: DesiredState<ApiObject>): Plan<Ruleset, NftJson> & { stats: NftPlan; engine: Engine } {
  const engine = buildEngine(desired.objects);
  const next = compile(engine, { node, enforcement: desired.enforcement });
  const p = diffPlan(prev, next);
  return { next, tx: p.json, kind: p.kind === 'none' ? 'none' : p.kind === 'elements' ? 'incremental' : 'full', stats: p, engine };
}
