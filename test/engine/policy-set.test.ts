/**
 * PolicySet with an earlier set (engine.ts `previous`, as the agent builds each pass): which policies
 * select a pod is carried over only while the pod, its namespace's labels and policies, and the
 * cluster-wide policies are the same; otherwise decided again, as a fresh build would.
 */
import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/api/types.js';
import { buildEngine } from '../../src/engine/engine.js';
import type { Policy } from '../../src/engine/policy.js';

const ns = (name: string, team: string): ApiObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { team } } } as ApiObject);
const pod = (name: string, namespace: string, app: string): ApiObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: { app } },
  spec: { nodeName: 'n1', containers: [{ name: 'c' }] }, status: { podIP: `10.244.0.${name.length + namespace.length}` },
} as ApiObject);
const byTeam = (team: string): ApiObject => ({
  apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy', metadata: { name: `team-${team}` },
  spec: { endpointSelector: { matchLabels: { 'k8s:io.cilium.k8s.namespace.labels.team': team } }, ingress: [{}] },
} as ApiObject);
const np = (name: string, namespace: string, app: string): ApiObject => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace },
  spec: { podSelector: { matchLabels: { app } }, policyTypes: ['Ingress'] },
} as ApiObject);

describe('PolicySet with an earlier set', () => {
  const base = [ns('a', 'red'), ns('b', 'blue'), pod('p', 'a', 'web'), pod('q', 'b', 'web'), byTeam('red'), np('web', 'a', 'web')];
  const names = (ps: Policy[]) => ps.map((p) => p.origin.name);

  function step(before: ApiObject[], after: ApiObject[]) {
    const cache = new WeakMap<ApiObject, Policy[]>();
    const first = buildEngine(before, { policyCache: cache });
    for (const p of first.cluster.pods) first.set.selecting(p);
    const second = buildEngine(after, { policyCache: cache, previous: first });
    const fresh = buildEngine(after);
    const of = (e: typeof first, id: string) => e.set.selecting(e.cluster.podById.get(id)!);
    for (const id of ['a/p', 'b/q']) expect([id, names(of(second, id))]).toEqual([id, names(of(fresh, id))]);
    return { reused: (id: string) => of(second, id) === of(first, id) };
  }

  it('carries over what did not change', () => {
    const s = step(base, [...base]);
    expect(s.reused('a/p')).toBe(true);
    expect(s.reused('b/q')).toBe(true);
  });

  it('decides again after a namespace is relabelled, a namespaced policy is added, or a cluster-wide one changes', () => {
    const relabelled = step(base, base.map((o) => (o.kind === 'Namespace' && o.metadata.name === 'b' ? ns('b', 'red') : o)));
    expect(relabelled.reused('b/q')).toBe(false);
    expect(relabelled.reused('a/p')).toBe(true);
    const added = step(base, [...base, np('more', 'b', 'web')]);
    expect(added.reused('b/q')).toBe(false);
    expect(added.reused('a/p')).toBe(true);
    const global = step(base, [...base, byTeam('blue')]);
    expect(global.reused('a/p')).toBe(false);
  });
});
