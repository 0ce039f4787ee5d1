import type { Path } from '../../source.js';
import { arr, int, obj, present, str, type Obj, type Rule, type RuleContext } from '../context.js';
import { portNameProblem } from '../formats.js';
import { checkCidr, checkExcept } from './cidr.js';
import { checkSelector } from './selector.js';

/**
 * NetworkPolicy semantics after kubernetes pkg/apis/networking/validation/validation.go
 * (ValidateNetworkPolicySpec, ValidateNetworkPolicyPort, ValidateNetworkPolicyPeer, ValidateIPBlock).
 */

interface PeerRef { peer: Obj; path: Path }
interface PortRef { port: Obj; path: Path }

function spec(ctx: RuleContext): Obj | undefined {
  return obj(ctx.root.spec);
}

function directionRules(ctx: RuleContext): { rule: Obj; path: Path; peersKey: 'from' | 'to' }[] {
  const s = spec(ctx);
  const out: { rule: Obj; path: Path; peersKey: 'from' | 'to' }[] = [];
  for (const [dir, peersKey] of [['ingress', 'from'], ['egress', 'to']] as const) {
    arr(s?.[dir]).forEach((r, i) => {
      const rule = obj(r);
      if (rule) out.push({ rule, path: ['spec', dir, i], peersKey });
    });
  }
  return out;
}

function peers(ctx: RuleContext): PeerRef[] {
  return directionRules(ctx).flatMap(({ rule, path, peersKey }) =>
    arr(rule[peersKey]).flatMap((p, i) => {
      const peer = obj(p);
      return peer ? [{ peer, path: [...path, peersKey, i] }] : [];
    }));
}

function ports(ctx: RuleContext): PortRef[] {
  return directionRules(ctx).flatMap(({ rule, path }) =>
    arr(rule.ports).flatMap((p, i) => {
      const port = obj(p);
      return port ? [{ port, path: [...path, 'ports', i] }] : [];
    }));
}

export const npSelectors: Rule = function npSelectors(ctx) {
  checkSelector(ctx, spec(ctx)?.podSelector, ['spec', 'podSelector']);
  for (const { peer, path } of peers(ctx)) {
    checkSelector(ctx, peer.podSelector, [...path, 'podSelector']);
    checkSelector(ctx, peer.namespaceSelector, [...path, 'namespaceSelector']);
  }
};

/** A peer sets at least one field; ipBlock stands alone ("may not specify more than 1 peer when ipBlock is specified"). */
export const npPeerFields: Rule = function npPeerFields(ctx) {
  for (const { peer, path } of peers(ctx)) {
    const set = ['podSelector', 'namespaceSelector', 'ipBlock'].filter((f) => present(peer[f]));
    if (set.length === 0) ctx.report('PW1214', path, {});
    else if (present(peer.ipBlock) && set.length > 1) ctx.report('PW1213', [...path, 'ipBlock'], {});
  }
};

export const npIpBlocks: Rule = function npIpBlocks(ctx) {
  for (const { peer, path } of peers(ctx)) {
    const block = obj(peer.ipBlock);
    if (!block) continue;
    const cidr = checkCidr(ctx, block.cidr, [...path, 'ipBlock', 'cidr']);
    if (cidr) checkExcept(ctx, cidr, block.except, [...path, 'ipBlock', 'except'], true);
  }
};

function checkPortValue(ctx: RuleContext, port: unknown, path: Path): void {
  if (typeof port === 'number' && Number.isInteger(port) && (port < 1 || port > 65535)) {
    ctx.report('PW1208', path, { field: 'port', value: port, min: 1, max: 65535 });
  }
  if (typeof port === 'string') {
    const problem = portNameProblem(port);
    if (problem) ctx.report('PW1209', path, { value: port, problem });
  }
}

/** port: 1-65535 or an IANA name; endPort only with a numeric port, >= port, <= 65535. */
export const npPorts: Rule = function npPorts(ctx) {
  for (const { port: p, path } of ports(ctx)) {
    checkPortValue(ctx, p.port, [...path, 'port']);
    const end = int(p.endPort);
    if (end === undefined) continue;
    const at = [...path, 'endPort'];
    if (!present(p.port)) ctx.report('PW1210', at, { reason: 'no-port' });
    else if (typeof p.port === 'string') ctx.report('PW1210', at, { reason: 'named-port' });
    else if (typeof p.port === 'number' && end < p.port) ctx.report('PW1203', at, { port: p.port, endPort: end });
    if (end < 1 || end > 65535) ctx.report('PW1208', at, { field: 'endPort', value: end, min: 1, max: 65535 });
  }
};

/** Each policy type at most once (unknown values are the schema's PW1104). */
export const npPolicyTypes: Rule = function npPolicyTypes(ctx) {
  const seen = new Set<string>();
  arr(spec(ctx)?.policyTypes).forEach((t, i) => {
    const value = str(t);
    if (value === undefined) return;
    if (seen.has(value)) ctx.report('PW1215', ['spec', 'policyTypes', i], { value });
    seen.add(value);
  });
};

export const NETWORK_POLICY_RULES: readonly Rule[] = [npSelectors, npPeerFields, npIpBlocks, npPorts, npPolicyTypes];
