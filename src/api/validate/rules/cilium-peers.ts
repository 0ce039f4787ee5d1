import type { Path } from '../../source.js';
import { ENTITIES } from '../../types.js';
import { arr, nonEmpty, obj, present, str, type Rule, type RuleContext } from '../context.js';
import { nameProblem } from '../formats.js';
import { checkCidr, checkExcept } from './cidr.js';
import { ciliumRules, portRules, type RuleRef } from './cilium-walk.js';

/**
 * L3 peer checks of Cilium rules, after pkg/policy/api/rule_validation.go (IngressCommonRule.Validate,
 * EgressCommonRule.Validate, EgressRule.Validate, CIDRRule.Validate) and fqdn.go / pkg/fqdn/matchpattern.
 */

/** Members of l3Members(): at most one kind of L3 selector per rule ("combining %s and %s is not supported yet"). */
const INGRESS_L3 = ['fromEndpoints', 'fromCIDR', 'fromCIDRSet', 'fromEntities', 'fromNodes', 'fromGroups'];
const EGRESS_L3 = ['toEndpoints', 'toCIDR', 'toCIDRSet', 'toEntities', 'toServices', 'toGroups', 'toNodes'];

function l3Members(ref: RuleRef): string[] {
  const candidates = ref.ingress ? INGRESS_L3 : ref.deny ? EGRESS_L3 : ['toFQDNs', ...EGRESS_L3];
  return candidates.filter((f) => nonEmpty(ref.rule[f]));
}

/** toFQDNs gets its own code (PW1304): it is the combination people write most often. */
export const ciliumL3Combination: Rule = function ciliumL3Combination(ctx) {
  for (const ref of ciliumRules(ctx.root)) {
    const members = l3Members(ref);
    const [first, ...others] = members;
    for (const other of others) {
      if (first === 'toFQDNs') ctx.report('PW1304', [...ref.path, other], { other });
      else ctx.report('PW1305', [...ref.path, other], { first: first ?? '', second: other });
    }
  }
};

/** "unsupported entity: %s" (EntitySelectorMapping). */
export const ciliumEntities: Rule = function ciliumEntities(ctx) {
  const known: readonly string[] = ENTITIES;
  for (const { rule, path } of ciliumRules(ctx.root)) {
    for (const field of ['fromEntities', 'toEntities']) {
      arr(rule[field]).forEach((e, i) => {
        if (typeof e === 'string' && !known.includes(e)) ctx.report('PW1309', [...path, field, i], { value: e, allowed: ENTITIES });
      });
    }
  }
};

function checkCidrRule(ctx: RuleContext, value: unknown, path: Path): void {
  const c = obj(value);
  if (!c) return;
  const ref = str(c.cidrGroupRef);
  const count = [str(c.cidr), ref].filter((s) => s !== undefined && s !== '').length + (present(c.cidrGroupSelector) ? 1 : 0);
  if (count !== 1) ctx.report('PW1321', path, { count });
  if (ref) {
    // The CRD pattern of cidrGroupRef: an object name (DNS-1123 subdomain).
    const problem = nameProblem(ref, 'dns1123-subdomain');
    if (problem) ctx.report('PW1201', [...path, 'cidrGroupRef'], { field: 'cidrGroupRef', value: ref, format: 'dns1123-subdomain', problem });
  }
  if (!str(c.cidr)) return;
  const cidr = checkCidr(ctx, c.cidr, [...path, 'cidr']);
  if (cidr) checkExcept(ctx, cidr, c.except, [...path, 'except'], false);
}

/**
 * fromCIDR/toCIDR entries and CIDR rules. podwall asks for prefix notation in fromCIDR/toCIDR as the CRD
 * pattern of CIDR does (Cilium's own CIDR.Validate would also take a bare address).
 */
export const ciliumCidrs: Rule = function ciliumCidrs(ctx) {
  for (const { rule, path } of ciliumRules(ctx.root)) {
    for (const field of ['fromCIDR', 'toCIDR']) {
      arr(rule[field]).forEach((c, i) => checkCidr(ctx, c, [...path, field, i]));
    }
    for (const field of ['fromCIDRSet', 'toCIDRSet']) {
      arr(rule[field]).forEach((c, i) => checkCidrRule(ctx, c, [...path, field, i]));
    }
  }
};

const MAX_FQDN_LENGTH = 255;
const MATCH_NAME = /^[-a-zA-Z0-9_.]+$/;
const MATCH_PATTERN = /^[-a-zA-Z0-9_.*]+$/;

function checkMatchPattern(ctx: RuleContext, pattern: string, path: Path): void {
  if (pattern.length > MAX_FQDN_LENGTH) ctx.report('PW1308', path, { value: pattern, problem: 'too-long' });
  else if (!MATCH_PATTERN.test(pattern)) ctx.report('PW1308', path, { value: pattern, problem: 'chars' });
  // `**.` as a prefix matches one or more labels; anywhere else `**` has no documented meaning.
  else if (pattern.replace(/^\*\*\./, '').includes('**')) ctx.report('PW1308', path, { value: pattern, problem: 'double-star' });
}

/** An FQDN selector: exactly one of matchName and matchPattern, each ≤255 characters of the DNS alphabet. */
function checkFqdnSelector(ctx: RuleContext, value: unknown, path: Path): void {
  const s = obj(value);
  if (!s) return;
  const name = str(s.matchName) ?? '';
  const pattern = str(s.matchPattern) ?? '';
  if ((name === '') === (pattern === '')) ctx.report('PW1306', path, { problem: name === '' ? 'neither' : 'both' });
  if (name.length > MAX_FQDN_LENGTH) ctx.report('PW1307', [...path, 'matchName'], { value: name, problem: 'too-long' });
  else if (name !== '' && !MATCH_NAME.test(name)) ctx.report('PW1307', [...path, 'matchName'], { value: name, problem: 'chars' });
  if (pattern !== '') checkMatchPattern(ctx, pattern, [...path, 'matchPattern']);
}

/** toFQDNs of egress rules and the DNS rules of toPorts (deny rules carry neither: PW1313). */
export const ciliumFqdnSelectors: Rule = function ciliumFqdnSelectors(ctx) {
  for (const { rule, path, deny } of ciliumRules(ctx.root)) {
    if (!deny) arr(rule.toFQDNs).forEach((s, i) => checkFqdnSelector(ctx, s, [...path, 'toFQDNs', i]));
  }
  for (const { portRule, path, rule } of portRules(ctx.root)) {
    if (rule.deny) continue;
    arr(obj(portRule.rules)?.dns).forEach((s, i) => checkFqdnSelector(ctx, s, [...path, 'rules', 'dns', i]));
  }
};

export const CILIUM_PEER_RULES: readonly Rule[] = [ciliumL3Combination, ciliumEntities, ciliumCidrs, ciliumFqdnSelectors];
