/**
 * A lookup the DNS proxy handled becomes two L7 flows, as Hubble shows them: the request (pod -> DNS
 * server, `dns-request proxy`) and the response (`dns-response proxy`, printed `pod <- server`), with
 * the pod and server from the engine in force at the lookup's time and the policy whose DNS rule
 * allowed or refused the name. A refused name is DROPPED (the pod got REFUSED), with the smallest change
 * that would allow it. Pure.
 */
import { endpointForIp } from '../engine/endpoint.js';
import type { Engine } from '../engine/engine.js';
import type { DnsLookupEvent } from '../fqdn/proxy/events.js';
import type { DnsRuleRef } from '../fqdn/rules.js';
import { endpoint, type NameLookup } from './enrich.js';
import type { Flow, FlowEndpoint, FlowPolicyRef } from './flow.js';

function ruleName(r: DnsRuleRef): string {
  return `${r.namespace ? `${r.namespace}/` : ''}${r.name} egress rule ${r.rule}`;
}

function at(e: FlowEndpoint, port: number): FlowEndpoint {
  return { ...e, port };
}

/** The DNS server as the pod reached it: the backend pod when the engine knows it (Hubble shows coredns), else the address asked. */
function server(ev: DnsLookupEvent, engine: Engine | null, names?: NameLookup): FlowEndpoint {
  if (engine) {
    const up = endpointForIp(engine.cluster, ev.upstream);
    if (up.kind === 'pod') return at(endpoint(up, ev.upstream, names), ev.upstreamPort);
    return at(endpoint(endpointForIp(engine.cluster, ev.server), ev.server, names), ev.serverPort);
  }
  return { ip: ev.server, port: ev.serverPort, kind: 'unknown' };
}

function pod(ev: DnsLookupEvent, engine: Engine | null): FlowEndpoint {
  if (engine) {
    const e = endpointForIp(engine.cluster, ev.podIp);
    if (e.kind === 'pod') return at(endpoint(e, ev.podIp, undefined), ev.sport);
  }
  const [namespace, name] = ev.pod.split('/');
  return { ip: ev.podIp, port: ev.sport, kind: 'pod', ...(namespace && name ? { namespace, pod: name } : {}) };
}

export function dnsFlows(ev: DnsLookupEvent, ctx: { node: string; engine: Engine | null; names?: NameLookup }): [Flow, Flow] {
  const refused = ev.verdict === 'refused';
  const policies: FlowPolicyRef[] = ev.by.map((r) => ({
    kind: r.kind, ...(r.namespace ? { namespace: r.namespace } : {}), name: r.name, direction: 'egress', rule: r.rule,
    action: refused ? 'deny' : 'allow', l7: 'dns',
  }));
  const rules = ev.by.map(ruleName).join(', ') || 'no policy';
  const answer = ev.ips.length > 0 ? ` ${ev.ips.join(', ')} (TTL ${ev.ttl} s)` : '';
  const reason = refused
    ? `egress DNS: ${ev.query} is not in the DNS rules of ${rules}: the DNS proxy answered REFUSED`
    : `egress DNS: ${ev.query} allowed by the DNS rule of ${rules}; ${ev.rcode}${answer}`;
  const first = ev.by[0];
  const suggestion = refused && first ? `add { matchName: "${ev.query}" } to toPorts.rules.dns of ${ruleName(first)} would let the pod look it up` : undefined;
  const query = `${ev.query.replace(/\.$/, '')}.`;
  const src = pod(ev, ctx.engine);
  const dst = server(ev, ctx.engine, ctx.names);
  const base = {
    seq: 0, node: ctx.node, type: 'L7' as const, l4: { protocol: ev.protocol }, trafficDirection: 'EGRESS' as const,
    verdict: refused ? 'DROPPED' as const : 'FORWARDED' as const, policies, reason, ...(suggestion ? { suggestion } : {}),
    ...(refused ? { dropReason: 'POLICY_DENIED' as const } : {}),
  };
  const request: Flow = {
    ...base, time: new Date(ev.time).toISOString(), source: src, destination: dst,
    l7: { type: 'REQUEST', dns: { query, qtype: ev.qtype, rcode: ev.rcode, ips: [], observationSource: 'proxy' } },
  };
  const response: Flow = {
    ...base, time: new Date(ev.time + ev.latencyMs).toISOString(), source: dst, destination: src, isReply: true,
    l7: { type: 'RESPONSE', latencyMs: Math.round(ev.latencyMs * 1000) / 1000, dns: { query, qtype: ev.qtype, rcode: ev.rcode, ips: ev.ips, ttl: ev.ttl, observationSource: 'proxy' } },
  };
  return [request, response];
}
