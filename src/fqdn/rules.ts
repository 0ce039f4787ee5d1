/**
 * What one node's DNS proxy enforces (the types; src/dataplane/dns-rules.ts compiles them from the
 * engine): which pods' DNS flows are redirected to which proxy port, the names each may look up there
 * (`toPorts.rules.dns`), and the toFQDNs selectors whose sets an answer feeds. The agent writes them as
 * `<stateDir>/dns-rules-<node>.json`; the proxy reloads the file when it changes.
 */
import type { FQDNSelector } from '../api/types.js';

/** Proxy ports: one per upstream destination, `PROXY_PORT_BASE` + n (the node's input chain accepts DNATed traffic to them). */
export const PROXY_PORT_BASE = 15300;
export const PROXY_PORT_COUNT = 256;
/** A port range of a toFQDNs rule is expanded element by element up to this many ports (the `fqdn` set has exact ports). */
export const MAX_PORTS_PER_GRANT = 1024;

export type L4 = 'UDP' | 'TCP';

/** One proxy port: DNS to `destination:destinationPort` is redirected here and forwarded to `upstream`. */
export interface DnsListener {
  port: number;
  destination: string;
  destinationPort: number;
  /** The destination itself, or a Service address's backend pod (a node-local socket does not pass the Service DNAT of prerouting). */
  upstream: string;
  upstreamPort: number;
}

/** A policy rule behind a DNS allowance (for the proxy's L7 events: "allowed by which rule"). */
export interface DnsRuleRef {
  kind: 'NetworkPolicy' | 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy';
  namespace?: string;
  name: string;
  /** Index in the policy's egress list. */
  rule: number;
}

/** A redirected DNS flow of one pod: names it may look up there (an empty list: none). */
export interface DnsAllow {
  destination: string;
  destinationPort: number;
  protocols: L4[];
  patterns: FQDNSelector[];
  /** The egress rules that allow this DNS flow (older rules files lack it). */
  by?: DnsRuleRef[];
}

/** A toFQDNs selector of one pod with the ports it grants (`protocol/port`). */
export interface FqdnGrant {
  selector: FQDNSelector;
  ports: { protocol: L4; port: number }[];
  /** Where it comes from, e.g. `CiliumNetworkPolicy default/x egress[1]`. */
  origin: string;
}

export interface PodRules {
  /** `namespace/name` */
  pod: string;
  dns: DnsAllow[];
  fqdns: FqdnGrant[];
}

export interface ProxyRules {
  version: 1;
  node: string;
  revision: number;
  listeners: DnsListener[];
  /** By pod IP: only these sources are answered. */
  pods: Record<string, PodRules>;
  /** toFQDNs rules that the `fqdn` set cannot express (no toPorts: every port), for the proxy's log. */
  notes: string[];
}

/** Structural check of a rules file read from disk (it is ours, but a torn or hand-edited file must not crash the proxy). */
export function isProxyRules(x: unknown): x is ProxyRules {
  const r = x as ProxyRules | null;
  return !!r && r.version === 1 && typeof r.node === 'string' && Array.isArray(r.listeners) && typeof r.pods === 'object' && r.pods !== null;
}
