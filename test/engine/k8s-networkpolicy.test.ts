import { describe, expect, it } from 'vitest';
import { docs, engine, namespace, netpol, node, pod, probe } from '../support/engine-fixture.js';

// Upstream: https://kubernetes.io/docs/concepts/services-networking/network-policies/ and the
// networking.k8s.io/v1 API reference (NetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort).

const denyIngressA = netpol('x', 'deny-a', `
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress]`);

describe('isolation', () => {
  it('isolates a pod only through a policy of its own namespace', () => {
    // network-policies "Isolated and Non-isolated Pods": a pod is isolated when a NetworkPolicy *in its namespace* selects it.
    const e = engine(netpol('y', 'deny-all-in-y', `
      podSelector: {}
      policyTypes: [Ingress]`));
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/b', 'y/a', 80).allowed).toBe(false);
    expect(e.set.selecting(e.cluster.podById.get('x/a')!)).toEqual([]);
  });

  it('isolates only the pods the podSelector selects', () => {
    // NetworkPolicySpec.podSelector: selects the pods the policy applies to; other pods of the namespace stay non-isolated.
    const e = engine(denyIngressA);
    expect(probe(e, 'x/c', 'x/a', 80).allowed).toBe(false);
    expect(probe(e, 'x/c', 'x/b', 80).allowed).toBe(true);
  });

  it('defaults policyTypes to Ingress when no egress rules exist', () => {
    // NetworkPolicySpec.policyTypes: if unspecified, Ingress is always set; Egress only when the policy has egress rules.
    const e = engine(netpol('x', 'p', 'podSelector: {matchLabels: {app: a}}'));
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(false);
    expect(probe(e, 'x/a', 'y/a', 80).allowed).toBe(true);
  });

  it('defaults policyTypes to include Egress when egress rules exist', () => {
    // NetworkPolicySpec.policyTypes: "policies that contain an egress section are assumed to affect egress".
    const e = engine(netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      egress:
      - to: [{podSelector: {matchLabels: {app: b}}}]`));
    expect(probe(e, 'x/a', 'x/b', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', 'y/a', 80).allowed).toBe(false);
    expect(probe(e, 'x/c', 'x/a', 80).allowed).toBe(false); // Ingress is defaulted too: no ingress rule, so deny.
  });

  it('does not isolate egress for `egress: []` without policyTypes', () => {
    // API server defaulting adds Egress only when len(spec.egress) > 0; an empty list is no egress rule.
    const e = engine(netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      egress: []`));
    expect(probe(e, 'x/a', 'y/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', 'y/a', 80).egress.isolatedBy).toEqual([]);
  });

  it('isolates egress for `egress: []` when policyTypes names Egress', () => {
    // network-policies "Default deny all egress traffic": policyTypes [Egress] with no egress rules denies all egress.
    const e = engine(netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      policyTypes: [Egress]
      egress: []`));
    expect(probe(e, 'x/a', 'y/a', 80).allowed).toBe(false);
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(true); // Ingress not in policyTypes: not isolated for ingress.
  });

  it('ignores the rules of a direction that policyTypes does not list', () => {
    // NetworkPolicySpec.policyTypes: the listed types decide which directions the policy applies to.
    const e = engine(docs(denyIngressA, netpol('x', 'egress-only', `
      podSelector: {matchLabels: {app: a}}
      policyTypes: [Egress]
      ingress: [{}]
      egress: [{}]`)));
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(false);
    expect(probe(e, 'x/a', 'y/a', 80).allowed).toBe(true);
  });

  it('takes the union of all policies selecting a pod', () => {
    // network-policies: policies are additive; a connection is allowed if any policy selecting the pod allows it.
    const e = engine(docs(
      netpol('x', 'from-b', `
        podSelector: {matchLabels: {app: a}}
        ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]`),
      netpol('x', 'from-y', `
        podSelector: {matchLabels: {app: a}}
        ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]`),
    ));
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/c', 'x/a', 80).allowed).toBe(false);
  });
});

describe('peers', () => {
  it('reads a podSelector-only peer as pods of the policy namespace', () => {
    // NetworkPolicyPeer.podSelector: "selects Pods in the same namespace as the NetworkPolicy" when namespaceSelector is absent.
    const e = engine(netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]`));
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(false);
  });

  it('reads a namespaceSelector-only peer as all pods of the matching namespaces', () => {
    // NetworkPolicyPeer.namespaceSelector: "selects all Pods in the Namespaces selected" when podSelector is absent.
    const e = engine(netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      ingress: [{from: [{namespaceSelector: {matchLabels: {ns: y}}}]}]`));
    expect(probe(e, 'y/a', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(false);
  });

  it('ANDs namespaceSelector and podSelector within one peer', () => {
    // network-policies "Behavior of to and from selectors": both in one element select pods matching both.
    const e = engine(netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      ingress:
      - from: [{namespaceSelector: {matchLabels: {ns: y}}, podSelector: {matchLabels: {app: b}}}]`));
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'y/a', 'x/a', 80).allowed).toBe(false);
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(false);
  });

  it('ORs two peers of one rule', () => {
    // network-policies "Behavior of to and from selectors": two elements of `from` are alternatives.
    const e = engine(netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      ingress:
      - from: [{namespaceSelector: {matchLabels: {ns: y}}}, {podSelector: {matchLabels: {app: b}}}]`));
    expect(probe(e, 'y/a', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/c', 'x/a', 80).allowed).toBe(false);
  });

  it('reads an empty or omitted `from` as every source, IPs outside the cluster included', () => {
    // NetworkPolicyIngressRule.from: "If this field is empty or missing, this rule matches all sources".
    for (const rule of ['{from: []}', '{}']) {
      const e = engine(netpol('x', 'p', `
        podSelector: {matchLabels: {app: a}}
        ingress: [${rule}]`));
      expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(true);
      expect(probe(e, '203.0.113.5', 'x/a', 80).allowed).toBe(true);
      expect(probe(e, '10.0.0.2', 'x/a', 80).allowed).toBe(true);
    }
    // NetworkPolicyEgressRule.to: likewise "empty or missing" matches all destinations.
    const eg = engine(netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      egress: [{to: []}]`));
    expect(probe(eg, 'x/a', '203.0.113.5', 80).allowed).toBe(true);
    expect(probe(eg, 'x/a', 'y/b', 80).allowed).toBe(true);
  });

  it('applies ipBlock except', () => {
    // IPBlock.except: CIDRs excluded from the ipBlock's cidr.
    const e = engine(netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      policyTypes: [Egress]
      egress: [{to: [{ipBlock: {cidr: 198.51.100.0/24, except: [198.51.100.128/25]}}]}]`));
    expect(probe(e, 'x/a', '198.51.100.10', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', '198.51.100.200', 80).allowed).toBe(false);
    expect(probe(e, 'x/a', '203.0.113.1', 80).allowed).toBe(false);
  });

  it('matches pod IPs with ipBlock', () => {
    // k8s e2e netpol "should allow egress access to server in CIDR block": ipBlock selects a pod by its IP.
    const e = engine(docs(
      netpol('x', 'egress', `
        podSelector: {matchLabels: {app: a}}
        policyTypes: [Egress]
        egress: [{to: [{ipBlock: {cidr: 10.0.1.11/32}}]}]`),
      netpol('y', 'ingress', `
        podSelector: {matchLabels: {app: b}}
        ingress: [{from: [{ipBlock: {cidr: 10.0.1.0/24, except: [10.0.1.2/32]}}]}]`),
    ));
    expect(probe(e, 'x/a', 'y/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', 'y/b', 80).allowed).toBe(false);
    expect(probe(e, 'y/a', 'y/b', 80).allowed).toBe(true);
    expect(probe(e, 'x/b', 'y/b', 80).allowed).toBe(false);
  });
});

describe('ports', () => {
  const withPorts = (ports: string) => engine(netpol('x', 'p', `
    podSelector: {matchLabels: {app: a}}
    ingress: [{ports: ${ports}}]`));

  it('matches a numeric port', () => {
    // NetworkPolicyPort.port: the port on the given protocol.
    const e = withPorts('[{port: 80}]');
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/b', 'x/a', 81).allowed).toBe(false);
  });

  it('resolves a named port through the destination pod container ports', () => {
    // NetworkPolicyPort.port: "a named port on a pod" — the name of a containerPort of the destination pod.
    const e = withPorts('[{port: http}]');
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/b', 'x/a', 81).allowed).toBe(false);
  });

  it('resolves an egress named port through the destination, not the source', () => {
    // k8s e2e netpol "should allow egress access on one named port": the name is the destination pod's container port.
    const e = engine(netpol('y', 'p', `
      podSelector: {matchLabels: {app: a}}
      policyTypes: [Egress]
      egress: [{ports: [{port: http}]}]`));
    expect(probe(e, 'y/a', 'x/a', 80).allowed).toBe(true); // x/a names 80/TCP "http"; y/a names no port.
    expect(probe(e, 'y/a', 'y/b', 80).allowed).toBe(false); // y/b has no port called http.
  });

  it('requires the protocol of a named port to match', () => {
    // NetworkPolicyPort: the named port is matched together with the rule's protocol (default TCP); `dns` is 53/UDP.
    const tcp = withPorts('[{port: dns}]');
    expect(probe(tcp, 'x/b', 'x/a', 53, 'TCP').allowed).toBe(false);
    expect(probe(tcp, 'x/b', 'x/a', 53, 'UDP').allowed).toBe(false);
    const udp = withPorts('[{port: dns, protocol: UDP}]');
    expect(probe(udp, 'x/b', 'x/a', 53, 'UDP').allowed).toBe(true);
    expect(probe(udp, 'x/b', 'x/a', 53, 'TCP').allowed).toBe(false);
  });

  it('matches a port range with endPort, bounds included', () => {
    // NetworkPolicyPort.endPort: "the range of ports from port to endPort, inclusive".
    const e = withPorts('[{port: 8000, endPort: 8010}]');
    expect(probe(e, 'x/b', 'x/a', 8000).allowed).toBe(true);
    expect(probe(e, 'x/b', 'x/a', 8010).allowed).toBe(true);
    expect(probe(e, 'x/b', 'x/a', 7999).allowed).toBe(false);
    expect(probe(e, 'x/b', 'x/a', 8011).allowed).toBe(false);
  });

  it('defaults the protocol to TCP', () => {
    // NetworkPolicyPort.protocol: "If not specified, this field defaults to TCP".
    const e = withPorts('[{port: 80}]');
    expect(probe(e, 'x/b', 'x/a', 80, 'TCP').allowed).toBe(true);
    expect(probe(e, 'x/b', 'x/a', 80, 'UDP').allowed).toBe(false);
  });

  it('does not let a UDP-only rule allow TCP', () => {
    // k8s e2e netpol "should not allow access by TCP when a policy specifies only UDP".
    const e = withPorts('[{port: 80, protocol: UDP}]');
    expect(probe(e, 'x/b', 'x/a', 80, 'UDP').allowed).toBe(true);
    expect(probe(e, 'x/b', 'x/a', 80, 'TCP').allowed).toBe(false);
  });

  it('does not treat SCTP as TCP', () => {
    // k8s e2e netpol "should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP'".
    const sctp = withPorts('[{port: 80, protocol: SCTP}]');
    expect(probe(sctp, 'x/b', 'x/a', 80, 'SCTP').allowed).toBe(true);
    expect(probe(sctp, 'x/b', 'x/a', 80, 'TCP').allowed).toBe(false);
    const tcp = withPorts('[{port: 80}]');
    expect(probe(tcp, 'x/b', 'x/a', 80, 'SCTP').allowed).toBe(false);
  });
});

describe('flows', () => {
  it('needs both the source egress and the destination ingress to allow', () => {
    // network-policies: "both the egress policy on the source pod and the ingress policy on the destination pod need to allow".
    const e = engine(docs(
      netpol('x', 'a-egress-to-b', `
        podSelector: {matchLabels: {app: a}}
        policyTypes: [Egress]
        egress: [{to: [{podSelector: {matchLabels: {app: b}}}]}]`),
      netpol('x', 'b-ingress-none', `
        podSelector: {matchLabels: {app: b}}
        policyTypes: [Ingress]`),
      netpol('y', 'ya-ingress-from-xa', `
        podSelector: {matchLabels: {app: a}}
        ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: a}}}]}]`),
    ));
    const ab = probe(e, 'x/a', 'x/b', 80);
    expect([ab.allowed, ab.egress.allowed, ab.ingress.allowed]).toEqual([false, true, false]);
    const aya = probe(e, 'x/a', 'y/a', 80);
    expect([aya.allowed, aya.egress.allowed, aya.ingress.allowed]).toEqual([false, false, true]);
  });

  it('gives every namespace the kubernetes.io/metadata.name label', () => {
    // network-policies "Targeting a Namespace by its name"; k8s e2e "... NamespaceSelector with MatchLabels using default ns label".
    const cluster = docs(namespace('x'), namespace('y'), node('node1', '10.0.0.1'),
      pod('x/a', '10.0.1.1', { app: 'a' }), pod('y/b', '10.0.1.12', { app: 'b' }), pod('z/c', '10.0.1.21', { app: 'c' }));
    const e = engine(netpol('x', 'p', `
      podSelector: {}
      ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: z}}}]}]`), { cluster });
    expect(probe(e, 'z/c', 'x/a', 80).allowed).toBe(true); // z has no Namespace manifest at all.
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(false);
    expect(e.cluster.namespaces.get('y')?.labels['kubernetes.io/metadata.name']).toBe('y');
  });

  it("always lets a pod's own node reach it", () => {
    // network-policies "What you can't do": traffic from the node where a pod runs is always allowed (kubelet probes).
    const e = engine(denyIngressA);
    const local = probe(e, 'host', 'x/a', 80);
    expect([local.allowed, local.reason]).toEqual([true, 'host-local']);
    expect(probe(e, '10.0.0.2', 'x/a', 80).allowed).toBe(false); // another node is not the pod's host.
  });

  it('lets a pod talk to itself', () => {
    // Pod-local traffic never leaves the pod's network namespace, so no policy sees it.
    const e = engine(netpol('x', 'deny-all', `
      podSelector: {}
      policyTypes: [Ingress, Egress]`));
    const self = probe(e, 'x/a', 'x/a', 80);
    expect([self.allowed, self.reason]).toEqual([true, 'same-pod']);
  });

  it('never selects host-network pods', () => {
    // network-policies "What you can't do" / hostNetwork: policies do not apply to hostNetwork pods (they use the node's network).
    const e = engine(netpol('x', 'deny-all', `
      podSelector: {}
      policyTypes: [Ingress, Egress]`));
    expect(e.set.selecting(e.cluster.podById.get('x/h')!)).toEqual([]);
    const out = probe(e, 'x/h', 'y/a', 80);
    expect([out.allowed, out.egress.subject]).toEqual([true, null]);
    const into = probe(e, 'y/a', 'x/h', 80);
    expect([into.allowed, into.ingress.subject]).toEqual([true, null]);
  });
});
