import { describe, expect, it } from 'vitest';
import { compile, compileDetailed } from '../../src/dataplane/compile.js';
import { identities } from '../../src/dataplane/identity.js';
import { portRanges } from '../../src/dataplane/ports.js';
import { render, stringify } from '../../src/dataplane/nft/render.js';
import { COMMENT_MAX_BYTES, cutBytes, ipv4Number, ruleComment, type Ruleset } from '../../src/dataplane/ruleset.js';
import { simulate } from '../../src/dataplane/simulate.js';
import { shardOf } from '../../src/dataplane/shards.js';
import { buildEngine } from '../../src/engine/engine.js';
import { engine } from '../support/engine-fixture.js';
import { randomCluster } from '../support/random-cluster.js';

const SERVER_FROM_CLIENT = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-from-a, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}]
    ports: [{port: http}, {port: 8000, endPort: 8080, protocol: TCP}]
  egress:
  - to: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}}]
`;

const table = (rs: Ruleset) => rs.tables[0]!;
const set = (rs: Ruleset, name: string) => table(rs).sets.find((s) => s.name === name)!;

describe('identities', () => {
  const e = engine(SERVER_FROM_CLIENT);
  const ids = identities(e.cluster, e.policies, { node: 'node1', podCidr: '10.0.0.0/16' });

  it('gives the node id 1, small consecutive ids, and the local pod classes first', () => {
    expect(ids.hostId).toBe(1);
    expect(ids.list.map((i) => i.id)).toEqual(ids.list.map((_, k) => k + 1));
    const kinds = ids.list.map((i) => (i.kind === 'pod' ? (i.local ? 'local' : 'pod') : i.kind));
    expect(kinds.indexOf('pod')).toBeGreaterThan(kinds.lastIndexOf('local'));
    expect(kinds.filter((k) => k === 'remote')).toHaveLength(1);
  });

  it('covers all of IPv4 with disjoint intervals; unknown pod-CIDR addresses are 0', () => {
    expect(ids.intervals[0]!.from).toBe(0);
    expect(ids.intervals[ids.intervals.length - 1]!.to).toBe(0xffffffff);
    ids.intervals.forEach((iv, k) => {
      if (k > 0) expect(iv.from).toBe(ids.intervals[k - 1]!.to + 1);
      if (k > 0) expect(iv.id === ids.intervals[k - 1]!.id).toBe(false);
    });
    const idOf = (ip: string) => ids.intervals.find((i) => ipv4Number(ip)! >= i.from && ipv4Number(ip)! <= i.to)!.id;
    expect(idOf('10.0.1.1')).toBe(ids.ofPod.get('x/a'));
    expect(idOf('10.0.0.1')).toBe(ids.hostId);
    expect(idOf('10.0.0.2')).toBe(ids.list.find((i) => i.kind === 'remote')!.id);
    expect(idOf('10.0.77.7')).toBe(0);
    // The ipBlock and its except cut the world; the hole is like outside (no peer matches either).
    const world = ['192.168.0.1', '192.168.1.1', '8.8.8.8', '192.168.200.1'].map(idOf);
    expect(new Set(world).size).toBe(2);
    expect(world[1]).toBe(world[2]);
    expect(world[0]).toBe(world[3]);
  });

  it('is deterministic and independent of input order', () => {
    const objects = randomCluster(7);
    const a = compile(buildEngine(objects), { node: 'n1', enforcement: 'podwall' });
    const b = compile(buildEngine(objects), { node: 'n1', enforcement: 'podwall' });
    const c = compile(buildEngine([...objects].reverse()), { node: 'n1', enforcement: 'podwall' });
    expect(stringify(render(a))).toBe(stringify(render(b)));
    expect(stringify(render(c))).toBe(stringify(render(a)));
  });
});

describe('port ranges', () => {
  it('cut at range ends and at the ports named ports resolve to, per protocol', () => {
    const e = engine(SERVER_FROM_CLIENT);
    const r = Object.fromEntries(portRanges(e.cluster, e.policies).map((p) => [p.protocol, p.ranges.map((x) => `${x.from}-${x.to}`)]));
    expect(r.TCP).toEqual(['0-79', '80-80', '81-7999', '8000-8080', '8081-65535']);
    expect(r.UDP).toEqual(['0-65535']);
    expect(r.SCTP).toEqual(['0-65535']);
  });
});

describe('compile', () => {
  const { ruleset: rs, ids } = compileDetailed(engine(SERVER_FROM_CLIENT), { node: 'node1', enforcement: 'podwall', podCidr: '10.0.0.0/16' });

  it('has the table shape of docs/lab.md', () => {
    const shards = (dir: string, what: (k: number) => string) => [`${dir}_shards`, ...Array.from({ length: 64 }, (_, k) => what(k))];
    expect(table(rs).sets.map((s) => s.name)).toEqual([
      'ident', 'local_pods', ...shards('egress', (k) => `egress_${k}`), ...shards('ingress', (k) => `ingress_${k}`),
      'egress_open', 'ingress_open', 'egress_deny', 'fqdn', 'dns_proxy', 'flowlog_egress', 'flowlog_ingress',
    ]);
    expect(table(rs).chains.map((c) => `${c.name}:${c.hook ?? ''}`)).toEqual([
      'forward:forward', 'input:input', 'egress_check:', 'ingress_check:', 'egress_rest:', 'ingress_rest:',
      ...Array.from({ length: 64 }, (_, k) => `egress_check_${k}:`), ...Array.from({ length: 64 }, (_, k) => `ingress_check_${k}:`),
      ...['E0', 'E1', 'E2', 'E3', 'E4', 'I0', 'I1', 'I3', 'U0', 'U1'].map((code) => `log_${code}:`),
    ]);
    for (const hook of ['forward', 'input']) {
      expect(table(rs).chains.find((c) => c.name === hook)!.rules[0]!.match).toEqual([{ type: 'ct-state', states: ['established', 'related'] }]);
    }
    expect(set(rs, 'fqdn').flags).toEqual(['timeout']);
    expect(set(rs, 'fqdn').elements).toEqual([]);
  });

  it('merges ports: b admits a on 80 (named http) and 8000-8080 only', () => {
    const a = ids.ofPod.get('x/a')!;
    const b = ids.ofPod.get('x/b')!;
    expect(set(rs, `ingress_${shardOf(b)}`).elements.filter((e) => e.key[0] === a && e.key[1] === b)).toEqual([
      { key: [a, b, 6, 80] }, { key: [a, b, 6, [8000, 8080]] },
    ]);
    expect(set(rs, 'ingress_open').elements.some((e) => e.key[0] === b)).toBe(false);
  });

  it('gives every rule a comment of at most 128 bytes that ends in its content hash', () => {
    for (const c of table(rs).chains) {
      for (const r of c.rules) {
        expect(new TextEncoder().encode(r.comment).length).toBeLessThanOrEqual(COMMENT_MAX_BYTES);
        expect(r.comment).toBe(ruleComment(r.comment.replace(/ #[a-z2-7]+$/, ''), r));
      }
    }
    const long = ruleComment('ü'.repeat(200), { match: [], verdict: null });
    expect(new TextEncoder().encode(long).length).toBeLessThanOrEqual(128);
    expect(cutBytes('abcdef', 5)).toBe('ab…');
  });

  it('drops an unknown pod-CIDR source, even towards an open pod, and keeps replies', () => {
    const p = { proto: 'tcp' as const, dport: 80 };
    expect(simulate(rs, 'forward', { ...p, saddr: '10.0.77.7', daddr: '10.0.1.11', ct: 'new' }).verdict).toBe('drop');
    expect(simulate(rs, 'forward', { ...p, saddr: '10.0.1.11', daddr: '10.0.1.1', ct: 'new' }).verdict).toBe('accept');
    expect(simulate(rs, 'forward', { ...p, saddr: '10.0.1.11', daddr: '10.0.1.2', ct: 'new' }).verdict).toBe('drop');
    expect(simulate(rs, 'forward', { ...p, saddr: '10.0.1.11', daddr: '10.0.1.2', ct: 'established' }).verdict).toBe('accept');
    const r = simulate(rs, 'forward', { ...p, saddr: '10.0.1.1', daddr: '10.0.1.2', ct: 'new' });
    expect(r).toMatchObject({ verdict: 'accept', path: ['forward', 'egress_check', 'log_E0', 'ingress_check', `ingress_check_${shardOf(ids.ofPod.get('x/b')!)}`, 'log_I1'] });
  });

  it('with enforcement none only accepts', () => {
    const none = compile(engine(SERVER_FROM_CLIENT), { node: 'node1', enforcement: 'none' });
    for (const c of table(none).chains) expect(c.rules.map((r) => r.verdict)).toEqual([{ type: 'accept' }]);
    expect(simulate(none, 'forward', { saddr: '10.0.1.11', daddr: '10.0.1.2', proto: 'tcp', dport: 1, ct: 'new' }).verdict).toBe('accept');
  });
});
