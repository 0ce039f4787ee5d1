/**
 * A flow event: one new connection or UDP flow the policy rules decided, or one DNS lookup the DNS
 * proxy answered. The contract between the flow reader (per node), the agent's HTTP API, `podwall
 * observe` and the web UI. Field names follow Hubble's flow.proto where it has them (verdict,
 * traffic_direction, drop_reason_desc, l4, l7.dns) so hubble users read them without a manual.
 */

export const VERDICTS = ['FORWARDED', 'DROPPED'] as const;
export type FlowVerdict = (typeof VERDICTS)[number];

export const DIRECTIONS = ['INGRESS', 'EGRESS'] as const;
export type TrafficDirection = (typeof DIRECTIONS)[number];

/** Why a flow was dropped: no rule allowed it (default deny of an isolated pod) or a deny rule matched. */
export const DROP_REASONS = ['POLICY_DENIED', 'POLICY_DENY', 'UNKNOWN_ENDPOINT'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type EndpointKind = 'pod' | 'host' | 'world' | 'unknown';

export interface FlowEndpoint {
  ip: string;
  port?: number;
  kind: EndpointKind;
  /** Pods only. */
  namespace?: string;
  pod?: string;
  /** `key=value`, sorted. Pods only. */
  labels?: string[];
  /** The node the endpoint lives on (pods, host). */
  node?: string;
  /** Names the DNS proxy answered with this address (world endpoints), e.g. ["example.com"]. */
  names?: string[];
}

export interface FlowPolicyRef {
  kind: 'NetworkPolicy' | 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy';
  namespace?: string;
  name: string;
  direction: 'ingress' | 'egress';
  /** Index of the rule in the policy's ingress/egress(Deny) list; absent for default deny. */
  rule?: number;
  action: 'allow' | 'deny';
}

export interface DnsInfo {
  query: string;
  qtype: string;
  rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED' | 'SERVFAIL' | string;
  ips: string[];
  ttl?: number;
}

/** Hubble's policy_match_type: how the deciding side matched (none for drops, all when no policy isolates). */
export const POLICY_MATCH_TYPES = ['none', 'L3-Only', 'L3-L4', 'L4-Only', 'all'] as const;
export type PolicyMatchType = (typeof POLICY_MATCH_TYPES)[number];

export interface Flow {
  /** Monotonic per node; with `node` unique. */
  seq: number;
  /** ISO 8601 with milliseconds. */
  time: string;
  node: string;
  type: 'L3_L4' | 'L7';
  source: FlowEndpoint;
  destination: FlowEndpoint;
  l4: { protocol: 'TCP' | 'UDP' | 'SCTP' | 'ICMP'; tcpFlags?: string[] };
  trafficDirection: TrafficDirection;
  verdict: FlowVerdict;
  dropReason?: DropReason;
  /** The policies and rules that decided (allowing rules for FORWARDED, deny rule or isolating policies for DROPPED). */
  policies: FlowPolicyRef[];
  /** One line: why (the engine's explanation). */
  reason: string;
  /** For drops: the smallest change that would allow it, e.g. "label pod demo/client app=client". */
  suggestion?: string;
  /** How the deciding side matched, for compact output's `policy-verdict:<type>`. */
  policyMatchType?: PolicyMatchType;
  /** Set when the kernel's verdict and the engine's differ (a bug): what each said. Counted in /metrics. */
  disagreement?: string;
  /** L7 DNS events from the DNS proxy. */
  l7?: { dns: DnsInfo };
}

/** Flow API served by each agent on 127.0.0.1 (port in agent-<node>.json as `api`), and by the relay:
 *  GET /v1/flows?last=N&since=ISO&until=ISO          -> application/x-ndjson, one Flow per line, oldest first
 *  GET /v1/flows?follow=1[&last=N]                   -> same, then streams new flows as they arrive
 *  GET /v1/status                                    -> JSON: node, ring size, flows seen, lost
 *  GET /metrics                                      -> Prometheus text format
 *  Filters (observe's flags) are applied by the client with `matchFlow` (src/flows/filter.ts), so
 *  every consumer filters the same way. */
export const FLOW_API_PREFIX = '/v1';
