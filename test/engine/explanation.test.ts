import { describe, expect, it } from 'vitest';
import { cnp, docs, engine, netpol, probe } from '../support/engine-fixture.js';

// podwall STYLE.md §6 "A verdict carries its explanation as data"; the semantics explained are those of the
// Kubernetes NetworkPolicy docs and docs.cilium.io security/policy (intro.rst default mode, deny.rst).

describe('Decision explanations', () => {
  it("says 'no-policy-selects' when no policy selects either end", () => {
    // network-policies "Isolated and Non-isolated Pods": by default pods are non-isolated and accept all traffic.
    const d = probe(engine(''), 'x/b', 'x/a', 80);
    expect([d.allowed, d.reason, d.egress.reason, d.ingress.reason]).toEqual([true, 'no-policy-selects', 'no-policy-selects', 'no-policy-selects']);
    expect([d.egress.selectedBy, d.ingress.selectedBy]).toEqual([[], []]);
  });

  it("says 'default-deny' with isolatedBy naming the policy when no rule matches", () => {
    // network-policies: an isolated pod only accepts what some policy allows; the isolating policy is what to show.
    const e = engine(netpol('x', 'only-from-b', `
      podSelector: {matchLabels: {app: a}}
      ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]`));
    const d = probe(e, 'x/c', 'x/a', 80);
    expect([d.allowed, d.reason]).toEqual([false, 'default-deny']);
    expect(d.ingress.isolatedBy).toEqual([{ kind: 'NetworkPolicy', namespace: 'x', name: 'only-from-b' }]);
    expect(d.ingress.allowedBy).toEqual([]);
  });

  it("says 'allowed-by-rule' naming the policy, the rule index and the matched peer", () => {
    // network-policies: a connection is allowed when some rule of a selecting policy matches it.
    const e = engine(netpol('x', 'two-rules', `
      podSelector: {matchLabels: {app: a}}
      ingress:
      - from: [{podSelector: {matchLabels: {app: c}}}]
      - from: [{namespaceSelector: {matchLabels: {ns: y}}}, {podSelector: {matchLabels: {app: b}}}]
        ports: [{port: 80}]`));
    const d = probe(e, 'x/b', 'x/a', 80);
    expect([d.allowed, d.reason]).toEqual([true, 'allowed-by-rule']);
    const hit = d.ingress.allowedBy[0]!;
    expect(d.ingress.allowedBy).toHaveLength(1);
    expect(hit.origin).toEqual({ kind: 'NetworkPolicy', namespace: 'x', name: 'two-rules' });
    expect([hit.rule.direction, hit.rule.index]).toEqual(['ingress', 1]);
    expect(hit.peer.path).toEqual(['spec', 'ingress', 1, 'from', 1]);
    expect(hit.peer.text).toContain('app=b');
  });

  it('names the entry of a Cilium specs list in the origin', () => {
    // rule.go / CiliumNetworkPolicy.Specs: a CNP may hold several rules; each keeps its own index.
    const e = engine(`apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: multi, namespace: x}
specs:
- endpointSelector: {matchLabels: {app: c}}
  ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]
- endpointSelector: {matchLabels: {app: a}}
  ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]
`);
    const hit = probe(e, 'x/b', 'x/a', 80).ingress.allowedBy[0]!;
    expect(hit.origin).toEqual({ kind: 'CiliumNetworkPolicy', namespace: 'x', name: 'multi', spec: 1 });
    expect(hit.peer.path).toEqual(['specs', 1, 'ingress', 0, 'fromEndpoints', 0]);
  });

  it("says 'explicit-deny' with deniedBy naming the deny rule", () => {
    // deny.rst: deny policies take precedence over allow policies.
    const e = engine(cnp('x', 'deny-b', `
      endpointSelector: {matchLabels: {app: a}}
      ingress: [{fromEntities: [cluster]}]
      ingressDeny: [{fromEndpoints: [{matchLabels: {app: b}}], toPorts: [{ports: [{port: '80', protocol: TCP}]}]}]`));
    const d = probe(e, 'x/b', 'x/a', 80);
    expect([d.allowed, d.reason]).toEqual([false, 'explicit-deny']);
    const hit = d.ingress.deniedBy[0]!;
    expect([hit.origin.name, hit.rule.action, hit.rule.index]).toEqual(['deny-b', 'deny', 0]);
    expect(probe(e, 'x/b', 'x/a', 81).reason).toBe('allowed-by-rule');
  });

  it('decides egress before ingress: the reason comes from the egress side when it drops', () => {
    // network-policies: the source's egress is checked first; a packet it drops never reaches the destination's ingress.
    const e = engine(docs(
      netpol('x', 'a-no-egress', `
        podSelector: {matchLabels: {app: a}}
        policyTypes: [Egress]`),
      cnp('x', 'b-deny-a', `
        endpointSelector: {matchLabels: {app: b}}
        ingressDeny: [{fromEndpoints: [{matchLabels: {app: a}}]}]`),
    ));
    const d = probe(e, 'x/a', 'x/b', 80);
    expect([d.egress.reason, d.ingress.reason]).toEqual(['default-deny', 'explicit-deny']);
    expect(d.reason).toBe('default-deny');
    expect(d.egress.isolatedBy.map((o) => o.name)).toEqual(['a-no-egress']);
    // When egress allows, the ingress side's drop decides.
    const fromC = probe(e, 'x/c', 'x/b', 80);
    expect([fromC.egress.allowed, fromC.reason]).toEqual([true, 'default-deny']);
  });
});
