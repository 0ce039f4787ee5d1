import { describe, expect, it } from 'vitest';
import { loadManifests } from '../api/load.js';
import type { Flow } from '../flows/flow.js';
import { judgeFlows } from './flows-check.js';
import { outcomeOf, meets } from './probe.js';
import { SCENARIOS, selectScenarios, type ScenarioEnv } from './scenarios.js';

const env: ScenarioEnv = {
  namespace: 'podwall-test', otherNamespace: 'podwall-test-other', world: true,
  ips: { client: '10.244.0.2', client2: '10.244.0.3', echo: '10.244.0.4', 'echo-other': '10.244.1.2' },
};

describe('connectivity scenarios', () => {
  it('have unique names and valid policies (as the API server validates them), each named in its namespace', () => {
    expect(new Set(SCENARIOS.map((s) => s.name)).size).toBe(SCENARIOS.length);
    for (const s of SCENARIOS) {
      const policies = s.policies(env);
      const r = loadManifests([{ file: `${s.name}.json`, text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: policies }) }]);
      expect(r.diagnostics.filter((d) => d.severity === 'error'), s.name).toEqual([]);
      expect(r.objects).toHaveLength(policies.length);
      for (const p of policies) expect(p.metadata.namespace, s.name).toBe(env.namespace);
    }
  });

  it('every scenario but no-policies expects at least one drop or refusal, so it fails when enforcement is off', () => {
    for (const s of SCENARIOS.filter((x) => x.name !== 'no-policies' && x.name !== 'cluster-entity')) {
      expect(s.probes(env).some((p) => p.expect !== 'allowed'), s.name).toBe(true);
    }
  });

  it('--test selects by regular expression, ! negates', () => {
    expect(selectScenarios(SCENARIOS, 'deny$').map((s) => s.name)).toEqual(['all-ingress-deny', 'all-egress-deny']);
    expect(selectScenarios(SCENARIOS, '!fqdns|dns').map((s) => s.name)).not.toContain('dns-only');
    expect(selectScenarios(SCENARIOS, undefined)).toHaveLength(SCENARIOS.length);
  });

  it('reads agnhost connect results and judges them against expectations', () => {
    expect(outcomeOf(0, '')).toBe('connected');
    expect(outcomeOf(1, 'TIMEOUT: dial tcp 10.244.0.4:8080: i/o timeout')).toBe('timeout');
    expect(outcomeOf(1, 'REFUSED: dial tcp 198.18.0.10:443: connect: connection refused')).toBe('refused');
    expect(outcomeOf(1, 'DNS: lookup blocked.com: no such host')).toBe('dns');
    expect(meets('dropped', 'connected', false)).toBe(false);
    expect(meets('allowed', 'refused', false)).toBe(false);
    expect(meets('allowed', 'refused', true)).toBe(true);
  });
});

describe('the flow-log check', () => {
  const flow = (verdict: Flow['verdict'], policy?: string, port = 8080): Flow => ({
    seq: 1, time: '2026-11-25T16:00:00.000Z', node: 'node1', type: 'L3_L4',
    source: { ip: env.ips.client, kind: 'pod', namespace: env.namespace, pod: 'client' },
    destination: { ip: env.ips.echo, port, kind: 'pod', namespace: env.namespace, pod: 'echo' },
    l4: { protocol: 'TCP', tcpFlags: ['SYN'] }, trafficDirection: 'INGRESS', verdict,
    policies: policy ? [{ kind: 'NetworkPolicy', namespace: env.namespace, name: policy, direction: 'ingress', action: 'allow' }] : [],
    reason: 'x',
  });
  const probe = { srcIp: env.ips.client, dstIp: env.ips.echo, port: 8080 };
  const policies = new Set(['all-ingress-deny']);

  it('an expected drop must be in the log as DROPPED by the scenario\'s policy', () => {
    expect(judgeFlows([flow('DROPPED', 'all-ingress-deny')], { ...probe, expect: 'dropped' }, policies).ok).toBe(true);
    expect(judgeFlows([], { ...probe, expect: 'dropped' }, policies)).toMatchObject({ ok: false, problem: 'no DROPPED flow in the flow log' });
    expect(judgeFlows([flow('DROPPED', 'other')], { ...probe, expect: 'dropped' }, policies))
      .toMatchObject({ ok: false, problem: 'dropped by other, expected all-ingress-deny' });
    expect(judgeFlows([flow('DROPPED', 'all-ingress-deny', 8081)], { ...probe, expect: 'dropped' }, policies).ok).toBe(false);
  });

  it('an expected connection must not be in the log as dropped', () => {
    expect(judgeFlows([flow('FORWARDED')], { ...probe, expect: 'allowed' }, policies).ok).toBe(true);
    expect(judgeFlows([flow('DROPPED', 'all-ingress-deny')], { ...probe, expect: 'allowed' }, policies).ok).toBe(false);
  });
});

describe('the flow-log check and late flows', () => {
  it('an allowed probe passes once its FORWARDED flow is there, despite a late drop of an earlier probe', () => {
    const base = {
      seq: 1, time: '2026-11-25T16:00:00.000Z', node: 'node1', type: 'L3_L4' as const, l4: { protocol: 'TCP' as const },
      source: { ip: '10.244.0.2', kind: 'pod' as const }, trafficDirection: 'EGRESS' as const, policies: [], reason: 'x',
    };
    const drop: Flow = { ...base, destination: { ip: '10.244.1.2', port: 8080, kind: 'pod' }, verdict: 'DROPPED' };
    const fwd: Flow = { ...drop, verdict: 'FORWARDED' };
    const p = { srcIp: '10.244.0.2', dstIp: '10.244.1.2', port: 8080, expect: 'allowed' as const };
    expect(judgeFlows([drop], p, new Set()).ok).toBe(false);
    expect(judgeFlows([drop, fwd], p, new Set()).ok).toBe(true);
  });
});

describe('the flow-log check of a DNS refusal', () => {
  const dns = (rcode: string): Flow => ({
    seq: 1, time: '2026-11-25T16:00:00.000Z', node: 'node1', type: 'L7', l4: { protocol: 'UDP' },
    source: { ip: '10.244.0.2', kind: 'pod' }, destination: { ip: '10.96.0.10', port: 53, kind: 'unknown' },
    trafficDirection: 'EGRESS', verdict: rcode === 'REFUSED' ? 'DROPPED' : 'FORWARDED', policies: [], reason: 'x',
    l7: { dns: { query: 'blocked.com.', qtype: 'A', rcode, ips: [] } },
  });
  const p = { srcIp: '10.244.0.2', name: 'blocked.com', port: 443, expect: 'dns-refused' as const };

  it('needs a REFUSED event for the name once the log carries DNS events; without any it says it could not check', () => {
    expect(judgeFlows([dns('REFUSED')], p, new Set())).toMatchObject({ ok: true });
    expect(judgeFlows([{ ...dns('NOERROR'), l7: { dns: { query: 'example.com', qtype: 'A', rcode: 'NOERROR', ips: [] } } }], p, new Set()))
      .toMatchObject({ ok: false, problem: 'no REFUSED DNS event in the flow log' });
    expect(judgeFlows([], p, new Set())).toMatchObject({ ok: true, unchecked: 'the flow log holds no L7 DNS events' });
  });
});
