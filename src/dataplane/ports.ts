import type { Cluster, Protocol } from '../engine/cluster.js';
import { PROTOCOLS } from '../engine/cluster.js';
import type { Policy } from '../engine/policy.js';

export interface PortRange {
  from: number;
  to: number;
}

/** The port ranges of one protocol: they cover 0-65535 in order, and every rule treats all ports of a range alike. */
export interface ProtocolRanges {
  protocol: Protocol;
  ranges: PortRange[];
}

/**
 * Split 0-65535 per protocol at every boundary a rule introduces: a port range's ends, and each port a
 * named port resolves to through any pod's container ports (the name only means something where a pod
 * declares it, on its protocol). Within a range no rule can tell two ports apart, so the range's first
 * port represents it. Deny rules count like allow rules; `ICMP` conditions never match a port flow.
 *
 * @example
 * portRanges(cluster, policies) // [{ protocol: 'TCP', ranges: [{from: 0, to: 79}, {from: 80, to: 80}, {from: 81, to: 65535}] }, ...]
 */
export function portRanges(cluster: Cluster, policies: readonly Policy[]): ProtocolRanges[] {
  const { cuts: policyCuts, names } = byPolicies(policies, policyPorts);
  const cuts = new Map<Protocol, Set<number>>(PROTOCOLS.map((p) => [p, new Set(policyCuts.get(p))]));
  if (names.size > 0) {
    for (const pod of cluster.pods) {
      for (const np of pod.namedPorts) {
        if (!names.get(np.name)?.has(np.protocol)) continue;
        cuts.get(np.protocol)!.add(np.port);
        cuts.get(np.protocol)!.add(np.port + 1);
      }
    }
  }
  return PROTOCOLS.map((protocol) => {
    const sorted = [...cuts.get(protocol)!].filter((p) => p >= 0 && p <= 65535).sort((a, b) => a - b);
    const ranges = sorted.map((from, i) => ({ from, to: (sorted[i + 1] ?? 65536) - 1 }));
    return { protocol, ranges };
  });
}

/**
 * `f(policies)` of the last call with the same policies (the same objects, in order), else afresh: the
 * agent's passes share their unchanged Policy objects (engine.ts `policyCache`). `f` must be pure.
 */
export function byPolicies<T>(policies: readonly Policy[], f: (policies: readonly Policy[]) => T): T {
  const last = lastByFn.get(f) as { policies: readonly Policy[]; value: T } | undefined;
  if (last && last.policies.length === policies.length && last.policies.every((p, i) => p === policies[i])) return last.value;
  const value = f(policies);
  lastByFn.set(f, { policies: [...policies], value });
  return value;
}

const lastByFn = new WeakMap<object, { policies: readonly Policy[]; value: unknown }>();

function policyPorts(policies: readonly Policy[]): { cuts: Map<Protocol, Set<number>>; names: Map<string, Set<Protocol>> } {
  const cuts = new Map<Protocol, Set<number>>(PROTOCOLS.map((p) => [p, new Set([0])]));
  const names = new Map<string, Set<Protocol>>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      for (const pm of rule.ports ?? []) {
        for (const proto of pm.protocols) {
          if (proto === 'ICMP') continue;
          if (pm.range) {
            cuts.get(proto)!.add(pm.range.from);
            cuts.get(proto)!.add(pm.range.to + 1);
          } else if (pm.name !== undefined) {
            names.set(pm.name, (names.get(pm.name) ?? new Set()).add(proto));
          }
        }
      }
    }
  }
  return { cuts, names };
}

/** The named ports (`name/PROTOCOL`) that some rule refers to: only these can tell pods apart. */
export function referencedPortNames(policies: readonly Policy[]): Set<string> {
  const out = new Set<string>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      for (const pm of rule.ports ?? []) {
        if (pm.name === undefined) continue;
        for (const proto of pm.protocols) if (proto !== 'ICMP') out.add(`${pm.name}/${proto}`);
      }
    }
  }
  return out;
}
