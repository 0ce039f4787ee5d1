/**
 * Wire types: the Kubernetes and Cilium schemas, field for field, as far as podwall reads them.
 * Omitted and empty mean what the upstream API says; see the comments on each field.
 */

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name: string;
  /** Namespaced kinds without a namespace land in `default` (kubectl's default). */
  namespace?: string;
  labels?: Labels;
  annotations?: Record<string, string>;
}

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

export interface LabelSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values?: string[];
}

/** An empty selector (`{}`) selects everything in its scope. */
export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

// ---- core/v1 -------------------------------------------------------------

export interface ContainerPort {
  name?: string;
  containerPort: number;
  /** Omitted ⇒ TCP. */
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface Pod {
  apiVersion: string;
  kind: 'Pod';
  metadata: ObjectMeta;
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    serviceAccountName?: string;
    containers?: { name?: string; ports?: ContainerPort[] }[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    hostIP?: string;
  };
}

export interface Namespace {
  apiVersion: string;
  kind: 'Namespace';
  metadata: ObjectMeta;
}

export interface Node {
  apiVersion: string;
  kind: 'Node';
  metadata: ObjectMeta;
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: { addresses?: { type: string; address: string }[] };
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface Service {
  apiVersion: string;
  kind: 'Service';
  metadata: ObjectMeta;
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    selector?: Labels;
    ports?: ServicePort[];
  };
}

// ---- networking.k8s.io/v1 -------------------------------------------------

export const K8S_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export type K8sProtocol = (typeof K8S_PROTOCOLS)[number];

export interface NetworkPolicyPort {
  /** Omitted ⇒ TCP. */
  protocol?: K8sProtocol;
  /** Number or IANA name of a container port; omitted ⇒ every port of the protocol. */
  port?: number | string;
  /** Inclusive upper bound; only with a numeric `port`. */
  endPort?: number;
}

export interface IPBlock {
  cidr: string;
  except?: string[];
}

/** Exactly one of ipBlock, or podSelector and/or namespaceSelector (both ⇒ AND). */
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyIngressRule {
  /** Omitted or empty ⇒ every source. */
  from?: NetworkPolicyPeer[];
  /** Omitted or empty ⇒ every port. */
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicyEgressRule {
  to?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export const POLICY_TYPES = ['Ingress', 'Egress'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: ObjectMeta;
  spec: {
    /** Empty ⇒ every pod of the namespace. */
    podSelector?: LabelSelector;
    /** Omitted ⇒ Ingress, plus Egress when egress rules exist. */
    policyTypes?: PolicyType[];
    ingress?: NetworkPolicyIngressRule[];
    egress?: NetworkPolicyEgressRule[];
  };
}

// ---- cilium.io/v2 ------------------------------------------------------------

export const CILIUM_PROTOCOLS = ['TCP', 'UDP', 'SCTP', 'ANY', 'ICMP', 'ICMPV6'] as const;
export type CiliumProtocol = (typeof CILIUM_PROTOCOLS)[number];

export const ENTITIES = [
  'world', 'world-ipv4', 'world-ipv6', 'cluster', 'host', 'remote-node', 'kube-apiserver',
  'ingress', 'health', 'init', 'unmanaged', 'all',
] as const;
export type Entity = (typeof ENTITIES)[number];

export interface CiliumPortProtocol {
  /** Number (as a string) or a named port; omitted or "0" ⇒ every port. */
  port?: string;
  endPort?: number;
  /** Omitted ⇒ ANY (TCP, UDP and SCTP). */
  protocol?: CiliumProtocol;
}

export interface FQDNSelector {
  matchName?: string;
  matchPattern?: string;
}

export interface CiliumPortRule {
  ports?: CiliumPortProtocol[];
  rules?: { dns?: FQDNSelector[]; http?: unknown[]; kafka?: unknown[]; l7proto?: string; l7?: unknown[] };
  serverNames?: string[];
  [extra: string]: unknown;
}

export interface CIDRRule {
  cidr?: string;
  cidrGroupRef?: string;
  cidrGroupSelector?: LabelSelector;
  except?: string[];
}

interface CiliumRuleBase {
  toPorts?: CiliumPortRule[];
  icmps?: unknown[];
  authentication?: unknown;
}

export interface CiliumIngressRule extends CiliumRuleBase {
  fromEndpoints?: LabelSelector[];
  fromRequires?: LabelSelector[];
  fromCIDR?: string[];
  fromCIDRSet?: CIDRRule[];
  fromEntities?: Entity[];
  fromGroups?: unknown[];
  fromNodes?: LabelSelector[];
}

export interface CiliumEgressRule extends CiliumRuleBase {
  toEndpoints?: LabelSelector[];
  toRequires?: LabelSelector[];
  toCIDR?: string[];
  toCIDRSet?: CIDRRule[];
  toEntities?: Entity[];
  toServices?: unknown[];
  toFQDNs?: FQDNSelector[];
  toGroups?: unknown[];
  toNodes?: LabelSelector[];
}

export interface CiliumRule {
  /** Exactly one of endpointSelector and nodeSelector. An empty endpointSelector selects every pod in scope. */
  endpointSelector?: LabelSelector;
  /** Host policy: applies to nodes, never to pods. */
  nodeSelector?: LabelSelector;
  ingress?: CiliumIngressRule[];
  ingressDeny?: CiliumIngressRule[];
  egress?: CiliumEgressRule[];
  egressDeny?: CiliumEgressRule[];
  /** Omitted ⇒ default deny for each direction that has rules (allow or deny). */
  enableDefaultDeny?: { ingress?: boolean; egress?: boolean };
  labels?: unknown[];
  description?: string;
}

export interface CiliumNetworkPolicy {
  apiVersion: 'cilium.io/v2';
  kind: 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy';
  metadata: ObjectMeta;
  spec?: CiliumRule;
  specs?: CiliumRule[];
}

export interface CiliumCIDRGroup {
  apiVersion: string;
  kind: 'CiliumCIDRGroup';
  metadata: ObjectMeta;
  spec: { externalCIDRs: string[] };
}

// ---- loaded objects ---------------------------------------------------------------

export type ApiObject = Pod | Namespace | Node | Service | NetworkPolicy | CiliumNetworkPolicy | CiliumCIDRGroup;
export type ApiKind = ApiObject['kind'];

export const NAMESPACED_KINDS: ReadonlySet<string> = new Set([
  'Pod', 'Service', 'NetworkPolicy', 'CiliumNetworkPolicy',
]);
