import type { ApiObject } from '../api/types.js';
import type { NftJson } from './nft/render.js';

/**
 * Pure: Services as kube-proxy makes them, in nftables: each node's netns DNATs a ClusterIP:port to one of
 * the Service's backend pods (picked at random per connection), before routing and before the policy's
 * forward chain, so policy sees the backend pod, never the ClusterIP (the conformance README: "A ClusterIP
 * stands for the Service's backend pods"). Its own table, apart from the agent's `inet podwall`:
 *
 *   table ip podwall_svc {
 *     chain prerouting { type nat hook prerouting priority dstnat (-100); jump services }   # pods' traffic
 *     chain output     { type nat hook output priority -100; jump services }                # the node's own
 *     chain services   { ip daddr 10.96.0.10 udp dport 53 dnat to 10.244.0.53:53 ... }
 *   }
 *
 * The DNS proxy's redirect (issue 5) hooks in before it, at priority -110, in a table of its own.
 */

export const SVC_TABLE = { family: 'ip', name: 'podwall_svc' } as const;
export const SVC_PRIORITY = -100;

export interface ServicePortRule {
  service: string;
  clusterIP: string;
  protocol: 'tcp' | 'udp';
  port: number;
  targetPort: number;
  backends: string[];
}

type Labels = Record<string, string>;
interface ServicePort { port?: number; targetPort?: number | string; protocol?: string }
interface ContainerPort { name?: string; containerPort?: number; protocol?: string }

const isV4 = (ip: string) => /^\d+\.\d+\.\d+\.\d+$/.test(ip);

/** The number a targetPort names on one pod (a named port through its containers' ports), or undefined. */
function targetOn(pod: ApiObject, target: number | string, protocol: string): number | undefined {
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const containers = (pod.kind === 'Pod' ? pod.spec?.containers ?? [] : []) as { ports?: ContainerPort[] }[];
  const p = containers.flatMap((c) => c.ports ?? []).find((x) => x.name === target && (x.protocol ?? 'TCP').toLowerCase() === protocol);
  return p?.containerPort;
}

/** Every (ClusterIP, protocol, port) with backends, sorted; Services without a selector or a ClusterIP are skipped. */
export function serviceRules(objects: readonly ApiObject[]): ServicePortRule[] {
  const pods = objects.filter((o) => o.kind === 'Pod' && o.status?.podIP && isV4(o.status.podIP) && !o.spec?.hostNetwork);
  const out: ServicePortRule[] = [];
  for (const svc of objects) {
    if (svc.kind !== 'Service') continue;
    const ns = svc.metadata.namespace ?? 'default';
    const spec = (svc as { spec?: { clusterIP?: string; selector?: Labels; ports?: ServicePort[] } }).spec ?? {};
    if (!spec.clusterIP || !isV4(spec.clusterIP) || !spec.selector || Object.keys(spec.selector).length === 0) continue;
    const members = pods.filter((p) => (p.metadata.namespace ?? 'default') === ns
      && Object.entries(spec.selector!).every(([k, v]) => p.metadata.labels?.[k] === v));
    for (const sp of spec.ports ?? []) {
      const protocol = (sp.protocol ?? 'TCP').toLowerCase();
      if ((protocol !== 'tcp' && protocol !== 'udp') || typeof sp.port !== 'number') continue;
      const target = sp.targetPort ?? sp.port;
      // Backends must agree on the number (a named port may differ per pod): the first backend's number wins.
      const resolved = members.map((p) => ({ ip: (p as { status: { podIP: string } }).status.podIP, port: targetOn(p, target, protocol) }))
        .filter((b): b is { ip: string; port: number } => b.port !== undefined);
      if (resolved.length === 0) continue;
      const targetPort = resolved[0]!.port;
      const backends = [...new Set(resolved.filter((b) => b.port === targetPort).map((b) => b.ip))].sort();
      out.push({ service: `${ns}/${svc.metadata.name}`, clusterIP: spec.clusterIP, protocol, port: sp.port, targetPort, backends });
    }
  }
  return out.sort((a, b) => (a.clusterIP + a.protocol + a.port < b.clusterIP + b.protocol + b.port ? -1 : 1));
}

const T = { family: SVC_TABLE.family, table: SVC_TABLE.name };

function dnatExpr(r: ServicePortRule): unknown {
  const addr = r.backends.length === 1
    ? r.backends[0]
    : { map: { key: { numgen: { mode: 'random', mod: r.backends.length } }, data: { set: r.backends.map((ip, i) => [i, ip]) } } };
  return { dnat: { addr, port: r.targetPort } };
}

/** The whole table, replaced in one atomic transaction (add-then-delete makes the delete safe when it is absent). */
export function renderServices(rules: readonly ServicePortRule[]): NftJson {
  const table = { family: SVC_TABLE.family, name: SVC_TABLE.name };
  const hook = (name: string, hookName: string) => ({ add: { chain: { ...T, name, type: 'nat', hook: hookName, prio: SVC_PRIORITY, policy: 'accept' } } });
  return {
    nftables: [
      { add: { table } },
      { delete: { table } },
      { add: { table } },
      { add: { chain: { ...T, name: 'services' } } },
      hook('prerouting', 'prerouting'),
      hook('output', 'output'),
      { add: { rule: { ...T, chain: 'prerouting', expr: [{ jump: { target: 'services' } }] } } },
      { add: { rule: { ...T, chain: 'output', expr: [{ jump: { target: 'services' } }] } } },
      ...rules.map((r) => ({
        add: {
          rule: {
            ...T, chain: 'services', comment: r.service,
            expr: [
              { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: r.clusterIP } },
              { match: { op: '==', left: { payload: { protocol: r.protocol, field: 'dport' } }, right: r.port } },
              dnatExpr(r),
            ],
          },
        },
      })),
    ],
  } as NftJson;
}
