import { DIRECTIONS } from '../policy.js';
import type { LintRule } from './context.js';

/**
 * PW2061: a Cilium policy whose only rules in a direction are deny rules. Cilium still enables default deny
 * for every direction that has rules, deny rules included (CiliumRule.EnableDefaultDeny;
 * Documentation/security/policy/language.rst, "Deny Policies"), so the pods lose all other traffic too.
 */
export const denyOnlyPolicy: LintRule = (ctx) => {
  for (const t of ctx.targets) {
    const p = t.policy;
    if (p.origin.kind === 'NetworkPolicy') continue;
    for (const dir of DIRECTIONS) {
      const rules = p.rules.filter((r) => r.direction === dir);
      if (!p.isolates[dir] || rules.length === 0 || rules.some((r) => r.action === 'allow')) continue;
      ctx.report('PW2061', t.object, [...t.base, `${dir}Deny`], { direction: dir });
    }
  }
};
