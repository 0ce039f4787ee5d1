import type { DnsAnswers } from '../api/hosts.js';
import type { ApiObject } from '../api/types.js';
import { buildCluster, type Cluster, type PodInfo } from './cluster.js';
import { DnsKnowledge } from './dns.js';
import { evaluate, PolicySet, type Decision, type Flow } from './evaluate.js';
import { normalizeCiliumPolicy } from './normalize-cilium.js';
import { normalizeNetworkPolicy } from './normalize-k8s.js';
import type { Policy } from './policy.js';

export interface EngineOptions {
  /** DNS answers for toFQDNs (hosts format). */
  answers?: DnsAnswers;
  /** The names each pod looked up; default: every name of `answers`. */
  lookups?: (pod: PodInfo) => Iterable<string>;
}

/** Cluster, normalised policies and DNS knowledge: everything a verdict needs. */
export interface Engine {
  cluster: Cluster;
  policies: Policy[];
  set: PolicySet;
  dns: DnsKnowledge;
  answers: DnsAnswers;
  evaluate(flow: Flow): Decision;
}

export function normalizePolicies(objects: readonly ApiObject[], cluster: Cluster): Policy[] {
  const out: Policy[] = [];
  for (const o of objects) {
    if (o.kind === 'NetworkPolicy') out.push(normalizeNetworkPolicy(o));
    else if (o.kind === 'CiliumNetworkPolicy' || o.kind === 'CiliumClusterwideNetworkPolicy') out.push(...normalizeCiliumPolicy(o, cluster));
  }
  return out;
}

/**
 * Build an engine from validated objects.
 *
 * @example
 * const engine = buildEngine(loadManifests(sources).objects.map((o) => o.object));
 * engine.evaluate({ src, dst, port: 80, protocol: 'TCP' }).allowed;
 */
export function buildEngine(objects: readonly ApiObject[], opts: EngineOptions = {}): Engine {
  const cluster = buildCluster(objects);
  const policies = normalizePolicies(objects, cluster);
  const set = new PolicySet(cluster, policies);
  const answers = opts.answers ?? new Map();
  const dns = new DnsKnowledge(cluster, set, answers, opts.lookups);
  return { cluster, policies, set, dns, answers, evaluate: (flow) => evaluate(set, flow, dns) };
}
