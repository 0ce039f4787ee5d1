import type { LabelSelector } from '../../api/types.js';
import { podEndpoint } from '../endpoint.js';
import { peerMatches } from '../match.js';
import type { Peer } from '../policy.js';
import { compileSelector } from '../selector.js';
import { mayMatchReserved, pathKey, valueAt, type LintContext, type LintRule, type LintTarget } from './context.js';


function matchesSomePod(ctx: LintContext, peer: Peer): boolean {
  // The subject only matters for node and FQDN peers; any pod will do for pod peers.
  return ctx.engine.cluster.pods.some((p) => peerMatches(peer, podEndpoint(p), p, ctx.engine.dns));
}

function checkPeer(ctx: LintContext, t: LintTarget, peer: Peer): void {
  const { cluster } = ctx.engine;
  if (peer.type === 'k8s-pods') {
    const nsSel = peer.namespaces;
    if (nsSel && ![...cluster.namespaces.values()].some((ns) => nsSel.matches(ns.labels))) {
      ctx.report('PW2012', t.object, [...peer.path, 'namespaceSelector'], { selector: nsSel.key, known: [...cluster.namespaces.keys()].sort() });
    } else if (!matchesSomePod(ctx, peer)) {
      ctx.report('PW2011', t.object, peer.path, { peer: peer.text });
    }
  } else if (peer.type === 'cilium-endpoints') {
    // Selectors that may match reserved identities (host, world, ...) are about more than pods: not judged here.
    if (mayMatchReserved(peer.selector, peer.namespace)) return;
    if (!matchesSomePod(ctx, peer)) ctx.report('PW2013', t.object, peer.path, { peer: peer.text });
  }
}

/** PW2011-PW2013: pod, namespace and endpoint selector peers that match nothing in the input. */
export const peerMatchesNothing: LintRule = (ctx) => {
  if (!ctx.hasPods) return;
  for (const t of ctx.targets) {
    const seen = new Set<string>();
    for (const rule of t.policy.rules) {
      for (const peer of rule.peers) {
        // Cilium rules split per toPorts entry share their peers: judge each once.
        const key = pathKey(peer.path);
        if (seen.has(key)) continue;
        seen.add(key);
        checkPeer(ctx, t, peer);
      }
    }
  }
};

const CILIUM_LISTS = ['ingress', 'ingressDeny', 'egress', 'egressDeny'] as const;

/**
 * PW2014/PW2015: CIDR set entries that name a CiliumCIDRGroup the input does not have. Normalisation drops
 * them (they resolve to no CIDR), so this reads the manifest.
 */
export const cidrGroupMissing: LintRule = (ctx) => {
  const groups = ctx.engine.cluster.cidrGroups;
  for (const t of ctx.targets) {
    if (t.policy.origin.kind === 'NetworkPolicy') continue;
    for (const list of CILIUM_LISTS) {
      const rules = valueAt(t.object.object, [...t.base, list]);
      if (!Array.isArray(rules)) continue;
      rules.forEach((rule: unknown, i) => {
        for (const field of ['fromCIDRSet', 'toCIDRSet']) {
          const set = valueAt(rule, [field]);
          if (!Array.isArray(set)) continue;
          set.forEach((entry: { cidrGroupRef?: unknown; cidrGroupSelector?: LabelSelector }, k) => {
            const path = [...t.base, list, i, field, k];
            if (typeof entry?.cidrGroupRef === 'string' && !groups.has(entry.cidrGroupRef)) {
              ctx.report('PW2014', t.object, [...path, 'cidrGroupRef'], { name: entry.cidrGroupRef, known: [...groups.keys()].sort() });
            }
            if (entry?.cidrGroupSelector && typeof entry.cidrGroupSelector === 'object') {
              const sel = compileSelector(entry.cidrGroupSelector);
              if (![...groups.values()].some((g) => sel.matches(g.labels))) {
                ctx.report('PW2015', t.object, [...path, 'cidrGroupSelector'], { selector: sel.key });
              }
            }
          });
        }
      });
    }
  }
};
