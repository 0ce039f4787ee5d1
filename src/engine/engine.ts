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
  /**
   * Normalised policies of earlier builds by source object: an object found here is not normalised
   * again, so unchanged objects keep their `Policy` objects (the agent's incremental compile compares
   * them by identity). Valid only while the cluster's Services and CIDR groups stay the same, which
   * Cilium policies read; the caller starts a new cache when they change.
   */
  policyCache?: WeakMap<ApiObject, Policy[]>;
  /** An earlier build of (mostly) the same objects: which policies select an unchanged pod is taken from it (PolicySet). */
  previous?: Engine;
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

export function normalizePolicies(objects: readonly ApiObject[], cluster: Cluster, cache?: WeakMap<ApiObject, Policy[]>): Policy[] {
  const out: Policy[] = [];
  for (const o of objects) {
    if (o.kind !== 'NetworkPolicy' && o.kind !== 'CiliumNetworkPolicy' && o.kind !== 'CiliumClusterwideNetworkPolicy') continue;
    let ps = cache?.get(o);
    if (!ps) {
      ps = o.kind === 'NetworkPolicy' ? [normalizeNetworkPolicy(o)] : normalizeCiliumPolicy(o, cluster);
      cache?.set(o, ps);
    }
    out.push(...ps);
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
  const policies = normalizePolicies(objects, cluster, opts.policyCache);
  const set = new PolicySet(cluster, policies, opts.previous?.set);
  const answers = opts.answers ?? new Map();
  const dns = new DnsKnowledge(cluster, set, answers, opts.lookups);
  return { cluster, policies, set, dns, answers, evaluate: (flow) => evaluate(set, flow, dns) };
}
