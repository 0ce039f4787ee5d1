import { describe, expect, it } from 'vitest';
import { diffPorts, diffVerdicts } from '../../src/engine/diff.js';
import { BASE_CLUSTER, docs, engine, netpol, pod } from '../support/engine-fixture.js';

const P80 = [{ port: 80, protocol: 'TCP' as const }];
const isolateA = netpol('x', 'isolate-a', `
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: b}}}]
    ports: [{port: 80}]`);

describe('diffVerdicts', () => {
  it('reports no change for the same input', () => {
    const d = diffVerdicts(engine(isolateA), engine(isolateA), P80);
    expect(d.changes).toEqual([]);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
  });

  it('lists each pair and port whose verdict changed, with old and new reasons', () => {
    const d = diffVerdicts(engine(''), engine(isolateA), [...P80, { port: 443, protocol: 'TCP' }]);
    // x/a is isolated for ingress: every other (non-host-network) pod loses it, except x/b on 80.
    const to = d.changes.filter((c) => c.to === 'x/a');
    expect(to).toHaveLength(d.changes.length);
    expect(to.find((c) => c.from === 'x/b' && c.port === 80)).toBeUndefined();
    const c = to.find((x) => x.from === 'x/b' && x.port === 443)!;
    expect(c).toMatchObject({
      protocol: 'TCP',
      old: { allowed: true, reason: 'no-policy-selects' },
      new: { allowed: false, reason: 'default-deny' },
    });
    expect(c.new.explanation).toContain('NetworkPolicy x/isolate-a');
    // Ordered by source, destination, then the order of the given ports.
    expect(d.changes.filter((x) => x.from === 'x/c').map((x) => x.port)).toEqual([80, 443]);
    const froms = d.changes.map((x) => x.from);
    expect(froms).toEqual([...froms].sort());
    expect(d.changes.find((x) => x.from === 'x/c' && x.port === 80)?.new.allowed).toBe(false);
  });

  it('reports newly allowed pairs too', () => {
    const d = diffVerdicts(engine(isolateA), engine(''), P80);
    expect(d.changes.every((c) => !c.old.allowed && c.new.allowed && c.new.reason === 'no-policy-selects')).toBe(true);
    expect(d.changes.map((c) => c.from)).toContain('y/a');
  });

  it('compares pods present on both sides only and lists the others', () => {
    const extra = pod('x/new', '10.0.1.99', { app: 'b' });
    const old = engine('', { cluster: BASE_CLUSTER });
    const next = engine(isolateA, { cluster: docs(BASE_CLUSTER, extra) });
    const d = diffVerdicts(old, next, P80);
    expect(d.added).toEqual(['x/new']);
    expect(d.removed).toEqual([]);
    expect(d.changes.some((c) => c.from === 'x/new' || c.to === 'x/new')).toBe(false);
    expect(d.compared).not.toContain('x/new');
  });

  it('names the pods of the pair in explanations, not their class representative', () => {
    const twin = pod('x/a2', '10.0.1.98', { app: 'a' }, { ports: ['http:80/TCP', 'dns:53/UDP', 'sig:80/SCTP'] });
    const cluster = docs(BASE_CLUSTER, twin);
    const d = diffVerdicts(engine('', { cluster }), engine(isolateA, { cluster }), P80);
    const c = d.changes.find((x) => x.from === 'x/c' && x.to === 'x/a2')!;
    expect(c.old.explanation).toContain('x/a2');
    expect(c.old.explanation).not.toMatch(/x\/a\b(?!2)/);
  });

  it('diffPorts takes the union of both sides\' default ports', () => {
    const web = netpol('x', 'web', `
      podSelector: {matchLabels: {app: a}}
      ingress: [{ports: [{port: 8443}]}]`);
    const ports = diffPorts(engine(''), engine(web));
    expect(ports).toContainEqual({ port: 8443, protocol: 'TCP' });
    expect(ports).toContainEqual({ port: 53, protocol: 'UDP' });
  });
});
