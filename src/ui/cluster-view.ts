import type { ApiObject } from '../api/types.js';
import { buildEngine } from '../engine/engine.js';
import { selectsPod } from '../engine/match.js';
import type { Policy, PortMatch, Rule } from '../engine/policy.js';
import type { ClusterView, PolicyView, RuleView } from './protocol.js';

/**
 * The cluster as the UI shows it, from one store snapshot: pods, namespaces, and each policy with the pods it
 * selects (the engine's selection, as `podwall describe` reports it). Pure.
 */
export function clusterView(objects: readonly ApiObject[], revision: number, enforcement: ClusterView['enforcement']): ClusterView {
  const engine = buildEngine(objects);
  const { cluster } = engine;
  const pods = cluster.pods.map((p) => ({
    id: p.id,
    namespace: p.namespace,
    name: p.name,
    ...(p.ips[0] !== undefined ? { ip: p.ips[0] } : {}),
    ...(p.node !== undefined ? { node: p.node } : {}),
    labels: Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).sort(),
  }));
  // A Cilium policy with `specs` normalises to one engine policy per entry: the UI shows the object once.
  const byObject = new Map<string, Policy[]>();
  for (const p of engine.policies) {
    const key = `${p.origin.kind}/${p.origin.namespace ?? ''}/${p.origin.name}`;
    byObject.set(key, [...(byObject.get(key) ?? []), p]);
  }
  const policies: PolicyView[] = [...byObject.values()].map((group) => {
    const origin = group[0]!.origin;
    return {
      kind: origin.kind,
      ...(origin.namespace !== undefined ? { namespace: origin.namespace } : {}),
      name: origin.name,
      selects: cluster.pods.filter((pod) => group.some((p) => selectsPod(p, pod, cluster))).map((pod) => pod.id),
      isolates: { ingress: group.some((p) => p.isolates.ingress), egress: group.some((p) => p.isolates.egress) },
      rules: ruleViews(group.flatMap((p) => p.rules)),
    };
  });
  policies.sort((a, b) => `${a.namespace ?? ''}/${a.name}`.localeCompare(`${b.namespace ?? ''}/${b.name}`));
  return { revision, enforcement, namespaces: [...cluster.namespaces.keys()].sort(), pods, policies };
}

function portText(m: PortMatch): string {
  const protos = m.protocols.join('|');
  if (m.name) return `${protos}/${m.name}`;
  if (!m.range) return `${protos}/any`;
  return m.range.from === m.range.to ? `${protos}/${m.range.from}` : `${protos}/${m.range.from}-${m.range.to}`;
}

/** One entry per (direction, action, index): Cilium rules split per toPorts entry are merged back. */
function ruleViews(rules: readonly Rule[]): RuleView[] {
  const out = new Map<string, RuleView>();
  for (const r of rules) {
    const key = `${r.direction}/${r.action}/${r.index}`;
    const ports = r.ports === null ? 'any port' : r.ports.map(portText).join(', ');
    const prev = out.get(key);
    if (prev) {
      if (!prev.ports.split(', ').includes(ports)) prev.ports = `${prev.ports}, ${ports}`;
      continue;
    }
    out.set(key, { direction: r.direction, action: r.action, index: r.index, peers: r.peers.map((p) => p.text), ports });
  }
  return [...out.values()];
}
