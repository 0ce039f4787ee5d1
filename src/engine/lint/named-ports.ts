import type { PodInfo } from '../cluster.js';
import type { PortMatch } from '../policy.js';
import { pathKey, type LintRule } from './context.js';

function declares(pod: PodInfo, pm: PortMatch): boolean {
  return pod.namedPorts.some((n) => n.name === pm.name && pm.protocols.includes(n.protocol));
}

/**
 * PW2051: a named port that no pod declares with a matching protocol. A named port resolves through the
 * destination pod (NetworkPolicyPort.port): on ingress that is a pod the policy selects, on egress any pod.
 */
export const namedPortUndeclared: LintRule = (ctx) => {
  if (!ctx.hasPods) return;
  const all = ctx.engine.cluster.pods.filter((p) => !p.hostNetwork);
  for (const t of ctx.targets) {
    if (t.policy.subject.type !== 'pods') continue;
    const seen = new Set<string>();
    for (const rule of t.policy.rules) {
      const pool = rule.direction === 'ingress' ? ctx.selected(t.policy) : all;
      // A policy that selects no pod gets PW2001; its ingress ports would all be reported again here.
      if (pool.length === 0) continue;
      for (const pm of rule.ports ?? []) {
        if (pm.name === undefined || seen.has(pathKey(pm.path))) continue;
        seen.add(pathKey(pm.path));
        if (pool.some((p) => declares(p, pm))) continue;
        const other = pool.find((p) => p.namedPorts.some((n) => n.name === pm.name));
        const otherPort = other?.namedPorts.find((n) => n.name === pm.name);
        ctx.report('PW2051', t.object, [...pm.path, 'port'], {
          name: pm.name,
          protocols: pm.protocols.join('/'),
          scope: rule.direction === 'ingress' ? 'selected' : 'all',
          ...(other && otherPort ? { elsewhere: `${other.id} declares it as ${otherPort.port}/${otherPort.protocol}` } : {}),
        });
      }
    }
  }
};
