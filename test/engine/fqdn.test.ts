import { describe, expect, it } from 'vitest';
import { compileFqdnSelector } from '../../src/fqdn/pattern.js';
import { answersFrom, cnp, docs, engine, podOf, probe } from '../support/engine-fixture.js';

// Upstream: docs.cilium.io security/policy/language "DNS based" (cilium/cilium Documentation/security/policy/layer3.rst,
// pkg/policy/api/fqdn.go, pkg/fqdn/matchpattern).

const name = (n: string) => compileFqdnSelector({ matchName: n });
const pattern = (p: string) => compileFqdnSelector({ matchPattern: p });

describe('FQDN selectors', () => {
  it('matches matchName exactly, case-insensitively, ignoring a trailing dot', () => {
    // layer3.rst "DNS based": matchName is an exact name; DNS names compare case-insensitively and FQDNs end in an implicit root dot.
    const m = name('Example.COM.');
    expect(['example.com', 'EXAMPLE.com', 'example.com.'].map((n) => m.matches(n))).toEqual([true, true, true]);
    expect(['www.example.com', 'example.co', 'example.com.au'].map((n) => m.matches(n))).toEqual([false, false, false]);
  });

  it('matches one label with `*.example.com`', () => {
    // layer3.rst "DNS based": `*` matches zero or more valid DNS characters except `.`, so `*.cilium.io` is one subdomain level.
    const m = pattern('*.example.com');
    expect(m.matches('a.example.com')).toBe(true);
    expect(m.matches('example.com')).toBe(false);
    expect(m.matches('a.b.example.com')).toBe(false);
  });

  it('lets `*` inside a label match zero characters', () => {
    // pkg/fqdn/matchpattern: `*` becomes `[-a-zA-Z0-9_]*` (zero or more characters).
    const m = pattern('part*ial.com');
    expect(m.matches('partial.com')).toBe(true);
    expect(m.matches('partXYZial.com')).toBe(true);
    expect(m.matches('part.ial.com')).toBe(false);
  });

  it('matches every name with a bare `*`', () => {
    // layer3.rst "DNS based": "`*` alone matches all names".
    const m = pattern('*');
    expect(['example.com', 'a.b.c.example.org', 'localhost'].every((n) => m.matches(n))).toBe(true);
  });

  it('matches one or more labels with `**.example.com`, but not the apex', () => {
    // layer3.rst "DNS based" (latest): `**.cilium.io` matches app.cilium.io and test.app.cilium.io but not cilium.io.
    const m = pattern('**.example.com');
    expect(m.matches('a.example.com')).toBe(true);
    expect(m.matches('a.b.example.com')).toBe(true);
    expect(m.matches('example.com')).toBe(false);
    expect(m.matches('notexample.com')).toBe(false);
  });
});

// The DNS rule of the Cilium docs (examples/policies/l3/fqdn/fqdn.yaml): lookups to kube-dns go through the DNS proxy.
const KUBE_DNS = '{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns}}';
const dnsRule = (patterns = "[{matchPattern: '*'}]") =>
  `{toEndpoints: [${KUBE_DNS}], toPorts: [{ports: [{port: '53', protocol: ANY}], rules: {dns: ${patterns}}}]}`;
const fqdnRule = "{toFQDNs: [{matchName: example.com}, {matchName: api.example.com}], toPorts: [{ports: [{port: '443', protocol: TCP}]}]}";
const fqdnPolicy = (rules: string[], selector = '{matchLabels: {app: a}}', ns = 'x') => cnp(ns, 'fqdn', `
  endpointSelector: ${selector}
  egress: [${rules.join(', ')}]`);

describe('toFQDNs in the engine', () => {
  const answers = answersFrom();

  it('allows a name learned from an allowed, proxied lookup', () => {
    // layer3.rst "DNS based": IPs are inserted from DNS responses seen by the DNS proxy, which needs an L7 DNS rule.
    const e = engine(fqdnPolicy([dnsRule(), fqdnRule]), { answers });
    expect(e.dns.outcome(podOf(e, 'x/a'), 'example.com').status).toBe('learned');
    expect(probe(e, 'x/a', 'example.com', 443).allowed).toBe(true);
    expect(probe(e, 'x/a', 'blocked.com', 443).allowed).toBe(false);
    expect(probe(e, 'x/a', 'sub.api.example.com', 443).allowed).toBe(false); // matchName is exact.
  });

  it('learns nothing from a lookup the policy drops (the seed policy without a DNS rule)', () => {
    // layer3.rst "DNS based" note: the DNS proxy needs a policy allowing DNS; intro.rst: the egress section puts the pod in default deny.
    const e = engine(fqdnPolicy([fqdnRule]), { answers });
    expect(e.dns.outcome(podOf(e, 'x/a'), 'example.com').status).toBe('dropped');
    expect(probe(e, 'x/a', '10.96.0.10', 53, 'UDP').allowed).toBe(false);
    expect(probe(e, 'x/a', 'example.com', 443).allowed).toBe(false);
  });

  it('learns nothing from a lookup allowed without an L7 DNS rule', () => {
    // layer3.rst "DNS based": only DNS traffic redirected to the proxy (toPorts.rules.dns) feeds toFQDNs.
    const e = engine(fqdnPolicy([`{toEndpoints: [${KUBE_DNS}], toPorts: [{ports: [{port: '53', protocol: UDP}]}]}`, fqdnRule]), { answers });
    expect(e.dns.outcome(podOf(e, 'x/a'), 'example.com').status).toBe('resolved');
    expect(probe(e, 'x/a', 'example.com', 443).allowed).toBe(false);
  });

  it('sends lookups to the kube-dns backends, so a DNS rule scoped to another namespace drops them', () => {
    // kubernetes.rst "Namespaces": toEndpoints without a namespace label stay in the policy's namespace (x), not kube-system.
    const scopedToX = "{toEndpoints: [{matchLabels: {k8s:k8s-app: kube-dns}}], toPorts: [{ports: [{port: '53', protocol: ANY}], rules: {dns: [{matchPattern: '*'}]}}]}";
    const e = engine(fqdnPolicy([scopedToX, fqdnRule]), { answers });
    const o = e.dns.outcome(podOf(e, 'x/a'), 'example.com');
    expect([o.status, o.server]).toEqual(['dropped', 'kube-system/coredns (10.0.9.53)']);
    expect(probe(e, 'x/a', 'example.com', 443).allowed).toBe(false);
  });

  it('learns only the names the DNS rule patterns accept', () => {
    // layer3.rst "DNS based": the DNS proxy refuses lookups that no rules.dns pattern matches; refused lookups insert no IP.
    const e = engine(fqdnPolicy([dnsRule('[{matchName: api.example.com}]'), fqdnRule]), { answers });
    expect(e.dns.outcome(podOf(e, 'x/a'), 'api.example.com').status).toBe('learned');
    expect(e.dns.outcome(podOf(e, 'x/a'), 'example.com').status).toBe('refused');
    expect(probe(e, 'x/a', 'api.example.com', 443).allowed).toBe(true);
    expect(probe(e, 'x/a', 'example.com', 443).allowed).toBe(false);
  });

  it('grants only the toPorts listed with toFQDNs', () => {
    // layer3.rst "DNS based" + layer4.rst: toPorts restricts the L3 toFQDNs selection to those ports.
    const e = engine(fqdnPolicy([dnsRule(), fqdnRule]), { answers });
    expect(probe(e, 'x/a', 'example.com', 443).allowed).toBe(true);
    expect(probe(e, 'x/a', 'example.com', 80).allowed).toBe(false);
    expect(probe(e, 'x/a', 'example.com', 443, 'UDP').allowed).toBe(false);
  });

  it("does not teach pod A what pod B looked up", () => {
    // layer3.rst "DNS based": the DNS proxy learns per endpoint; an endpoint's toFQDNs use the names that endpoint resolved.
    const e = engine(fqdnPolicy([dnsRule(), fqdnRule], '{}'), { answers, lookedUp: { 'x/b': ['example.com'] } });
    expect(probe(e, 'x/b', 'example.com', 443).allowed).toBe(true);
    expect(probe(e, 'x/a', 'example.com', 443).allowed).toBe(false);
  });

  it('allows nothing through toFQDNs when no lookup happened', () => {
    // layer3.rst "DNS based": without a DNS response there is no IP for the name, so its IPs stay in default deny.
    const e = engine(fqdnPolicy([dnsRule(), fqdnRule]), { answers, lookedUp: {} });
    expect(probe(e, 'x/a', 'example.com', 443).allowed).toBe(false);
  });

  it('still proxies lookups through a DNS rule whose policy disables default deny', () => {
    // intro.rst "Endpoint default policy": the intercept-all-dns example (enableDefaultDeny false) intercepts all DNS but blocks nothing.
    const interceptAllDns = cnp(null, 'intercept-all-dns', `
      endpointSelector:
        matchExpressions:
        - {key: io.kubernetes.pod.namespace, operator: NotIn, values: [kube-system]}
        - {key: k8s-app, operator: NotIn, values: [kube-dns]}
      enableDefaultDeny: {egress: false, ingress: false}
      egress:
      - toEndpoints: [{matchLabels: {io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]
        toPorts: [{ports: [{port: '53', protocol: TCP}, {port: '53', protocol: UDP}], rules: {dns: [{matchPattern: '*'}]}}]`);
    const alone = engine(interceptAllDns, { answers });
    expect(alone.dns.outcome(podOf(alone, 'x/a'), 'example.com').status).toBe('learned');
    expect(probe(alone, 'x/a', 'blocked.com', 443).allowed).toBe(true);
    expect(probe(alone, 'x/a', 'x/b', 80).allowed).toBe(true);
    // With a toFQDNs-only policy on x/a (the seed), the intercepted lookups now feed its toFQDNs selector.
    const withSeed = engine(docs(interceptAllDns, fqdnPolicy([fqdnRule])), { answers });
    expect(probe(withSeed, 'x/a', 'example.com', 443).allowed).toBe(true);
    expect(probe(withSeed, 'x/a', 'blocked.com', 443).allowed).toBe(false);
  });

  it('reports each lookup status', () => {
    // podwall's DnsKnowledge model of the Cilium DNS proxy: learned, resolved, refused, dropped, no-answer.
    const e = engine(docs(
      fqdnPolicy([dnsRule("[{matchPattern: '*.example.com'}, {matchName: nowhere.test}]"), fqdnRule]),
      fqdnPolicy([fqdnRule], '{}', 'y'),
    ), { answers });
    const xa = podOf(e, 'x/a');
    expect(e.dns.outcome(xa, 'api.example.com').status).toBe('learned');
    expect(e.dns.outcome(xa, 'google.com').status).toBe('refused');
    expect(e.dns.outcome(xa, 'nowhere.test').status).toBe('no-answer');
    expect(e.dns.outcome(podOf(e, 'x/b'), 'google.com').status).toBe('resolved'); // no policy: allowed, not proxied.
    expect(e.dns.outcome(podOf(e, 'y/a'), 'google.com').status).toBe('dropped');
  });
});
