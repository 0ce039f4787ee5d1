import { describe, expect, it } from 'vitest';
import type { ApiObject, Node, Pod } from '../../src/api/types.js';
import { testNamespaces, testPods } from '../../src/connectivity/deploy.js';
import { SCENARIOS, type ScenarioEnv, type Target } from '../../src/connectivity/scenarios.js';
import { buildEngine } from '../../src/engine/engine.js';
import { loadManifests } from '../../src/api/load.js';
import { probe } from '../support/engine-fixture.js';

// The scenarios' expectations are Kubernetes' and Cilium's semantics: the engine (checked against the shared
// conformance cases) must agree with every probe of every scenario, on the cluster the test deploys.

const NS = 'podwall-test';
const OTHER = `${NS}-other`;
const IPS = { client: '10.244.0.2', client2: '10.244.0.3', echo: '10.244.0.4', 'echo-other': '10.244.1.2' };
const WORLD_IP = '198.18.0.10';

function cluster(): ApiObject[] {
  const nodes: Node[] = ['node1', 'node2'].map((name, i) => ({
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: { podCIDR: `10.244.${i}.0/24` }, status: { addresses: [{ type: 'InternalIP', address: `10.0.0.${i + 1}` }] },
  }));
  const pods = testPods(NS, OTHER, 'node1', 'node2').map((p): Pod => ({
    ...p, status: { phase: 'Running', podIP: IPS[p.metadata.name as keyof typeof IPS], hostIP: p.spec?.nodeName === 'node2' ? '10.0.0.2' : '10.0.0.1' },
  }));
  return [...nodes, ...testNamespaces(NS, OTHER), ...pods];
}

function to(t: Target): string {
  switch (t.kind) {
    case 'pod': return t.pod === 'echo' ? `${NS}/echo` : `${OTHER}/echo-other`;
    case 'host': return '10.0.0.1';
    case 'world': return WORLD_IP;
    case 'name': return t.name;
  }
}

describe('connectivity test scenarios agree with the engine', () => {
  const env: ScenarioEnv = { namespace: NS, otherNamespace: OTHER, ips: IPS, world: true };
  for (const s of SCENARIOS.filter((x) => !x.requires?.includes('dns-proxy'))) {
    it(s.name, () => {
      const objects = [...cluster(), ...s.policies(env)];
      // Through the loader, so defaults are applied as for `podwall apply`.
      const loaded = loadManifests([{ file: `${s.name}.json`, text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) }]);
      expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const e = buildEngine(loaded.objects.map((o) => o.object));
      const got = s.probes(env).map((p) => `${p.from} -> ${to(p.to)}:${p.port} ${probe(e, `${NS}/${p.from}`, to(p.to), p.port).allowed ? 'allowed' : 'dropped'}`);
      const want = s.probes(env).map((p) => `${p.from} -> ${to(p.to)}:${p.port} ${p.expect}`);
      expect(got).toEqual(want);
    });
  }
});
