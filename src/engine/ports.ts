import type { Cluster, Protocol } from './cluster.js';
import type { PortProto } from './matrix.js';
import type { Policy } from './policy.js';

/** Every port a pod declares or a policy names (range ends included), sorted; 80/TCP when there is none. */
export function defaultPorts(cluster: Cluster, policies: readonly Policy[]): PortProto[] {
  const seen = new Map<string, PortProto>();
  const add = (port: number, protocol: Protocol) => seen.set(`${protocol}/${port}`, { port, protocol });
  for (const pod of cluster.pods) for (const p of pod.declaredPorts) add(p.port, p.protocol);
  for (const policy of policies) {
    for (const rule of policy.rules) {
      for (const pm of rule.ports ?? []) {
        if (!pm.range) continue;
        for (const proto of pm.protocols) {
          if (proto === 'ICMP') continue;
          add(pm.range.from, proto);
          if (pm.range.to !== pm.range.from) add(pm.range.to, proto);
        }
      }
    }
  }
  const order: Record<Protocol, number> = { TCP: 0, UDP: 1, SCTP: 2 };
  const list = [...seen.values()].sort((a, b) => order[a.protocol] - order[b.protocol] || a.port - b.port);
  return list.length > 0 ? list : [{ port: 80, protocol: 'TCP' }];
}
