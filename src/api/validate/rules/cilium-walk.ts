import type { Path } from '../../source.js';
import { arr, obj, type Obj } from '../context.js';

/**
 * Traversal of a CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy: every rule of `spec` and `specs[i]`,
 * every entry of its four sections, every toPorts entry and port. Entries that are not objects are skipped
 * (the schema reports them), so the checks can run on any document.
 */

export interface SpecRef { spec: Obj; path: Path }

export type Section = 'ingress' | 'ingressDeny' | 'egress' | 'egressDeny';
export const SECTIONS: readonly Section[] = ['ingress', 'ingressDeny', 'egress', 'egressDeny'];

export interface RuleRef {
  rule: Obj;
  path: Path;
  ingress: boolean;
  deny: boolean;
  /** The rule (`spec` or `specs[i]`) this entry belongs to. */
  owner: SpecRef;
}

export interface PortRuleRef { portRule: Obj; path: Path; rule: RuleRef }
export interface PortRef { port: Obj; path: Path; portRule: PortRuleRef }

function objects(list: unknown, base: Path): { value: Obj; path: Path }[] {
  return arr(list).flatMap((v, i) => {
    const value = obj(v);
    return value ? [{ value, path: [...base, i] }] : [];
  });
}

export function ciliumSpecs(root: Obj): SpecRef[] {
  const out: SpecRef[] = [];
  const single = obj(root.spec);
  if (single) out.push({ spec: single, path: ['spec'] });
  for (const { value, path } of objects(root.specs, ['specs'])) out.push({ spec: value, path });
  return out;
}

export function ciliumRules(root: Obj): RuleRef[] {
  return ciliumSpecs(root).flatMap((owner) =>
    SECTIONS.flatMap((section) =>
      objects(owner.spec[section], [...owner.path, section]).map(({ value, path }) => ({
        rule: value, path, owner, ingress: section.startsWith('ingress'), deny: section.endsWith('Deny'),
      }))));
}

export function portRules(root: Obj): PortRuleRef[] {
  return ciliumRules(root).flatMap((rule) =>
    objects(rule.rule.toPorts, [...rule.path, 'toPorts']).map(({ value, path }) => ({ portRule: value, path, rule })));
}

export function ports(root: Obj): PortRef[] {
  return portRules(root).flatMap((portRule) =>
    objects(portRule.portRule.ports, [...portRule.path, 'ports']).map(({ value, path }) => ({ port: value, path, portRule })));
}
