import { describe, expect, it } from 'vitest';
import { compile } from '../../src/dataplane/compile.js';
import { ipv4Number, type Ruleset } from '../../src/dataplane/ruleset.js';
import { simulate } from '../../src/dataplane/simulate.js';
import { answersFrom, cnp, engine } from '../support/engine-fixture.js';

// The DNS proxy adds the addresses it answered into the `fqdn` set at run time, unaware of deny rules.
// Deny still takes precedence over the toFQDNs allow (Cilium: deny policies win over allows; the engine
// agrees), so an egressDeny must be checked before the fqdn set in the kernel too.
const KUBE_DNS = '{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns}}';
const ALLOW = cnp('x', 'fqdn', `
  endpointSelector: {matchLabels: {app: a}}
  egress:
  - toEndpoints: [${KUBE_DNS}]
    toPorts: [{ports: [{port: '53', protocol: ANY}], rules: {dns: [{matchPattern: '*'}]}}]
  - toFQDNs: [{matchName: example.com}, {matchName: api.example.com}]
    toPorts: [{ports: [{port: '443', protocol: TCP}]}]`);
const DENY = cnp('x', 'deny-one', `
  endpointSelector: {matchLabels: {app: a}}
  egressDeny:
  - toCIDR: [198.51.100.10/32]
    toPorts: [{ports: [{port: '443', protocol: TCP}]}]`);

const A = '10.0.1.1';
/** What the DNS proxy would have added after a.example.com and api.example.com lookups. */
function withLearned(rs: Ruleset): Ruleset {
  const learned = ['198.51.100.10', '198.51.100.11'].map((ip) => ({ key: [ipv4Number(A)!, ipv4Number(ip)!, 6, 443], timeout: 300 }));
  return { tables: rs.tables.map((t) => ({ ...t, sets: t.sets.map((s) => (s.name === 'fqdn' ? { ...s, elements: learned } : s)) })) };
}
const connect = (rs: Ruleset, daddr: string) => simulate(rs, 'forward', { saddr: A, daddr, proto: 'tcp', dport: 443, ct: 'new' });

describe('explicit egress deny before toFQDNs addresses', () => {
  const opts = { node: 'node1', enforcement: 'podwall' as const, podCidr: '10.0.0.0/16' };

  it('without a deny, both learned addresses pass', () => {
    const rs = withLearned(compile(engine(ALLOW), opts));
    expect(connect(rs, '198.51.100.10').verdict).toBe('accept');
    expect(connect(rs, '198.51.100.11').verdict).toBe('accept');
  });

  it('an egressDeny toCIDR wins over the learned address it covers, and only over that one', () => {
    const e = engine(`${ALLOW}---\n${DENY}`, { answers: answersFrom(), lookedUp: { 'x/a': ['example.com', 'api.example.com'] } });
    const rs = withLearned(compile(e, opts));
    const denied = connect(rs, '198.51.100.10');
    expect(denied.verdict).toBe('drop');
    expect(denied.comment).toMatch(/explicit egress deny/);
    expect(connect(rs, '198.51.100.11').verdict).toBe('accept');
    // The engine, given the same lookups, decides the same.
    const a = e.cluster.pods.find((p) => p.id === 'x/a')!;
    const flow = (ip: string) => e.evaluate({ src: { kind: 'pod', pod: a, ip: A }, dst: { kind: 'world', ip, names: [] }, port: 443, protocol: 'TCP' } as never);
    expect(flow('198.51.100.10').allowed).toBe(false);
    expect(flow('198.51.100.11').allowed).toBe(true);
  });
});
