import { present, type Rule } from '../context.js';
import { ciliumRules, portRules } from './cilium-walk.js';

/**
 * ingressDeny/egressDeny entries have no authentication and no toFQDNs (IngressDenyRule, EgressDenyRule), and
 * their toPorts are PortDenyRules: ports only, no L7 `rules`, serverNames, TLS contexts or listener
 * (pkg/policy/api/l4.go: "PortDenyRule ... omits the L7Rules since it's not supported in deny policies").
 * The CRD would call these unknown fields; PW1313 says why.
 */
const DENY_RULE_FIELDS = ['authentication', 'toFQDNs'];
const DENY_PORT_FIELDS = ['rules', 'serverNames', 'originatingTLS', 'terminatingTLS', 'listener'];

export const ciliumDenyFields: Rule = function ciliumDenyFields(ctx) {
  for (const { rule, path, deny } of ciliumRules(ctx.root)) {
    if (!deny) continue;
    for (const field of DENY_RULE_FIELDS) {
      if (present(rule[field])) ctx.report('PW1313', [...path, field], { field });
    }
  }
  for (const { portRule, path, rule } of portRules(ctx.root)) {
    if (!rule.deny) continue;
    for (const field of DENY_PORT_FIELDS) {
      if (present(portRule[field])) ctx.report('PW1313', [...path, field], { field: `toPorts.${field}` });
    }
  }
};

export const CILIUM_DENY_RULES: readonly Rule[] = [ciliumDenyFields];
