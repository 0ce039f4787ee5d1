import type { Flow, FlowEndpoint, FlowPolicyRef } from '../../src/flows/flow.js';

/** `Nov 25 13:02:33.123`, as `podwall observe` and Hubble print times (local time). */
export function flowTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const month = d.toLocaleString('en-US', { month: 'short' });
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${month} ${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** `demo/client`, `example.com`, `node1 (host)`, or the IP. */
export function endpointName(e: FlowEndpoint): string {
  if (e.pod !== undefined) return `${e.namespace ?? 'default'}/${e.pod}`;
  if (e.kind === 'world') return e.names?.[0] ?? e.ip;
  if (e.kind === 'host') return `${e.node ?? e.ip} (host)`;
  return e.ip;
}

export function endpointWithPort(e: FlowEndpoint): string {
  return e.port !== undefined ? `${endpointName(e)}:${e.port}` : endpointName(e);
}

export function policyName(p: { kind: string; namespace?: string; name: string }): string {
  return p.namespace ? `${p.namespace}/${p.name}` : p.name;
}

const KIND_SHORT: Record<FlowPolicyRef['kind'], string> = {
  NetworkPolicy: 'NetworkPolicy',
  CiliumNetworkPolicy: 'CiliumNetworkPolicy',
  CiliumClusterwideNetworkPolicy: 'CiliumClusterwideNetworkPolicy',
};

/** What a policy reference did to the flow, in words. */
export function policyRole(p: FlowPolicyRef): string {
  const dir = p.direction;
  // No rule index: the policy decided by isolating the pod (default deny), not by one of its rules.
  if (p.rule === undefined) return p.action === 'deny' ? `isolates the pod for ${dir}, and none of its rules allows this (default deny)` : `${dir}: allows`;
  return p.action === 'allow' ? `${dir} rule ${p.rule} allows` : `${dir} deny rule ${p.rule} matches`;
}

export function kindName(p: FlowPolicyRef): string {
  return KIND_SHORT[p.kind];
}

export function ports(f: Flow): string {
  return f.destination.port !== undefined ? `${f.l4.protocol}/${f.destination.port}` : f.l4.protocol;
}

export const fmt = (n: number): string => n.toLocaleString('en-US');
