import type { DnsAnswers } from '../api/hosts.js';
import { normalizeName } from '../fqdn/pattern.js';
import { isIp } from '../shared/ip.js';
import type { Cluster, PodInfo, Protocol } from './cluster.js';
import { endpointForIp, nodeEndpointOf, podEndpoint, type Endpoint } from './endpoint.js';

/** A flow end as the user wrote it, resolved. A Service IP or a DNS name may stand for several endpoints. */
export interface ResolvedTarget {
  text: string;
  endpoints: { endpoint: Endpoint; port?: number; via?: string }[];
  /** Set when a DNS name was resolved through the answers. */
  name?: string;
  error?: string;
}

/**
 * Resolve `ns/pod`, `host` (the node of `other`), an IP, a ClusterIP (to the Service's backends, policy
 * sees the backend) or a DNS name (through `answers`).
 */
export function resolveTarget(cluster: Cluster, text: string, answers: DnsAnswers, other?: PodInfo, port?: number, protocol?: Protocol): ResolvedTarget {
  if (text === 'host') {
    if (!other) return { text, endpoints: [], error: '"host" needs a pod on the other end of the flow' };
    return { text, endpoints: [{ endpoint: nodeEndpointOf(cluster, other) }] };
  }
  if (isIp(text)) {
    const svc = cluster.services.find((s) => s.clusterIPs.includes(text));
    if (svc) return serviceTarget(cluster, text, svc, port, protocol);
    return { text, endpoints: [{ endpoint: endpointForIp(cluster, text, namesOf(answers, text)) }] };
  }
  if (text.includes('/')) {
    const pod = cluster.podById.get(text);
    if (!pod) return { text, endpoints: [], error: `pod ${text} not found` };
    return { text, endpoints: [{ endpoint: podEndpoint(pod) }] };
  }
  const name = normalizeName(text);
  const ips = answers.get(name);
  if (!ips || ips.length === 0) return { text, endpoints: [], name, error: `no address known for ${text} (give --dns-answers)` };
  return { text, name, endpoints: ips.map((ip) => ({ endpoint: endpointForIp(cluster, ip, [name]) })) };
}

function namesOf(answers: DnsAnswers, ip: string): string[] {
  return [...answers.entries()].filter(([, ips]) => ips.includes(ip)).map(([n]) => n);
}

function serviceTarget(
  cluster: Cluster, text: string, svc: Cluster['services'][number], port?: number, protocol?: Protocol,
): ResolvedTarget {
  const sel = svc.selector;
  const backends = sel
    ? cluster.pods.filter((p) => p.namespace === svc.namespace && Object.entries(sel).every(([k, v]) => p.labels[k] === v))
    : [];
  const sp = svc.ports.find((p) => p.port === port && (protocol === undefined || p.protocol === protocol));
  const endpoints = backends.map((pod) => {
    let target = port;
    if (sp) target = typeof sp.targetPort === 'number' ? sp.targetPort : pod.namedPorts.find((n) => n.name === sp.targetPort)?.port ?? port;
    return { endpoint: podEndpoint(pod), port: target, via: `service ${svc.id}` };
  });
  if (endpoints.length === 0) return { text, endpoints, error: `service ${svc.id} has no backend pods` };
  return { text, endpoints };
}
