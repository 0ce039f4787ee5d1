import type {
  ApiObject, CiliumNetworkPolicy, CiliumRule, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort,
} from '../../api/types.js';
import type { Engine } from '../../engine/engine.js';
import { selectsPod } from '../../engine/match.js';
import { effectivePolicyTypes } from '../../engine/normalize-k8s.js';
import type { Direction, Policy } from '../../engine/policy.js';
import { formatLabelSelector } from '../label-selector.js';
import { creationTime, goTime, listLines, multiline, rulesLines, tabwrite } from './describe-text.js';

/** The engine's policies that came from `o` (one per `spec`/`specs[i]` of a Cilium policy). */
export function policiesOf(engine: Engine, o: ApiObject): Policy[] {
  const ns = o.kind === 'NetworkPolicy' || o.kind === 'CiliumNetworkPolicy' ? o.metadata.namespace ?? 'default' : undefined;
  return engine.policies.filter((p) => p.origin.kind === o.kind && p.origin.name === o.metadata.name && p.origin.namespace === ns);
}

function selectedPods(engine: Engine, policies: readonly Policy[]): string[] {
  return engine.cluster.pods.filter((pod) => policies.some((p) => selectsPod(p, pod, engine.cluster))).map((p) => p.id);
}

function header(o: ApiObject): string[] {
  return [
    `Name:\t${o.metadata.name}`,
    ...(o.metadata.namespace !== undefined ? [`Namespace:\t${o.metadata.namespace}`] : []),
    `Created on:\t${goTime(creationTime(o))}`,
    ...multiline('Labels', o.metadata.labels),
    ...multiline('Annotations', o.metadata.annotations),
  ];
}

function portLine(p: NetworkPolicyPort, indent: string): string {
  const port = p.port === undefined || p.port === null ? '<any>' : `${p.port}${p.endPort ? `-${p.endPort}` : ''}`;
  return `${indent}To Port: ${port}/${p.protocol ?? 'TCP'}`;
}

function peerLines(peer: NetworkPolicyPeer, indent: string): string[] {
  const i2 = `${indent}  `;
  if (peer.podSelector && peer.namespaceSelector) {
    return [`${i2}NamespaceSelector: ${formatLabelSelector(peer.namespaceSelector)}`, `${i2}PodSelector: ${formatLabelSelector(peer.podSelector)}`];
  }
  if (peer.podSelector) return [`${i2}PodSelector: ${formatLabelSelector(peer.podSelector)}`];
  if (peer.namespaceSelector) return [`${i2}NamespaceSelector: ${formatLabelSelector(peer.namespaceSelector)}`];
  if (peer.ipBlock) return [`${i2}IPBlock:`, `${i2}  CIDR: ${peer.ipBlock.cidr}`, `${i2}  Except: ${(peer.ipBlock.except ?? []).join(', ')}`];
  return [];
}

/** kubectl's printNetworkPolicySpecIngressFrom / EgressTo. */
function k8sRules(np: NetworkPolicy, dir: Direction, indent: string): string[] {
  const rules = (dir === 'ingress' ? np.spec.ingress : np.spec.egress) ?? [];
  if (rules.length === 0) return [`${indent}<none> (Selected pods are isolated for ${dir} connectivity)`];
  return rules.flatMap((r, i) => {
    const peers = (dir === 'ingress' ? (r as { from?: NetworkPolicyPeer[] }).from : (r as { to?: NetworkPolicyPeer[] }).to) ?? [];
    const side = dir === 'ingress' ? 'From' : 'To';
    return [
      ...((r.ports ?? []).length === 0 ? [`${indent}To Port: <any> (traffic allowed to all ports)`] : (r.ports ?? []).map((p) => portLine(p, indent))),
      ...(peers.length === 0
        ? [`${indent}${side}: <any> (traffic not restricted by ${dir === 'ingress' ? 'source' : 'destination'})`]
        : peers.flatMap((p) => [`${indent}${side}:`, ...peerLines(p, indent)])),
      ...(i < rules.length - 1 ? [`${indent}----------`] : []),
    ];
  });
}

/** `kubectl describe networkpolicy`, plus the pods the policy selects (from the engine). */
export function describeNetworkPolicy(np: NetworkPolicy, engine: Engine): string {
  const types = effectivePolicyTypes(np);
  const sel = np.spec.podSelector;
  const empty = Object.keys(sel?.matchLabels ?? {}).length === 0 && (sel?.matchExpressions ?? []).length === 0;
  const policyTypes = [...(types.ingress ? ['Ingress'] : []), ...(types.egress ? ['Egress'] : [])].join(', ');
  const lines = [
    ...header(np),
    'Spec:',
    `  PodSelector:     ${empty ? '<none> (Allowing the specific traffic to all pods in this namespace)' : formatLabelSelector(sel)}`,
    ...(types.ingress ? ['  Allowing ingress traffic:', ...k8sRules(np, 'ingress', '    ')] : ['  Not affecting ingress traffic']),
    ...(types.egress ? ['  Allowing egress traffic:', ...k8sRules(np, 'egress', '    ')] : ['  Not affecting egress traffic']),
    `  Policy Types: ${policyTypes}`,
    ...listLines('Selected pods', selectedPods(engine, policiesOf(engine, np))),
  ];
  return tabwrite(lines);
}

function ciliumSpecLines(spec: CiliumRule | undefined, policy: Policy | undefined, indent: string): string[] {
  const subject = spec?.nodeSelector
    ? `${indent}NodeSelector:     ${formatLabelSelector(spec.nodeSelector)} (a host policy: it never selects pods)`
    : `${indent}EndpointSelector: ${formatLabelSelector(spec?.endpointSelector)}`;
  const out = [subject];
  for (const dir of ['ingress', 'egress'] as const) {
    const rules = policy?.rules.filter((r) => r.direction === dir) ?? [];
    const allows = rules.filter((r) => r.action === 'allow');
    const denies = rules.filter((r) => r.action === 'deny');
    if (allows.length > 0) out.push(`${indent}Allowing ${dir} traffic:`, ...rulesLines(allows, `${indent}  `));
    if (denies.length > 0) out.push(`${indent}Denying ${dir} traffic:`, ...rulesLines(denies, `${indent}  `));
    if (rules.length === 0) out.push(`${indent}Not affecting ${dir} traffic${policy?.isolates[dir] ? ' (default deny: selected pods are isolated)' : ''}`);
  }
  const deny = (['ingress', 'egress'] as const).filter((d) => policy?.isolates[d]).map((d) => (d === 'ingress' ? 'Ingress' : 'Egress'));
  out.push(`${indent}Default Deny: ${deny.length > 0 ? deny.join(', ') : '<none>'}`);
  return out;
}

/**
 * A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy in the shape of `kubectl describe networkpolicy`:
 * the selector, the engine's normalised rules per direction (allow and deny), where default deny applies,
 * and the pods selected.
 */
export function describeCiliumPolicy(cnp: CiliumNetworkPolicy, engine: Engine): string {
  const policies = policiesOf(engine, cnp);
  const lines = [...header(cnp)];
  if (cnp.spec) lines.push('Spec:', ...ciliumSpecLines(cnp.spec, policies.find((p) => p.origin.spec === undefined), '  '));
  (cnp.specs ?? []).forEach((s, i) => lines.push(`Specs[${i}]:`, ...ciliumSpecLines(s, policies.find((p) => p.origin.spec === i), '  ')));
  lines.push(...listLines('Selected pods', selectedPods(engine, policies)));
  return tabwrite(lines);
}

/** Name, namespace, labels and annotations: `describe` for the kinds without a describer of their own. */
export function describeGeneric(o: ApiObject): string {
  const status = o.kind === 'Namespace' ? ['Status:\tActive'] : [];
  return tabwrite([...header(o), ...status]);
}
