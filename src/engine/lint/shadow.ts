import type { Path } from '../../api/source.js';
import { cidrContainsCidr } from '../../shared/ip.js';
import type { Protocol } from '../cluster.js';
import type { Direction, Peer, PortMatch, Rule } from '../policy.js';
import { mayMatchReserved, pathKey, ruleLabel, valueAt, type LintContext, type LintRule, type LintTarget } from './context.js';

/** One rule as written (`spec.ingress[2]`): Cilium splits it per toPorts entry into several engine rules. */
interface SourceRule {
  target: LintTarget;
  direction: Direction;
  path: Path;
  parts: Rule[];
}

/** Cilium rule fields the engine models exactly; a rule with any other field is never compared (soundness first). */
const MODELLED = new Set([
  'fromEndpoints', 'fromCIDR', 'fromCIDRSet', 'fromEntities', 'fromNodes',
  'toEndpoints', 'toCIDR', 'toCIDRSet', 'toEntities', 'toNodes', 'toFQDNs', 'toPorts', 'icmps',
]);

/**
 * Whether the engine's view of the rule is all there is to it: no L7 rules, TLS, listeners, requirements,
 * services, groups or authentication (which would make two rules with equal peers and ports differ).
 */
function modelled(s: SourceRule): boolean {
  if (s.target.policy.origin.kind === 'NetworkPolicy') return true;
  const raw = valueAt(s.target.object.object, s.path);
  if (typeof raw !== 'object' || raw === null) return false;
  for (const [k, v] of Object.entries(raw)) {
    if (!MODELLED.has(k)) return false;
    if (k === 'toPorts' && !(v as unknown[]).every((pr) => Object.keys(pr as object).every((x) => x === 'ports'))) return false;
    if ((k === 'toCIDRSet' || k === 'fromCIDRSet') && !(v as object[]).every((c) => !('cidrGroupRef' in c) && !('cidrGroupSelector' in c))) return false;
  }
  return true;
}

function peerKey(p: Peer): string {
  return `${p.type}|${'namespace' in p ? p.namespace ?? '*' : ''}|${p.text}`;
}


/** Whether every endpoint peer `a` matches is matched by `b` too (syntactic, and only where that is certain). */
export function peerCovers(b: Peer, a: Peer): boolean {
  if (b.type === 'any' || (b.type === 'entity' && b.entity === 'all')) return true;
  if (peerKey(b) === peerKey(a)) return true;
  if (b.type === 'k8s-pods' && a.type === 'k8s-pods') {
    const sameNamespaces = b.namespaces
      ? a.namespaces !== undefined && a.namespaces.key === b.namespaces.key
      : a.namespaces === undefined && a.namespace === b.namespace;
    return sameNamespaces && (b.pods === undefined || b.pods.empty);
  }
  if (b.type === 'cilium-endpoints' && a.type === 'cilium-endpoints') {
    // An empty selector matches every pod in scope but no reserved identity; `a` must not reach beyond pods.
    const scope = b.namespace === undefined || b.namespace === a.namespace;
    const podsOnly = !mayMatchReserved(a.selector, a.namespace);
    return b.selector.empty && scope && podsOnly;
  }
  if (b.type === 'cidr' && a.type === 'cidr') {
    return b.except.length === 0 && b.selectsCluster === a.selectsCluster && cidrContainsCidr(b.cidr, a.cidr);
  }
  return false;
}

/** One protocol's share of a port condition; ICMP conditions carry no type/code here, so only "every port" covers them. */
interface PortUnit {
  protocol: Protocol | 'ICMP';
  match: PortMatch;
}

function units(ports: readonly PortMatch[]): PortUnit[] {
  return ports.flatMap((match) => match.protocols.map((protocol) => ({ protocol, match })));
}

function portCovers(b: readonly PortMatch[] | null, a: PortUnit | null): boolean {
  if (b === null) return true;
  if (a === null || a.protocol === 'ICMP') return false;
  return b.some((m) => {
    if (!m.protocols.includes(a.protocol)) return false;
    if (!m.range && m.name === undefined) return true;
    if (m.range && a.match.range) return m.range.from <= a.match.range.from && a.match.range.to <= m.range.to;
    return m.name !== undefined && m.name === a.match.name;
  });
}

/** The rules that together allow every (peer, port) of `a`, or null when some pair is not covered. */
function coveredBy(a: SourceRule, others: readonly SourceRule[]): SourceRule[] | null {
  const used = new Set<SourceRule>();
  for (const part of a.parts) {
    const ports = part.ports === null ? [null] : units(part.ports);
    for (const peer of part.peers) {
      for (const unit of ports) {
        const b = others.find((o) => o.parts.some((r) => portCovers(r.ports, unit) && r.peers.some((q) => peerCovers(q, peer))));
        if (!b) return null;
        used.add(b);
      }
    }
  }
  return [...used];
}

function subjectKey(t: LintTarget): string | null {
  const s = t.policy.subject;
  if (s.type !== 'pods') return null;
  const family = t.policy.origin.kind === 'NetworkPolicy' ? 'k8s' : 'cilium';
  return `${family}|${s.namespace ?? '*'}|${s.selector.key}`;
}

/** Allow rules per (subject, direction), in input order. */
function groups(ctx: LintContext): SourceRule[][] {
  const byKey = new Map<string, SourceRule[]>();
  for (const t of ctx.targets) {
    const subject = subjectKey(t);
    if (subject === null) continue;
    const byPath = new Map<string, SourceRule>();
    for (const r of t.policy.rules) {
      if (r.action !== 'allow') continue;
      const key = pathKey(r.path);
      let s = byPath.get(key);
      if (!s) {
        byPath.set(key, (s = { target: t, direction: r.direction, path: r.path, parts: [] }));
        const g = `${subject}|${r.direction}`;
        byKey.set(g, [...(byKey.get(g) ?? []), s]);
      }
      s.parts.push(r);
    }
  }
  return [...byKey.values()];
}

/**
 * PW2031: an allow rule whose every (peer, port) pair another allow rule already allows, among the policies
 * that select the same pods (same kind family, namespace and selector) in the same direction. Checked from
 * the last rule to the first, against rules not already reported, so of two duplicates the later one is
 * reported and removing every reported rule changes no verdict.
 */
export const shadowedRule: LintRule = (ctx) => {
  for (const group of groups(ctx)) {
    const candidates = group.filter(modelled);
    const shadowed = new Set<SourceRule>();
    for (let i = candidates.length - 1; i >= 0; i--) {
      const a = candidates[i]!;
      // An empty rule (Cilium `{}`) allows nothing: "shadowed" would be true but say nothing useful.
      if (a.parts.some((p) => p.peers.length === 0)) continue;
      if (coveredBy(a, candidates.filter((b) => b !== a && !shadowed.has(b)))) shadowed.add(a);
    }
    // Coverage is transitive and the loop above never lets two rules cover each other away, so the rules
    // that stay cover every shadowed one on their own: name those.
    const kept = candidates.filter((b) => !shadowed.has(b));
    for (const a of shadowed) {
      const by = coveredBy(a, kept) ?? [];
      ctx.report('PW2031', a.target.object, a.path, { by: by.map((b) => ruleLabel(b.target, b.path)) });
    }
  }
};
