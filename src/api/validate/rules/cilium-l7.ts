import { arr, nonEmpty, obj, present, str, type Obj, type Rule } from '../context.js';
import { portRules, type PortRuleRef } from './cilium-walk.js';

/**
 * L7 checks of toPorts entries in allow rules (deny rules carry no L7: cilium-deny.ts), after
 * pkg/policy/api/rule_validation.go: PortRule.Validate, L7Rules.Validate, IngressRule.Validate and
 * EgressRule.Validate (host policies). Options of the agent (L7 proxy enabled) are assumed on.
 */

const L7_KINDS = ['http', 'kafka', 'dns', 'l7'] as const;

function rulesOf(ref: PortRuleRef): Obj | undefined {
  return ref.rule.deny ? undefined : obj(ref.portRule.rules);
}

/** L7Rules.IsEmpty: no rules object, or none of http, kafka, dns and l7 given. */
function hasL7(rules: Obj | undefined): rules is Obj {
  return rules !== undefined && L7_KINDS.some((k) => present(rules[k]));
}

/** DNS rules: egress only, and with explicit ports ("port 53 must be specified for DNS rules"). */
export const ciliumDnsRules: Rule = function ciliumDnsRules(ctx) {
  for (const ref of portRules(ctx.root)) {
    const rules = rulesOf(ref);
    if (!rules) continue;
    if (ref.rule.ingress && nonEmpty(rules.dns)) ctx.report('PW1312', [...ref.path, 'rules', 'dns'], {});
    if (present(rules.dns) && !nonEmpty(ref.portRule.ports)) {
      ctx.report('PW1311', present(ref.portRule.ports) ? [...ref.path, 'ports'] : ref.path, {});
    }
  }
};

/** Non-DNS L7 rules need TCP ports (protocol omitted means ANY) and no port 0; one L7 protocol per section. */
export const ciliumL7Rules: Rule = function ciliumL7Rules(ctx) {
  for (const ref of portRules(ctx.root)) {
    const rules = rulesOf(ref);
    if (!hasL7(rules)) continue;
    const dns = nonEmpty(rules.dns);
    arr(ref.portRule.ports).forEach((p, i) => {
      const port = obj(p);
      if (!port) return;
      const protocol = str(port.protocol) ?? 'ANY';
      if (!dns && protocol !== 'TCP') {
        ctx.report('PW1314', [...ref.path, 'ports', i, ...(present(port.protocol) ? ['protocol'] : [])], { protocol });
      }
      if (port.port === '0') ctx.report('PW1315', [...ref.path, 'ports', i, 'port'], {});
    });
    const kinds = ['http', 'kafka', 'dns'].filter((k) => present(rules[k])).length + (str(rules.l7proto) ? 1 : 0);
    if (kinds > 1) ctx.report('PW1316', [...ref.path, 'rules'], { problem: 'multiple' });
    if (present(rules.l7) && !str(rules.l7proto)) ctx.report('PW1316', [...ref.path, 'rules', 'l7'], { problem: 'l7-needs-l7proto' });
  }
};

/** Host policies: no L7 on ingress ("L7 policy is not supported on host ingress yet"), only DNS on egress. */
export const ciliumHostL7: Rule = function ciliumHostL7(ctx) {
  for (const ref of portRules(ctx.root)) {
    const rules = rulesOf(ref);
    if (!rules || !present(ref.rule.owner.spec.nodeSelector)) continue;
    const direction = ref.rule.ingress ? 'ingress' : 'egress';
    for (const kind of ['http', 'kafka', 'dns']) {
      if (!nonEmpty(rules[kind]) || (kind === 'dns' && direction === 'egress')) continue;
      ctx.report('PW1319', [...ref.path, 'rules', kind], { kind: kind.toUpperCase(), direction });
    }
  }
};

/** "Listener is not allowed on ingress" and "Listener is not allowed with L7 rules". */
export const ciliumListener: Rule = function ciliumListener(ctx) {
  for (const ref of portRules(ctx.root)) {
    if (ref.rule.deny || !present(ref.portRule.listener)) continue;
    const at = [...ref.path, 'listener'];
    if (ref.rule.ingress) ctx.report('PW1322', at, { problem: 'ingress' });
    if (hasL7(rulesOf(ref))) ctx.report('PW1322', at, { problem: 'l7' });
  }
};

/** "ServerNames are not allowed with L7 rules without TLS termination"; "empty server name is not allowed". */
export const ciliumServerNames: Rule = function ciliumServerNames(ctx) {
  for (const ref of portRules(ctx.root)) {
    if (ref.rule.deny) continue;
    const names = ref.portRule.serverNames;
    if (nonEmpty(names) && hasL7(rulesOf(ref)) && !present(ref.portRule.terminatingTLS)) {
      ctx.report('PW1323', [...ref.path, 'serverNames'], { problem: 'with-l7' });
    }
    arr(names).forEach((n, i) => {
      if (n === '') ctx.report('PW1323', [...ref.path, 'serverNames', i], { problem: 'empty' });
    });
  }
};

export const CILIUM_L7_RULES: readonly Rule[] = [ciliumDnsRules, ciliumL7Rules, ciliumHostL7, ciliumListener, ciliumServerNames];
