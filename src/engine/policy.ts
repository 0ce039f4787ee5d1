import type { Entity } from '../api/types.js';
import type { Path } from '../api/source.js';
import type { FqdnMatcher } from '../fqdn/pattern.js';
import type { Cidr } from '../shared/ip.js';
import type { Protocol } from './cluster.js';
import type { Selector } from './selector.js';

export const POLICY_KINDS = ['NetworkPolicy', 'CiliumNetworkPolicy', 'CiliumClusterwideNetworkPolicy'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];
export type Direction = 'ingress' | 'egress';
export const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];

/** Which object a policy came from. `spec` is set for the entries of a Cilium `specs` list. */
export interface Origin {
  kind: PolicyKind;
  namespace?: string;
  name: string;
  spec?: number;
}

/** Whom a policy applies to. Host policies (nodeSelector) never select pods. */
export type Subject =
  | { type: 'pods'; namespace?: string; selector: Selector }
  | { type: 'nodes'; selector: Selector };

/** A peer of a rule, normalised from either API. `path` points back into the manifest. */
export type Peer = { path: Path; text: string } & (
  | { type: 'any' }
  | { type: 'k8s-pods'; pods?: Selector; namespaces?: Selector; namespace: string }
  | { type: 'cilium-endpoints'; selector: Selector; namespace?: string }
  | { type: 'cidr'; cidr: Cidr; except: Cidr[]; selectsCluster: boolean }
  | { type: 'entity'; entity: Entity }
  | { type: 'fqdn'; matcher: FqdnMatcher }
  | { type: 'nodes'; selector: Selector }
);

/**
 * A port condition. No `ports` on a rule means every port and protocol. A condition with neither
 * range nor name means every port of its protocols. `icmp` conditions never match TCP/UDP/SCTP flows.
 */
export interface PortMatch {
  protocols: readonly (Protocol | 'ICMP')[];
  range?: { from: number; to: number };
  name?: string;
  path: Path;
}

export interface Rule {
  direction: Direction;
  action: 'allow' | 'deny';
  /** Index of the rule in its list (spec.ingress[index]). */
  index: number;
  /** For Cilium rules split per toPorts entry: which entry. */
  portRule?: number;
  path: Path;
  /** Empty: the rule selects no peer (Cilium's empty rule `{}`). */
  peers: Peer[];
  /** null: every port and protocol. */
  ports: PortMatch[] | null;
  /** L7 DNS rules on these ports (Cilium `toPorts.rules.dns`): the DNS proxy sees these lookups. */
  dns?: FqdnMatcher[];
}

export interface Policy {
  origin: Origin;
  subject: Subject;
  /** Whether a selected pod falls into default deny for each direction. */
  isolates: Record<Direction, boolean>;
  rules: Rule[];
  /** Position lookup into the manifest the policy came from. */
  pos?: (path: Path) => { file: string; line: number; col: number };
}

export function originText(o: Origin): string {
  const name = o.namespace ? `${o.namespace}/${o.name}` : o.name;
  const spec = o.spec !== undefined ? ` specs[${o.spec}]` : '';
  return `${o.kind} ${name}${spec}`;
}

export function shortOrigin(o: Origin): string {
  return o.namespace ? `${o.namespace}/${o.name}` : o.name;
}
