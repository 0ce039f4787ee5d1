import { arr, obj, present, str, stringEntries, type Obj, type Rule } from '../context.js';
import { CILIUM_NAMESPACE_KEY, splitCiliumKey } from '../formats.js';
import { ciliumRules, ciliumSpecs, SECTIONS } from './cilium-walk.js';
import { checkSelector } from './selector.js';

/**
 * Rule-level checks of Cilium policies: cilium.io CRD schema (oneOf endpointSelector/nodeSelector, anyOf of the
 * four sections, `has(self.spec) || has(self.specs)`), pkg/policy/api/rule_validation.go (Rule.Validate) and
 * pkg/k8s/apis/cilium.io/v2/cnp_types.go (CiliumNetworkPolicy.Parse).
 */

/** ErrEmptyCNP: "Invalid CiliumNetworkPolicy spec(s): empty policy". */
export const ciliumSpecPresent: Rule = function ciliumSpecPresent(ctx) {
  if (!present(ctx.root.spec) && !present(ctx.root.specs)) ctx.report('PW1302', [], {});
};

/** "rule must have one of EndpointSelector or NodeSelector" / "rule cannot have both". */
export const ciliumSubject: Rule = function ciliumSubject(ctx) {
  for (const { spec, path } of ciliumSpecs(ctx.root)) {
    const endpoint = present(spec.endpointSelector);
    const node = present(spec.nodeSelector);
    if (!endpoint && !node) ctx.report('PW1301', path, { problem: 'neither' });
    if (endpoint && node) ctx.report('PW1301', [...path, 'nodeSelector'], { problem: 'both' });
  }
};

/** "rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny" (presence, like the CRD's anyOf). */
export const ciliumHasSections: Rule = function ciliumHasSections(ctx) {
  for (const { spec, path } of ciliumSpecs(ctx.root)) {
    if (!SECTIONS.some((s) => present(spec[s]))) ctx.report('PW1303', path, {});
  }
};

/** CiliumNetworkPolicy.Parse: "rule cannot have NodeSelector" (host policies are clusterwide). */
export const ciliumNodeSelectorScope: Rule = function ciliumNodeSelectorScope(ctx) {
  if (ctx.kind !== 'CiliumNetworkPolicy') return;
  for (const { spec, path } of ciliumSpecs(ctx.root)) {
    if (present(spec.nodeSelector)) ctx.report('PW1324', [...path, 'nodeSelector'], {});
  }
};

function isNamespaceKey(key: string): boolean {
  const { source, key: k } = splitCiliumKey(key);
  return (source === '' || source === 'k8s' || source === 'any') && k === CILIUM_NAMESPACE_KEY;
}

/** Whether a matchExpressions entry selects exactly the policy's own namespace (a harmless restatement). */
function selectsOwnNamespace(req: Obj, namespace: string | undefined): boolean {
  const values = arr(req.values);
  return str(req.operator) === 'In' && values.length === 1 && values[0] === namespace;
}

/**
 * A CNP's endpointSelector always applies in the policy's namespace; selecting another namespace there is
 * prohibited (Documentation/security/policy/kubernetes.rst; operator validation since cilium/cilium#47038).
 * Naming the policy's own namespace changes nothing and is accepted.
 */
export const ciliumEndpointNamespace: Rule = function ciliumEndpointNamespace(ctx) {
  if (ctx.kind !== 'CiliumNetworkPolicy') return;
  const namespace = str(obj(ctx.root.metadata)?.namespace);
  for (const { spec, path } of ciliumSpecs(ctx.root)) {
    const sel = obj(spec.endpointSelector);
    for (const [key, value] of stringEntries(sel?.matchLabels)) {
      if (isNamespaceKey(key) && value !== namespace) {
        ctx.report('PW1320', [...path, 'endpointSelector', 'matchLabels', key], { key });
      }
    }
    arr(sel?.matchExpressions).forEach((r, i) => {
      const req = obj(r);
      const key = str(req?.key);
      if (req && key !== undefined && isNamespaceKey(key) && !selectsOwnNamespace(req, namespace)) {
        ctx.report('PW1320', [...path, 'endpointSelector', 'matchExpressions', i, 'key'], { key });
      }
    });
  }
};

const PEER_SELECTORS = ['fromEndpoints', 'fromNodes', 'toEndpoints', 'toNodes'] as const;

/** Labels in every endpoint and node selector (with Cilium label sources) and CIDR group selector (plain). */
export const ciliumSelectors: Rule = function ciliumSelectors(ctx) {
  for (const { spec, path } of ciliumSpecs(ctx.root)) {
    checkSelector(ctx, spec.endpointSelector, [...path, 'endpointSelector'], 'cilium');
    checkSelector(ctx, spec.nodeSelector, [...path, 'nodeSelector'], 'cilium');
  }
  for (const { rule, path } of ciliumRules(ctx.root)) {
    for (const field of PEER_SELECTORS) {
      arr(rule[field]).forEach((s, i) => checkSelector(ctx, s, [...path, field, i], 'cilium'));
    }
    for (const field of ['fromCIDRSet', 'toCIDRSet']) {
      arr(rule[field]).forEach((c, i) => {
        checkSelector(ctx, obj(c)?.cidrGroupSelector, [...path, field, i, 'cidrGroupSelector']);
      });
    }
  }
};

export const CILIUM_RULE_RULES: readonly Rule[] = [
  ciliumSpecPresent, ciliumSubject, ciliumHasSections, ciliumNodeSelectorScope, ciliumEndpointNamespace, ciliumSelectors,
];
