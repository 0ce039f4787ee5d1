import { describe, expect, it } from 'vitest';
import { compile } from '../../src/dataplane/compile.js';
import { DECISIONS, decisionOf, METER_SETS, prefixOf, type DecisionCode } from '../../src/dataplane/flow-log.js';
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

  it('logs every decision of the enforcing chains once, with a known prefix', () => {
    expect(logCodes(rs)).toEqual({ forward: ['U0', 'U1'], input: ['U0'], egress_check: ['E0', 'E1', 'E4', 'E2', 'E3'], ingress_check: ['I0', 'I1', 'I3'] });
    for (const code of Object.keys(DECISIONS) as DecisionCode[]) expect(decisionOf(prefixOf(code))).toBe(code);
    expect(decisionOf('something else')).toBeNull();
    expect(decisionOf('pw:ZZ')).toBeNull();
  });

  it('puts a per-flow meter with the same verdict before every logging rule, on kernel-filled sets', () => {
    for (const c of rs.tables[0]!.chains) {
      c.rules.forEach((r, i) => {
        const log = r.statements?.find((s) => s.type === 'log');
        if (!log || log.type !== 'log') return;
        const before = c.rules[i - 1]!;
        const set = METER_SETS[DECISIONS[decisionOf(log.prefix)!].direction];
        expect(before.statements?.find((s) => s.type === 'meter-over')).toMatchObject({ type: 'meter-over', set });
        expect(before.verdict).toEqual(r.verdict);
        expect(before.match).toEqual(r.match);
      });
    }
    for (const name of Object.values(METER_SETS)) expect(rs.tables[0]!.sets.find((s) => s.name === name)).toMatchObject({ external: true, elements: [] });
    const json = JSON.stringify(render(rs));
    expect(json).toContain('"log":{"prefix":"pw:I3","group":100');
    expect(json).toContain('"inv":true');
  });

  it('changes no verdict: the simulator gives the same answer with and without logs', () => {
    const plain = compile(engine, { node: 'node1', enforcement: 'podwall', flowLog: null });
    expect(logCodes(plain)).toEqual({ forward: [], input: [], egress_check: [], ingress_check: [] });
    for (const [saddr, daddr, dport] of [['10.244.0.3', '10.244.0.2', 80], ['10.244.0.2', '10.244.0.3', 80], ['10.244.0.9', '10.244.0.2', 80], ['10.0.0.1', '10.244.0.2', 81]] as const) {
      const p = { saddr, daddr, proto: 'tcp' as const, dport, ct: 'new' as const };
      expect(simulate(rs, 'forward', p).verdict).toBe(simulate(plain, 'forward', p).verdict);
    }
    expect(simulate(rs, 'forward', { saddr: '10.244.0.3', daddr: '10.244.0.2', proto: 'tcp', dport: 80, ct: 'new' }).verdict).toBe('drop');
  });
});
