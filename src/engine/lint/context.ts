import type { LoadedObject } from '../../api/load.js';
import type { Labels } from '../../api/types.js';
import type { Path } from '../../api/source.js';
import { formatPath, type Diagnostic } from '../../shared/diagnostic.js';
import type { PodInfo } from '../cluster.js';
import type { Engine } from '../engine.js';
import { selectsPod } from '../match.js';
import { shortOrigin, type Policy } from '../policy.js';
import { LINT_CODES, type LintCode } from './codes.js';
import { LINT_MESSAGES, type LintParams, type PodList } from './messages.js';

/** One normalised policy (one `specs[i]` entry for Cilium) and the manifest it came from. */
export interface LintTarget {
  policy: Policy;
  object: LoadedObject;
  /** Where the policy's rule lies inside the object: ['spec'] or ['specs', i]. */
  base: Path;
}

/** What every lint rule sees: the engine (cluster + all policies) and the policies to lint. */
export interface LintContext {
  readonly engine: Engine;
  readonly targets: readonly LintTarget[];
  /** False when the input has no Pod: checks about selected or matched pods would only add noise. */
  readonly hasPods: boolean;
  /** The pods `policy` selects (cached). */
  selected(policy: Policy): readonly PodInfo[];
  report<C extends LintCode>(code: C, object: LoadedObject, path: Path, params: LintParams[C]): void;
}

/** A lint: reads the context, reports through it, never throws, never depends on another lint. */
export type LintRule = (ctx: LintContext) => void;

export function createLintContext(engine: Engine, targets: readonly LintTarget[], out: Diagnostic[]): LintContext {
  const cache = new Map<Policy, PodInfo[]>();
  return {
    engine,
    targets,
    hasPods: engine.cluster.pods.length > 0,
    selected(policy) {
      let pods = cache.get(policy);
      if (!pods) cache.set(policy, (pods = engine.cluster.pods.filter((p) => selectsPod(policy, p, engine.cluster))));
      return pods;
    },
    report(code, object, path, params) {
      out.push({ code, severity: LINT_CODES[code].severity, message: LINT_MESSAGES[code](params), path, source: object.doc.pos(path) });
    },
  };
}

/** The value at `path` inside a manifest object (undefined when absent). */
export function valueAt(root: unknown, path: Path): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/** `demo/web spec.ingress[1] (policies.yaml:12)`: how one lint names a rule of another policy. */
export function ruleLabel(t: LintTarget, path: Path): string {
  const p = t.object.doc.pos(path);
  return `${shortOrigin(t.policy.origin)} ${formatPath(path)} (${p.file}:${p.line})`;
}

/** The first few pod ids of a list, and its size. */
export function podList(pods: readonly PodInfo[], max = 3): PodList {
  return { ids: pods.slice(0, max).map((p) => p.id), total: pods.length };
}

/** `path` as a map key. */
export function pathKey(path: Path): string {
  return path.join('\u0000');
}

/** Identity labels of the non-pod endpoints (world, this node, other nodes): see reservedIdentity in endpoint.ts. */
const RESERVED: readonly Labels[] = [{ 'reserved:world': '' }, { 'reserved:host': '' }, { 'reserved:remote-node': '' }];

/**
 * Whether a Cilium endpoint selector may select a non-pod endpoint: it names a `reserved:` label (Cilium then
 * adds no namespace to it, pkg/k8s/apis/cilium.io/utils getEndpointSelector) or, unscoped, matches one.
 */
export function mayMatchReserved(sel: { key: string; matches(labels: Labels): boolean }, namespace: string | undefined): boolean {
  return sel.key.includes('reserved:') || (namespace === undefined && RESERVED.some((l) => sel.matches(l)));
}
