import type { Direction } from '../policy.js';
import type { LintCode } from './codes.js';

/** Some pods, named: ids of the first few and how many there are in all. */
export interface PodList {
  ids: readonly string[];
  total: number;
}

/** Parameters of each code's message; the rules fill them, this file alone words them. */
export interface LintParams {
  PW2000: { skipped: readonly LintCode[] };
  PW2001: { field: string; selector: string; namespace?: string; hostNetworkOnly: boolean };
  PW2002: Record<string, never>;
  PW2011: { peer: string };
  PW2012: { selector: string; known: readonly string[] };
  PW2013: { peer: string };
  PW2014: { name: string; known: readonly string[] };
  PW2015: { selector: string };
  PW2021: { who: string; server: string; why: string };
  PW2022: { who: string; server: string };
  PW2023: { who: string; name: string };
  PW2031: { by: readonly string[] };
  PW2041: { block: string; pods: PodList };
  PW2051: { name: string; protocols: string; scope: 'selected' | 'all'; elsewhere?: string };
  PW2061: { direction: Direction };
}

const q = (s: string) => JSON.stringify(s);

/** `a`, `a and b`, `a, b and c`. */
export function listText(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** `x/a, x/b and 3 more` for a pod list. */
export function podsText(p: PodList): string {
  const more = p.total - p.ids.length;
  return more > 0 ? `${p.ids.join(', ')} and ${more} more` : listText(p.ids);
}

function known(kind: string, names: readonly string[]): string {
  return names.length === 0 ? `no ${kind} in the input` : `${kind}: ${names.join(', ')}`;
}

/** One message function per code (like src/api/validate/messages.ts). */
export const LINT_MESSAGES: { [C in LintCode]: (p: LintParams[C]) => string } = {
  PW2000: (p) => `no Pod in the input: skipped the checks that need pods (${p.skipped.join(', ')})`,
  PW2001: (p) => `policy selects no pod: ${p.field} {${p.selector}} matches no pod ${p.namespace ? `in namespace ${p.namespace}` : 'in any namespace'}`
    + `${p.hostNetworkOnly ? ' (only host-network pods, which policies never select)' : ''}`,
  PW2002: () => 'host policy (nodeSelector): it applies to nodes and never to pods, so pod-to-pod verdicts ignore it',
  PW2011: (p) => `peer matches no pod: ${p.peer}`,
  PW2012: (p) => `namespaceSelector {${p.selector}} matches no namespace (${known('namespaces', p.known)})`,
  PW2013: (p) => `endpoint selector matches no pod: ${p.peer}`,
  PW2014: (p) => `cidrGroupRef ${q(p.name)} names no CiliumCIDRGroup (${known('groups', p.known)}): the entry matches nothing`,
  PW2015: (p) => `cidrGroupSelector {${p.selector}} matches no CiliumCIDRGroup: the entry matches nothing`,
  PW2021: (p) => `lookups will be dropped: ${p.who} cannot reach the cluster DNS ${p.server} (${p.why}), so these names never `
    + 'resolve and no address is learned; allow UDP/TCP 53 to kube-dns with toPorts.rules.dns',
  PW2022: (p) => `lookups by ${p.who} to the cluster DNS ${p.server} are allowed without any L7 DNS rule, so the DNS proxy never sees `
    + 'them and no address is learned for these names; add toPorts.rules.dns (e.g. matchPattern: "*") to the rule that allows port 53',
  PW2023: (p) => `the DNS rules that apply to ${p.who} do not allow ${q(p.name)}: the DNS proxy refuses the lookup, so this selector matches nothing`,
  PW2031: (p) => `rule is shadowed: every peer and port it allows is already allowed by ${listText(p.by)}`,
  PW2041: (p) => `${p.block} covers the IP of ${p.pods.total} pod${p.pods.total === 1 ? '' : 's'} (${podsText(p.pods)}): ipBlock is meant for `
    + 'cluster-external addresses and pod IPs are ephemeral; select pods with podSelector/namespaceSelector, or exclude the pod network with except',
  PW2051: (p) => `no ${p.scope === 'selected' ? 'pod this policy selects' : 'pod'} declares a ${p.protocols} port named ${q(p.name)}`
    + `${p.elsewhere ? ` (${p.elsewhere})` : ''}: the condition matches no port`,
  PW2061: (p) => `only ${p.direction}Deny rules: the selected pods still fall into default deny for ${p.direction}, so everything the deny rules `
    + `do not name is dropped too; add an allow rule (e.g. ${p.direction === 'egress' ? 'toEntities' : 'fromEntities'}: [all]) or set `
    + `enableDefaultDeny.${p.direction}: false`,
};
