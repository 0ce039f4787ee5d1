import { selectsPod } from '../match.js';
import type { LintRule } from './context.js';

/**
 * PW2001 a policy (each `specs[i]` entry on its own) that selects no pod; PW2002 host policies, which
 * select nodes and so never take part in pod verdicts.
 */
export const policySelectsNoPod: LintRule = (ctx) => {
  const { cluster } = ctx.engine;
  for (const t of ctx.targets) {
    const s = t.policy.subject;
    if (s.type === 'nodes') {
      ctx.report('PW2002', t.object, [...t.base, 'nodeSelector'], {});
      continue;
    }
    if (!ctx.hasPods || ctx.selected(t.policy).length > 0) continue;
    // Policies never select host-network pods (they are the node's): say so when that is why nothing is selected.
    const hostNetworkOnly = cluster.pods.some((p) => p.hostNetwork && selectsPod(t.policy, { ...p, hostNetwork: false }, cluster));
    const field = t.policy.origin.kind === 'NetworkPolicy' ? 'podSelector' : 'endpointSelector';
    ctx.report('PW2001', t.object, [...t.base, field], {
      field, selector: s.selector.key, namespace: s.namespace, hostNetworkOnly,
    });
  }
};
