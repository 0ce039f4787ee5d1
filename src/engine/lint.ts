import type { LoadedObject } from '../api/load.js';
import type { Path } from '../api/source.js';
import type { Diagnostic } from '../shared/diagnostic.js';
import type { Engine } from './engine.js';
import type { Origin, Policy } from './policy.js';
import { LINT_CODES, type LintCode } from './lint/codes.js';
import { createLintContext, type LintRule, type LintTarget } from './lint/context.js';
import { denyOnlyPolicy } from './lint/deny-only.js';
import { fqdnWithoutDnsRule } from './lint/fqdn.js';
import { ipBlockCoversPods } from './lint/ip-block.js';
import { LINT_MESSAGES } from './lint/messages.js';
import { namedPortUndeclared } from './lint/named-ports.js';
import { cidrGroupMissing, peerMatchesNothing } from './lint/peers.js';
import { policySelectsNoPod } from './lint/selection.js';
import { shadowedRule } from './lint/shadow.js';

export { LINT_CODES, type LintCode } from './lint/codes.js';

/** Every lint, in no particular order: each reports on its own and the result is sorted. */
export const LINT_RULES: readonly LintRule[] = [
  policySelectsNoPod, peerMatchesNothing, cidrGroupMissing, fqdnWithoutDnsRule, shadowedRule,
  ipBlockCoversPods, namedPortUndeclared, denyOnlyPolicy,
];

/** Codes whose check needs pods in the input (reported as skipped by PW2000 when there are none). */
const NEED_PODS: readonly LintCode[] = ['PW2001', 'PW2011', 'PW2012', 'PW2013', 'PW2041', 'PW2051'];

function originKey(o: Origin): string {
  return `${o.kind}|${o.namespace ?? ''}|${o.name}|${o.spec ?? ''}`;
}

/**
 * Pair each policy object with the engine's normalised policies: one per `spec`, one per `specs[i]`.
 * Objects with the same kind, namespace and name pair up in input order, as the engine normalised them.
 */
function targetsOf(objects: readonly LoadedObject[], policies: readonly Policy[]): LintTarget[] {
  const queues = new Map<string, { object: LoadedObject; base: Path }[]>();
  const push = (key: string, object: LoadedObject, base: Path) => queues.set(key, [...(queues.get(key) ?? []), { object, base }]);
  for (const lo of objects) {
    const o = lo.object;
    if (o.kind === 'NetworkPolicy') {
      push(originKey({ kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name }), lo, ['spec']);
    } else if (o.kind === 'CiliumNetworkPolicy' || o.kind === 'CiliumClusterwideNetworkPolicy') {
      const namespace = o.kind === 'CiliumNetworkPolicy' ? o.metadata.namespace ?? 'default' : undefined;
      const base: Origin = { kind: o.kind, name: o.metadata.name, ...(namespace ? { namespace } : {}) };
      if (o.spec) push(originKey(base), lo, ['spec']);
      (o.specs ?? []).forEach((_, i) => push(originKey({ ...base, spec: i }), lo, ['specs', i]));
    }
  }
  const out: LintTarget[] = [];
  for (const policy of policies) {
    const next = queues.get(originKey(policy.origin))?.shift();
    if (next) out.push({ policy, ...next });
  }
  return out;
}

function compare(a: Diagnostic, b: Diagnostic): number {
  const fa = a.source?.file ?? '';
  const fb = b.source?.file ?? '';
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (a.source?.line ?? 0) - (b.source?.line ?? 0)
    || (a.source?.col ?? 0) - (b.source?.col ?? 0)
    || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)
    || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}

/**
 * Lint the policies among `objects` against the cluster and policies of `engine`: warnings (and a few
 * notes) with stable PW2xxx codes, each positioned in the policy's manifest, sorted by file, line, column
 * and code. Policies the engine holds but `objects` does not are context only (they take part in
 * verdicts, e.g. for DNS, but are not linted). Codes: src/engine/lint/README.md.
 *
 * @example
 * const loaded = loadManifests(sources);
 * const engine = buildEngine(loaded.objects.map((o) => o.object));
 * const lines = lintPolicies(loaded.objects, engine).map(formatDiagnostic);
 * // ['policies.yaml:7:3: warning PW2001: spec.podSelector: policy selects no pod: ...']
 */
export function lintPolicies(objects: readonly LoadedObject[], engine: Engine): Diagnostic[] {
  const out: Diagnostic[] = [];
  const targets = targetsOf(objects, engine.policies);
  const ctx = createLintContext(engine, targets, out);
  if (!ctx.hasPods && targets.length > 0) {
    out.push({ code: 'PW2000', severity: LINT_CODES.PW2000.severity, message: LINT_MESSAGES.PW2000({ skipped: NEED_PODS }), path: [] });
  }
  for (const rule of LINT_RULES) rule(ctx);
  return out.sort(compare);
}
