import { describe, expect, it } from 'vitest';
import { compile } from '../../src/dataplane/compile.js';
import { DECISIONS, decisionOf, logChainName, METER_SETS, prefixOf, type DecisionCode } from '../../src/dataplane/flow-log.js';
import { render } from '../../src/dataplane/nft/render.js';
import { simulate } from '../../src/dataplane/simulate.js';
import { engine as fixture } from '../support/engine-fixture.js';

const SEED = `
apiVersion: v1
kind: Namespace
metadata: { name: demo }
---
apiVersion: v1
kind: Node
metadata: { name: node1 }
status: { addresses: [{ type: InternalIP, address: 10.0.0.1 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: server, namespace: demo, labels: { app: server } }
spec: { nodeName: node1, containers: [{ name: c, image: x }] }
status: { podIP: 10.244.0.2, hostIP: 10.0.0.1 }
---
apiVersion: v1
kind: Pod
metadata: { name: client, namespace: demo }
spec: { nodeName: node1, containers: [{ name: c, image: x }] }
status: { podIP: 10.244.0.3, hostIP: 10.0.0.1 }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: demo-policy, namespace: demo }
spec:
  podSelector: { matchLabels: { app: server } }
  ingress: [{ from: [{ podSelector: { matchLabels: { app: client } } }], ports: [{ port: 80 }] }]
`;

function logCodes(rs: ReturnType<typeof compile>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of rs.tables[0]!.chains) {
    out[c.name] = c.rules.flatMap((r) => (r.statements ?? []).flatMap((s) => (s.type === 'log' ? [decisionOf(s.prefix)!] : [])));
  }
  return out;
}

describe('flow log rules', () => {
  const engine = fixture('', { cluster: SEED });
  const rs = compile(engine, { node: 'node1', enforcement: 'podwall' });

  it('sends every decision of the enforcing chains to its own log chain, which logs with a known prefix', () => {
    const gotos: Record<string, string[]> = {};
    for (const c of rs.tables[0]!.chains) {
      gotos[c.name] = c.rules.flatMap((r) => (r.verdict?.type === 'goto' && r.verdict.chain.startsWith('log_') ? [r.verdict.chain] : []));
    }
    expect(gotos).toMatchObject({
      forward: ['log_U0', 'log_U1'], input: ['log_U0'], egress_check: ['log_E0'], egress_rest: ['log_E4', 'log_E2', 'log_E3'],
      ingress_check: ['log_I0'], ingress_rest: ['log_I3'], egress_check_0: ['log_E1'], egress_check_63: ['log_E1'], ingress_check_7: ['log_I1'],
    });
    const codes = logCodes(rs);
    for (const code of Object.keys(DECISIONS) as DecisionCode[]) {
      expect(new Set(codes[logChainName(code)])).toEqual(new Set([code]));
      expect(decisionOf(prefixOf(code))).toBe(code);
    }
    // Only the log chains log: one set lookup per decision.
    for (const name of ['forward', 'input', 'egress_check', 'ingress_check', 'egress_rest', 'ingress_rest', 'egress_check_5']) expect(codes[name]).toEqual([]);
    expect(decisionOf('something else')).toBeNull();
    expect(decisionOf('pw:ZZ')).toBeNull();
  });

  it('meters every logged decision per flow on kernel-filled sets, but allowed TCP connections', () => {
    for (const code of Object.keys(DECISIONS) as DecisionCode[]) {
      const chain = rs.tables[0]!.chains.find((c) => c.name === logChainName(code))!;
      const verdicts = new Set(chain.rules.map((r) => JSON.stringify(r.verdict)));
      expect(verdicts.size).toBe(1);
      const meterAt = chain.rules.findIndex((r) => r.statements?.some((s) => s.type === 'meter-over'));
      expect(chain.rules[meterAt]!.statements!.find((s) => s.type === 'meter-over')).toMatchObject({ set: METER_SETS[DECISIONS[code].direction] });
      const unmetered = chain.rules.slice(0, meterAt);
      if (DECISIONS[code].verdict === 'drop') expect(unmetered).toEqual([]);
      else expect(unmetered.map((r) => r.match)).toEqual([[{ type: 'equals', field: 'meta l4proto', value: 6 }]]);
    }
    for (const name of Object.values(METER_SETS)) expect(rs.tables[0]!.sets.find((s) => s.name === name)).toMatchObject({ external: true, elements: [] });
    const json = JSON.stringify(render(rs));
    expect(json).toContain('"log":{"prefix":"pw:I3","group":100');
    expect(json).toContain('"inv":true');
    expect(json).toContain('"goto":{"target":"log_I1"}');
  });

  it('changes no verdict: the simulator gives the same answer with and without logs', () => {
    const plain = compile(engine, { node: 'node1', enforcement: 'podwall', flowLog: null });
    expect(Object.values(logCodes(plain)).flat()).toEqual([]);
    for (const [saddr, daddr, dport] of [['10.244.0.3', '10.244.0.2', 80], ['10.244.0.2', '10.244.0.3', 80], ['10.244.0.9', '10.244.0.2', 80], ['10.0.0.1', '10.244.0.2', 81]] as const) {
      const p = { saddr, daddr, proto: 'tcp' as const, dport, ct: 'new' as const };
      expect(simulate(rs, 'forward', p).verdict).toBe(simulate(plain, 'forward', p).verdict);
    }
    expect(simulate(rs, 'forward', { saddr: '10.244.0.3', daddr: '10.244.0.2', proto: 'tcp', dport: 80, ct: 'new' }).verdict).toBe('drop');
  });
});
