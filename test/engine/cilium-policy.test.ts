import { describe, expect, it } from 'vitest';
import { cnp, docs, engine, netpol, probe } from '../support/engine-fixture.js';

// Upstream: docs.cilium.io "Network Policy" (cilium/cilium Documentation/security/policy/{intro,language,layer3,layer4,
// kubernetes,deny}.rst) and the CiliumNetworkPolicy CRD (pkg/policy/api/rule.go).

const cidrGroup = `apiVersion: cilium.io/v2alpha1
kind: CiliumCIDRGroup
metadata: {name: partners}
spec: {externalCIDRs: [198.51.100.0/28]}
`;

const egressOfA = (rule: string) => engine(cnp('x', 'p', `
  endpointSelector: {matchLabels: {app: a}}
  egress: [${rule}]`));

const ingressOfA = (rule: string) => engine(cnp('x', 'p', `
  endpointSelector: {matchLabels: {app: a}}
  ingress: [${rule}]`));

describe('subjects', () => {
  it('selects every pod of its namespace with an empty endpointSelector in a CNP', () => {
    // kubernetes.rst "Namespaces": a CiliumNetworkPolicy only applies to endpoints of its own namespace; `{}` selects them all.
    const e = engine(cnp('x', 'p', `
      endpointSelector: {}
      ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]`));
    expect(probe(e, 'x/c', 'x/a', 80).allowed).toBe(false);
    expect(probe(e, 'x/a', 'x/c', 80).allowed).toBe(false);
    expect(probe(e, 'y/b', 'y/a', 80).allowed).toBe(true);
  });

  it('selects every pod of the cluster with an empty endpointSelector in a CCNP', () => {
    // policy/language "CiliumClusterwideNetworkPolicy": cluster-scoped; the endpointSelector is not limited to a namespace.
    const e = engine(cnp(null, 'p', `
      endpointSelector: {}
      ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]`));
    expect(probe(e, 'x/c', 'x/a', 80).allowed).toBe(false);
    expect(probe(e, 'x/c', 'y/a', 80).allowed).toBe(false);
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(true);
  });

  it('never applies a nodeSelector (host) policy to pods', () => {
    // host-firewall / rule.go NodeSelector: host policies select nodes, never endpoints of pods.
    const e = engine(cnp(null, 'host-policy', `
      nodeSelector: {matchLabels: {zone: one}}
      ingress: [{fromEntities: [cluster]}]
      egress: [{toEntities: [cluster]}]`));
    const d = probe(e, '203.0.113.5', 'x/a', 80);
    expect([d.allowed, d.reason]).toEqual([true, 'no-policy-selects']);
    expect(probe(e, 'x/a', '203.0.113.5', 80).allowed).toBe(true);
  });
});

describe('endpoint selectors', () => {
  it('limits fromEndpoints of a CNP to its own namespace', () => {
    // kubernetes.rst "Namespaces": fromEndpoints without a namespace label only select endpoints of the policy's namespace.
    const e = ingressOfA('{fromEndpoints: [{matchLabels: {app: b}}]}');
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(false);
  });

  it('limits toEndpoints of a CNP to its own namespace', () => {
    // kubernetes.rst "Namespaces": the same applies to toEndpoints.
    const e = egressOfA('{toEndpoints: [{matchLabels: {app: b}}]}');
    expect(probe(e, 'x/a', 'x/b', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', 'y/b', 80).allowed).toBe(false);
  });

  it('crosses namespaces when matchLabels names k8s:io.kubernetes.pod.namespace', () => {
    // kubernetes.rst "Namespaces" example: `k8s:io.kubernetes.pod.namespace: ns2` in fromEndpoints allows that namespace.
    const e = ingressOfA('{fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: y, app: b}}]}');
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(false);
  });

  it('crosses namespaces when matchExpressions names the namespace key', () => {
    // kubernetes.rst "Namespaces": any requirement on io.kubernetes.pod.namespace lifts the implicit namespace limit.
    const e = ingressOfA('{fromEndpoints: [{matchExpressions: [{key: k8s:io.kubernetes.pod.namespace, operator: Exists}], matchLabels: {app: b}}]}');
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'y/a', 'x/a', 80).allowed).toBe(false);
  });

  it('reads k8s:-prefixed keys as pod labels', () => {
    // policy/language "Label source": `k8s:` is the label source of pod labels; `k8s:app` and `app` select the same pods.
    const e = engine(cnp('x', 'p', `
      endpointSelector: {matchLabels: {k8s:app: a}}
      ingress: [{fromEndpoints: [{matchLabels: {k8s:app: b}}]}]`));
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/c', 'x/a', 80).allowed).toBe(false);
  });

  it('spans all namespaces with fromEndpoints of a CCNP that names no namespace', () => {
    // policy/language "CiliumClusterwideNetworkPolicy": its endpoint selectors are not scoped to a namespace.
    const e = engine(cnp(null, 'p', `
      endpointSelector: {matchLabels: {app: a, k8s:io.kubernetes.pod.namespace: x}}
      ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]`));
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/c', 'x/a', 80).allowed).toBe(false);
    expect(probe(e, 'x/c', 'y/a', 80).allowed).toBe(true); // y/a is not selected (namespace x only).
  });
});

describe('entities', () => {
  it('matches only addresses outside the cluster with world', () => {
    // layer3.rst "Entities Based": world is all endpoints outside of the cluster; pods and nodes are never world.
    const e = egressOfA('{toEntities: [world]}');
    expect(probe(e, 'x/a', '198.51.100.10', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', 'x/b', 80).allowed).toBe(false);
    expect(probe(e, 'x/a', '10.0.0.2', 80).allowed).toBe(false);
  });

  it('matches pods and nodes with cluster, not the world', () => {
    // layer3.rst "Entities Based": cluster is the logical group of all network endpoints inside the cluster, hosts included.
    const e = egressOfA('{toEntities: [cluster]}');
    expect(probe(e, 'x/a', 'y/b', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', '10.0.0.2', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', '10.0.0.1', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', '198.51.100.10', 80).allowed).toBe(false);
  });

  it('matches only the local node with host', () => {
    // layer3.rst "Entities Based": host is the local host, including host-network containers on it.
    const e = egressOfA('{toEntities: [host]}');
    expect(probe(e, 'x/a', 'host', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', '10.0.0.2', 80).allowed).toBe(false);
    expect(probe(e, 'x/a', 'x/b', 80).allowed).toBe(false);
  });

  it('matches other nodes with remote-node', () => {
    // layer3.rst "Entities Based": remote-node is any node in the cluster other than the local host.
    const eg = egressOfA('{toEntities: [remote-node]}');
    expect(probe(eg, 'x/a', '10.0.0.2', 80).allowed).toBe(true);
    expect(probe(eg, 'x/a', '10.0.0.1', 80).allowed).toBe(false);
    const ing = ingressOfA('{fromEntities: [remote-node]}');
    expect(probe(ing, '10.0.0.2', 'x/a', 80).allowed).toBe(true);
    expect(probe(ing, 'x/b', 'x/a', 80).allowed).toBe(false);
  });

  it('matches everything with all', () => {
    // layer3.rst "Entities Based": all is the combination of all known clusters as well as the world.
    const e = egressOfA('{toEntities: [all]}');
    for (const to of ['x/b', 'y/a', '10.0.0.2', '198.51.100.10']) expect(probe(e, 'x/a', to, 80).allowed).toBe(true);
  });
});

describe('CIDR', () => {
  it('applies toCIDR and toCIDRSet except', () => {
    // layer3.rst "IP/CIDR based": toCIDRSet allows a CIDR minus the `except` subnets.
    const e = egressOfA('{toCIDR: [203.0.113.0/24]}, {toCIDRSet: [{cidr: 198.51.100.0/24, except: [198.51.100.128/25]}]}');
    expect(probe(e, 'x/a', '203.0.113.9', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', '198.51.100.10', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', '198.51.100.200', 80).allowed).toBe(false);
    expect(probe(e, 'x/a', '192.0.2.1', 80).allowed).toBe(false);
  });

  it('never matches pods or nodes with CIDR selectors, not even 0.0.0.0/0', () => {
    // layer3.rst "IP/CIDR based": CIDR rules do not apply to traffic where both sides are managed by Cilium or are nodes.
    const e = egressOfA('{toCIDR: [0.0.0.0/0, 10.0.1.2/32]}');
    expect(probe(e, 'x/a', '198.51.100.10', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', 'x/b', 80).allowed).toBe(false);
    expect(probe(e, 'x/a', '10.0.0.2', 80).allowed).toBe(false);
    expect(probe(e, 'x/a', 'host', 80).allowed).toBe(false);
    const ing = ingressOfA('{fromCIDR: [0.0.0.0/0]}');
    expect(probe(ing, '203.0.113.5', 'x/a', 80).allowed).toBe(true);
    expect(probe(ing, 'y/b', 'x/a', 80).allowed).toBe(false);
    expect(probe(ing, '10.0.0.2', 'x/a', 80).allowed).toBe(false);
  });

  it('reads cidrGroupRef through a CiliumCIDRGroup', () => {
    // layer3.rst "IP/CIDR based": cidrGroupRef names a CiliumCIDRGroup whose externalCIDRs the rule allows.
    const e = engine(docs(cidrGroup, cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      egress: [{toCIDRSet: [{cidrGroupRef: partners}]}]`)));
    expect(probe(e, 'x/a', '198.51.100.10', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', '198.51.100.20', 80).allowed).toBe(false);
  });
});

describe('ports', () => {
  it('matches toPorts ports', () => {
    // layer4.rst "Limit ingress/egress ports": only the listed port/protocol is allowed.
    const e = egressOfA("{toEndpoints: [{}], toPorts: [{ports: [{port: '80', protocol: TCP}]}]}");
    expect(probe(e, 'x/a', 'x/b', 80).allowed).toBe(true);
    expect(probe(e, 'x/a', 'x/b', 81).allowed).toBe(false);
    expect(probe(e, 'x/a', 'x/b', 80, 'UDP').allowed).toBe(false);
  });

  it('matches a port range with endPort', () => {
    // layer4.rst "Port Ranges": port..endPort, both ends included.
    const e = egressOfA("{toEndpoints: [{}], toPorts: [{ports: [{port: '8000', endPort: 8010, protocol: TCP}]}]}");
    expect(probe(e, 'x/a', 'x/b', 8000).allowed).toBe(true);
    expect(probe(e, 'x/a', 'x/b', 8010).allowed).toBe(true);
    expect(probe(e, 'x/a', 'x/b', 8011).allowed).toBe(false);
    expect(probe(e, 'x/a', 'x/b', 7999).allowed).toBe(false);
  });

  it('matches TCP, UDP and SCTP with protocol ANY or no protocol', () => {
    // rule.go PortProtocol.Protocol: "Matches all protocols in case it is omitted or ANY" (TCP, UDP, SCTP).
    for (const proto of ['protocol: ANY', '']) {
      const e = egressOfA(`{toEndpoints: [{}], toPorts: [{ports: [{port: '80'${proto ? `, ${proto}` : ''}}]}]}`);
      expect(probe(e, 'x/a', 'x/b', 80, 'TCP').allowed).toBe(true);
      expect(probe(e, 'x/a', 'x/b', 80, 'UDP').allowed).toBe(true);
      expect(probe(e, 'x/a', 'x/b', 80, 'SCTP').allowed).toBe(true);
      expect(probe(e, 'x/a', 'x/b', 81, 'TCP').allowed).toBe(false);
    }
  });

  it('applies an L4-only rule to every peer', () => {
    // layer4.rst: "If no L3 rule is specified, the L4 rule applies to all endpoints" (pods, nodes and the world).
    const e = ingressOfA("{toPorts: [{ports: [{port: '80', protocol: TCP}]}]}");
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, '203.0.113.5', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, '10.0.0.2', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'y/b', 'x/a', 81).allowed).toBe(false);
  });
});

describe('default deny', () => {
  it('isolates but allows nothing with an empty rule `ingress: [{}]`', () => {
    // intro.rst "default" mode + language.rst: a rule with no peer selects nothing, yet the ingress section puts the pod in default deny.
    const e = ingressOfA('{}');
    const d = probe(e, 'x/b', 'x/a', 80);
    expect([d.allowed, d.reason]).toEqual([false, 'default-deny']);
  });

  it('does not isolate with `ingress: []`', () => {
    // rule.go Ingress: "If omitted or empty, this rule does not apply at ingress".
    const e = engine(cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      ingress: []`));
    const d = probe(e, 'x/b', 'x/a', 80);
    expect([d.allowed, d.ingress.isolatedBy]).toEqual([true, []]);
  });

  it('keeps a pod non-isolated with enableDefaultDeny ingress false, still reporting its allow rules', () => {
    // rule.go EnableDefaultDeny: false ⇒ the policy adds allows without putting the endpoint into default deny.
    const e = engine(cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      enableDefaultDeny: {ingress: false}
      ingress: [{fromEndpoints: [{matchLabels: {app: b}}]}]`));
    const other = probe(e, 'x/c', 'x/a', 80);
    expect([other.allowed, other.ingress.isolatedBy, other.ingress.selectedBy.length]).toEqual([true, [], 1]);
    const fromB = probe(e, 'x/b', 'x/a', 80);
    expect([fromB.allowed, fromB.reason, fromB.ingress.isolatedBy]).toEqual([true, 'allowed-by-rule', []]);
    expect(fromB.ingress.allowedBy.map((h) => [h.origin.name, h.rule.index])).toEqual([['p', 0]]);
  });
});

describe('deny rules', () => {
  it('lets ingressDeny win over an allow of the same policy', () => {
    // deny.rst: "Deny policies take precedence over allow policies".
    const e = engine(cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      ingress: [{fromEntities: [all]}]
      ingressDeny: [{fromEndpoints: [{matchLabels: {app: b}}]}]`));
    expect(probe(e, 'x/b', 'x/a', 80).reason).toBe('explicit-deny');
    expect(probe(e, 'x/c', 'x/a', 80).allowed).toBe(true);
  });

  it('lets a Cilium deny win over a Kubernetes NetworkPolicy allow', () => {
    // deny.rst: deny takes precedence "regardless of whether they are a Cilium Network Policy, ... or even a Kubernetes Network Policy".
    const e = engine(docs(
      netpol('x', 'allow-all', `
        podSelector: {}
        ingress: [{}]`),
      cnp(null, 'deny-b', `
        endpointSelector: {matchLabels: {app: a}}
        ingressDeny: [{fromEndpoints: [{matchLabels: {app: b}}]}]`),
    ));
    const d = probe(e, 'x/b', 'x/a', 80);
    expect([d.allowed, d.reason]).toEqual([false, 'explicit-deny']);
    expect(d.ingress.deniedBy.map((h) => [h.origin.kind, h.origin.name])).toEqual([['CiliumClusterwideNetworkPolicy', 'deny-b']]);
    expect(probe(e, 'x/c', 'x/a', 80).allowed).toBe(true);
  });

  it('lets egressDeny win over an egress allow', () => {
    // deny.rst: precedence holds for egress too (egressDeny).
    const e = engine(cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      egress: [{toEntities: [all]}]
      egressDeny: [{toCIDR: [198.51.100.0/24]}]`));
    const d = probe(e, 'x/a', '198.51.100.10', 443);
    expect([d.allowed, d.reason, d.egress.deniedBy[0]?.origin.name]).toEqual([false, 'explicit-deny', 'p']);
    expect(probe(e, 'x/a', '203.0.113.1', 443).allowed).toBe(true);
  });

  it('puts a pod into default deny with a deny-only policy', () => {
    // deny.rst: "Pods will enter default-deny mode as soon a single policy selects it"; rule.go EnableDefaultDeny defaults true for IngressDeny.
    const e = engine(cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      ingressDeny: [{fromEndpoints: [{matchLabels: {app: c}}]}]`));
    expect(probe(e, 'x/c', 'x/a', 80).reason).toBe('explicit-deny');
    const d = probe(e, 'x/b', 'x/a', 80);
    expect([d.allowed, d.reason]).toEqual([false, 'default-deny']);
  });
});

describe('endpoint selector scoping (pkg/policy/api getEndpointSelector)', () => {
  it('leaves a CNP selector on a reserved label unscoped: reserved:host matches the local node', () => {
    const e = egressOfA(`{toEndpoints: [{matchLabels: {'reserved:host': ''}}]}`);
    expect(probe(e, 'x/a', 'host', 10250).allowed).toBe(true);
    expect(probe(e, 'x/a', 'x/b', 80).allowed).toBe(false);
  });

  it('leaves a CNP selector on namespace labels unscoped', () => {
    const e = ingressOfA(`{fromEndpoints: [{matchLabels: {'k8s:io.cilium.k8s.namespace.labels.ns': y}}]}`);
    expect(probe(e, 'y/b', 'x/a', 80).allowed).toBe(true);
    expect(probe(e, 'x/b', 'x/a', 80).allowed).toBe(false);
  });

  it('never lets a CCNP label selector match the world or a node', () => {
    const e = engine(cnp(null, 'p', `
      endpointSelector: {matchLabels: {app: a}}
      egress: [{toEndpoints: [{matchExpressions: [{key: app, operator: DoesNotExist}]}]}]`));
    expect(probe(e, 'x/a', '198.18.0.10', 443).allowed).toBe(false);
    expect(probe(e, 'x/a', 'host', 10250).allowed).toBe(false);
  });
});
