import type { Pod } from '../../api/types.js';
import type { Engine } from '../../engine/engine.js';
import { DIRECTIONS, type Direction, type Origin, type Policy } from '../../engine/policy.js';
import { objectRef } from '../resources.js';
import { podState } from './get-columns.js';
import { creationTime, multiline, rfc1123z, rulesLines, tabwrite } from './describe-text.js';

/** `networkpolicy.networking.k8s.io/demo-policy`, with `specs[i]` for one entry of a Cilium `specs` list. */
export function originRef(o: Origin): string {
  return `${objectRef(o.kind, o.name)}${o.spec !== undefined ? ` specs[${o.spec}]` : ''}`;
}

/** Whether a direction is isolated, by which policies, and what each selecting policy allows or denies. */
function directionLines(dir: Direction, selecting: readonly Policy[]): string[] {
  const title = dir === 'ingress' ? 'Ingress' : 'Egress';
  const isolating = selecting.filter((p) => p.isolates[dir]);
  const withRules = selecting.filter((p) => p.isolates[dir] || p.rules.some((r) => r.direction === dir));
  const state = isolating.length > 0
    ? `isolated by ${isolating.map((p) => originRef(p.origin)).join(', ')} (default deny)`
    : withRules.length > 0
      ? `not isolated (the rules below apply without default deny)`
      : `not isolated: no policy selects the pod for ${dir}, all ${dir} traffic allowed`;
  const out = [`  ${`${title}:`.padEnd(10)}${state}`];
  for (const p of withRules) {
    const rules = p.rules.filter((r) => r.direction === dir);
    out.push(`    ${originRef(p.origin)}:`);
    const allows = rules.filter((r) => r.action === 'allow');
    const denies = rules.filter((r) => r.action === 'deny');
    if (allows.length === 0 && denies.length === 0) out.push(`      <none> (selected pods are isolated for ${dir} connectivity)`);
    if (allows.length > 0) out.push(`      Allowing ${dir} traffic:`, ...rulesLines(allows, '        '));
    if (denies.length > 0) out.push(`      Denying ${dir} traffic:`, ...rulesLines(denies, '        '));
  }
  return out;
}

/**
 * `kubectl describe pod`, the fields podwall knows, plus a Network Policy section from the engine: per
 * direction whether the pod is isolated and by which policies, and each selecting policy's rules.
 */
export function describePod(pod: Pod, engine: Engine): string {
  const namespace = pod.metadata.namespace ?? 'default';
  const info = engine.cluster.podById.get(`${namespace}/${pod.metadata.name}`);
  const node = pod.spec?.nodeName;
  const ips = [...new Set([pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((x) => x.ip)].filter((x): x is string => !!x))];
  const lines = [
    `Name:\t${pod.metadata.name}`,
    `Namespace:\t${namespace}`,
    `Service Account:\t${pod.spec?.serviceAccountName ?? 'default'}`,
    `Node:\t${node ? `${node}${pod.status?.hostIP ? `/${pod.status.hostIP}` : ''}` : '<none>'}`,
    `Start Time:\t${rfc1123z(creationTime(pod))}`,
    ...multiline('Labels', pod.metadata.labels),
    ...multiline('Annotations', pod.metadata.annotations),
    `Status:\t${podState(pod).status}`,
    `IP:\t${ips[0] ?? ''}`,
    ...(ips.length > 0 ? ['IPs:', ...ips.map((ip) => `  IP:\t${ip}`)] : ['IPs:\t<none>']),
    'Containers:',
    ...(pod.spec?.containers ?? []).flatMap((c, i) => {
      const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}${p.name ? ` (${p.name})` : ''}`);
      return [`  ${c.name ?? `container-${i}`}:`, `    Port${ports.length > 1 ? 's' : ''}:\t${ports.length > 0 ? ports.join(', ') : '<none>'}`];
    }),
    'Network Policy:',
  ];
  if (!info || info.hostNetwork) {
    lines.push(`  <none>\t(${info ? 'a host-network pod is its node for policy' : 'not in the engine'})`);
  } else {
    const selecting = engine.set.selecting(info);
    for (const dir of DIRECTIONS) lines.push(...directionLines(dir, selecting));
  }
  return tabwrite(lines);
}
