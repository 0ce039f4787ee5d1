import { describe, expect, it } from 'vitest';
import { compile } from '../../src/dataplane/compile.js';
import { diff, plan } from '../../src/dataplane/nft/diff.js';
import { parseListing, render } from '../../src/dataplane/nft/render.js';
import type { Ruleset } from '../../src/dataplane/ruleset.js';
import { InternalError } from '../../src/shared/errors.js';
import { engine, pod } from '../support/engine-fixture.js';

const POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-from-a, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}], ports: [{port: 80}]}]
`;
const opts = { node: 'node1', enforcement: 'podwall' as const };
const withSets = (rs: Ruleset, f: (name: string, els: Ruleset['tables'][0]['sets'][0]['elements']) => Ruleset['tables'][0]['sets'][0]['elements']): Ruleset => ({
  tables: rs.tables.map((t) => ({ ...t, sets: t.sets.map((s) => ({ ...s, elements: f(s.name, s.elements) })) })),
});

describe('render', () => {
  const rs = compile(engine(POLICY), opts);
  const json = render(rs);

  it('replaces the table atomically: add, delete, then everything, in one transaction', () => {
    expect(json.nftables.slice(0, 3)).toEqual([
      { add: { table: { family: 'inet', name: 'podwall' } } },
      { delete: { table: { family: 'inet', name: 'podwall' } } },
      { add: { table: { family: 'inet', name: 'podwall' } } },
    ]);
    const order = { map: 0, set: 0, chain: 1, rule: 2, element: 3 } as Record<string, number>;
    const ranks = json.nftables.slice(3).map((c) => order[Object.keys(Object.values(c)[0] as object)[0]!]!);
    // Sets before chains before rules before elements: every reference points backwards.
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(new Set(ranks)).toEqual(new Set([0, 1, 2, 3]));
    expect(JSON.stringify(json)).toContain('"10.0.1.1"');
  });

  it('writes at most 512 elements per command, and ports of concatenated interval sets as ranges (nft 1.0.6)', () => {
    const big = withSets(rs, (name, els) => (name === 'egress_open' ? Array.from({ length: 1300 }, (_, i) => ({ key: [i + 1] })) : els));
    const cmds = render(big).nftables.filter((c) => JSON.stringify(c).includes('"name":"egress_open","elem"'));
    expect(cmds.map((c) => (c.add as { element: { elem: unknown[] } }).element.elem.length)).toEqual([512, 512, 276]);
    const ingress = render(rs).nftables.filter((c) => /"name":"ingress_\d+","elem"/.test(JSON.stringify(c)));
    expect(ingress.length).toBeGreaterThan(0);
    for (const cmd of ingress) for (const e of (cmd.add as { element: { elem: { concat: unknown[] }[] } }).element.elem) expect(e.concat[3]).toHaveProperty('range');
  });

  it('refuses values nft must never see', () => {
    const bad = withSets(rs, (name, els) => (name === 'ident' ? [...els, { key: [2 ** 32], value: 1 }] : els));
    expect(() => render(bad)).toThrow(InternalError);
    const badMark = withSets(rs, (name, els) => (name === 'egress_open' ? [{ key: [-1] }] : els));
    expect(() => render(badMark)).toThrow(InternalError);
  });
});

describe('diff', () => {
  const e1 = engine(POLICY);
  const first = compile(e1, opts);

  it('is empty when nothing changed', () => {
    expect(plan(first, compile(engine(POLICY), opts))).toMatchObject({ kind: 'none', json: { nftables: [] } });
  });

  it('changes only elements when the structure stays, deletes first', () => {
    const more = engine(`${POLICY}---\n${pod('x/a2', '10.0.1.3', { app: 'a' })}`);
    const p = plan(first, compile(more, opts));
    expect(p.kind).toBe('elements');
    const ops = p.json.nftables.map((c) => Object.keys(c)[0]);
    expect(ops).toEqual([...ops].sort((a, b) => (a === b ? 0 : a === 'delete' ? -1 : 1)));
    expect(JSON.stringify(p.json)).toContain('10.0.1.3');
    expect(JSON.stringify(p.json)).not.toContain('"chain"');
  });

  it('deletes and re-adds a map element whose value changed', () => {
    const next = withSets(first, (name, els) => (name === 'ident' ? els.map((e, i) => (i === 0 ? { ...e, value: 99 } : e)) : els));
    const cmds = diff(first, next).nftables;
    expect(cmds.map((c) => Object.keys(c)[0])).toEqual(['delete', 'add']);
    const [del, add] = cmds.map((c) => (Object.values(c)[0] as { element: { elem: unknown[] } }).element.elem);
    expect(add![0]).toEqual([del![0], 99]);
  });

  it('replaces the whole table when chains change, or with no previous state', () => {
    expect(plan(first, compile(e1, { ...opts, enforcement: 'none' })).kind).toBe('replace');
    expect(plan(null, first).json).toEqual(render(first));
  });

  it('starts over when in-place deletes would cost the kernel more (pipapo deletes scale with the set)', () => {
    const many = Array.from({ length: 400 }, (_, i) => ({ key: [i + 1, 1, 6, 80] }));
    const big = withSets(first, (name, els) => (name === 'egress_0' ? many : els));
    expect(plan(big, first).kind).toBe('replace');
    expect(plan(first, big)).toMatchObject({ kind: 'elements', added: 400, deleted: 0 });
    // An interval map is flushed and refilled instead, in the same transaction.
    const ident = first.tables[0]!.sets.find((x) => x.name === 'ident')!;
    const wide = withSets(first, (name, els) => (name === 'ident' ? Array.from({ length: 300 }, (_, i) => ({ key: [i * 2], value: 1 })) : els));
    const p = plan(wide, first);
    expect(p).toMatchObject({ kind: 'elements', refilled: ['ident'], added: ident.elements.length });
    expect(Object.keys(p.json.nftables[0]!)).toEqual(['flush']);
  });

  it('replaces the table when the kernel holds marks podwall never writes', () => {
    const prev = withSets(first, (name, els) => (name === 'egress_0' ? [...els, { key: [0x56000000, 1, 6, 80] }] : els));
    expect(plan(prev, first).kind).toBe('replace');
  });

  it('leaves the DNS proxy\'s fqdn elements alone', () => {
    const prev = withSets(first, (name, els) => (name === 'fqdn' ? [{ key: [1, 2, 6, 443], timeout: 30 }] : els));
    expect(plan(prev, first).kind).toBe('none');
  });
});

describe('parseListing', () => {
  it('reads prefixes, ranges, protocol names and rule comments back', () => {
    const listing = {
      nftables: [
        { metainfo: { json_schema_version: 1 } },
        { table: { family: 'inet', name: 'podwall', handle: 1 } },
        { map: { family: 'inet', table: 'podwall', name: 'ident', type: 'ipv4_addr', map: 'mark', flags: ['interval'], elem: [[{ prefix: { addr: '10.0.0.0', len: 8 } }, 3], ['10.244.0.1', 2]] } },
        { set: { family: 'inet', table: 'podwall', name: 'egress_0', type: ['mark', 'mark', 'inet_proto', 'inet_service'], flags: ['interval'], elem: [{ concat: [1, { range: [2, 5] }, 'tcp', { range: [80, 90] }] }] } },
        { map: { family: 'inet', table: 'podwall', name: 'egress_shards', type: 'mark', map: 'verdict', elem: [[0, { goto: { target: 'egress_check_0' } }]] } },
        { chain: { family: 'inet', table: 'podwall', name: 'forward', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
        { rule: { family: 'inet', table: 'podwall', chain: 'forward', comment: 'x #abc', expr: [] } },
        { table: { family: 'inet', name: 'other' } },
      ],
    };
    const rs = parseListing(listing)!;
    const t = rs.tables[0]!;
    expect(t.sets[0]!.elements).toEqual([{ key: [[0x0a000000, 0x0affffff]], value: 3 }, { key: [0x0af40001], value: 2 }]);
    expect(t.sets[1]!.elements).toEqual([{ key: [1, [2, 5], 6, [80, 90]] }]);
    expect(t.sets[2]).toMatchObject({ map: 'verdict', elements: [{ key: [0], goto: 'egress_check_0' }] });
    expect(t.chains).toEqual([{ name: 'forward', hook: 'forward', priority: 0, policy: 'accept', rules: [{ match: [], verdict: null, comment: 'x #abc' }] }]);
    expect(parseListing({ nftables: [{ table: { family: 'inet', name: 'other' } }] })).toBeNull();
  });
});
