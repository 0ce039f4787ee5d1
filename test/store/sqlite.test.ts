import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiObject, Pod } from '../../src/api/types.js';
import {
  AlreadyExistsError, ForbiddenError, LabelConflictError, NamespaceNotFoundError, NotFoundError, openStore, type Store,
} from '../../src/store/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'podwall-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (opts: Parameters<typeof openStore>[1] = {}): Store => openStore(join(tmp, `s${n++}`, 'store.db'), opts);

const ns = (name: string): ApiObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const pod = (name: string, namespace = 'demo', labels: Record<string, string> = {}, extra: Partial<Pod> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'c' }] }, ...extra,
});
const podKey = (name: string, namespace = 'demo') => ({ kind: 'Pod' as const, namespace, name });
const rv = (o: ApiObject | undefined) => (o?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;

describe('sqlite store: revisions and apply', () => {
  it('starts at revision 1 with the namespaces every cluster has', () => {
    const s = fresh();
    const snap = s.list();
    expect(snap.revision).toBe(1);
    expect(snap.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/default', 'Namespace/kube-system']);
    expect(snap.objects[0]!.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'default' });
    expect(snap.settings).toEqual({ networkPolicy: 'podwall' });
    s.close();
  });

  it('one apply is one revision; results say created, configured, unchanged', () => {
    const s = fresh();
    const first = s.applyDetailed([ns('demo'), pod('a'), pod('b')]);
    expect(first.revision).toBe(2);
    expect(first.results.map((r) => r.action)).toEqual(['created', 'created', 'created']);
    const second = s.applyDetailed([pod('a', 'demo', { app: 'x' }), pod('b')]);
    expect(second.revision).toBe(3);
    expect(second.results.map((r) => r.action)).toEqual(['configured', 'unchanged']);
    expect(rv(s.get(podKey('a')))).toBe('3');
    expect(rv(s.get(podKey('b')))).toBe('2'); // unchanged keeps the revision that last wrote it
    s.close();
  });

  it('an apply that changes nothing does not move the revision, and keeps the creation time', () => {
    let t = Date.parse('2024-01-01T00:00:00Z');
    const s = fresh({ now: () => new Date(t) });
    s.apply([ns('demo'), pod('a')]);
    t += 60_000;
    const again = s.applyDetailed([ns('demo'), pod('a')]);
    expect(again.results.map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
    expect(again.revision).toBe(2);
    expect(s.revision()).toBe(2);
    s.apply([pod('a', 'demo', { v: '2' })]);
    expect((s.get(podKey('a'))!.metadata as { creationTimestamp?: string }).creationTimestamp).toBe('2024-01-01T00:00:00Z');
    s.close();
  });

  it('server fields in a manifest (exported with kubectl get -o yaml) do not count as changes', () => {
    const s = fresh();
    s.apply([ns('demo'), pod('a')]);
    const exported = s.get(podKey('a'))!;
    expect(s.applyDetailed([{ ...exported, metadata: { ...exported.metadata, resourceVersion: '999', uid: 'x' } } as unknown as ApiObject]).results[0]!.action).toBe('unchanged');
    s.close();
  });

  it('a namespaced object needs its namespace: nothing of the batch is written', () => {
    const s = fresh();
    expect(() => s.apply([pod('ok', 'default'), pod('x', 'nope')])).toThrow(NamespaceNotFoundError);
    expect(s.get(podKey('ok', 'default'))).toBeUndefined();
    expect(s.revision()).toBe(1);
    // default and kube-system always exist; a namespace in the same batch counts
    expect(s.applyDetailed([pod('p', 'kube-system'), pod('q', 'new'), ns('new')]).results).toHaveLength(3);
    s.close();
  });

  it('keepLabFields keeps spec.nodeName and status a re-applied pod omits', () => {
    const s = fresh();
    s.apply([ns('demo'), pod('a', 'demo', {}, { spec: { nodeName: 'node1', containers: [{ name: 'c' }] }, status: { podIP: '10.244.0.2', phase: 'Running' } })]);
    const r = s.applyDetailed([pod('a')], { keepLabFields: true });
    expect(r.results[0]!.action).toBe('unchanged');
    expect((s.get(podKey('a')) as Pod).status?.podIP).toBe('10.244.0.2');
    s.apply([pod('a')]); // the lab's own writes replace
    expect((s.get(podKey('a')) as Pod).status).toBeUndefined();
    s.close();
  });

  it('createOnly refuses an existing object', () => {
    const s = fresh();
    s.apply([ns('demo')]);
    expect(() => s.apply([ns('demo')], { createOnly: true })).toThrow(AlreadyExistsError);
    s.close();
  });
});

describe('sqlite store: delete, labels, settings', () => {
  it('deleting a namespace deletes everything in it, in one revision, and returns it all', () => {
    const s = fresh();
    s.apply([ns('demo'), ns('other'), pod('a'), pod('b'), pod('c', 'other')]);
    const out = s.deleteDetailed([{ kind: 'Namespace', name: 'demo' }, podKey('zz', 'other')]);
    expect(out.revision).toBe(3);
    expect(out.deleted.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['Namespace/demo', 'Pod/a', 'Pod/b']);
    expect(out.missing).toEqual([podKey('zz', 'other')]);
    expect(s.list().objects.map((o) => o.metadata.name)).toEqual(['default', 'kube-system', 'other', 'c']);
    expect(() => s.delete([{ kind: 'Namespace', name: 'default' }])).toThrow(ForbiddenError);
    expect(s.delete([podKey('nothing')])).toBe(3); // nothing deleted: no new revision
    s.close();
  });

  it('labels: kubectl overwrite rules, removal, no-op without a new revision', () => {
    const s = fresh();
    s.apply([ns('demo'), pod('a', 'demo', { app: 'x' })]);
    expect(() => s.setLabels(podKey('a'), { app: 'y' }, { overwrite: false })).toThrow(LabelConflictError);
    expect(s.setLabelsDetailed(podKey('a'), { app: 'x', tier: 'web' }, { overwrite: false }).changed).toBe(true);
    const same = s.setLabelsDetailed(podKey('a'), { app: 'x' }, { overwrite: false });
    expect(same).toMatchObject({ changed: false, revision: 3 });
    expect(s.setLabels(podKey('a'), { app: 'y', tier: null })).toBe(4); // default: overwrite
    expect(s.get(podKey('a'))!.metadata.labels).toEqual({ app: 'y' });
    expect(() => s.setLabels(podKey('nope'), { a: 'b' })).toThrow(NotFoundError);
    s.close();
  });

  it('settings: defaults, a change moves the revision, the same value does not', () => {
    const s = fresh();
    expect(s.settings()).toEqual({ networkPolicy: 'podwall' });
    expect(s.setSettings({ networkPolicy: 'none' })).toBe(2);
    expect(s.setSettings({ networkPolicy: 'none' })).toBe(2);
    expect(s.list()).toMatchObject({ revision: 2, settings: { networkPolicy: 'none' } });
    s.close();
  });

  it('everything persists across a reopen', () => {
    const path = join(tmp, 'reopen', 'store.db');
    const a = openStore(path);
    a.apply([ns('demo'), pod('a')]);
    a.setSettings({ networkPolicy: 'none' });
    a.close();
    const b = openStore(path);
    expect(b.revision()).toBe(3);
    expect(b.get(podKey('a'))?.metadata.name).toBe('a');
    expect(b.settings().networkPolicy).toBe('none');
    b.close();
  });
});

describe('sqlite store: two connections', () => {
  it('a reader inside read() keeps its snapshot while another connection commits', () => {
    const path = join(tmp, 'two', 'store.db');
    const reader = openStore(path);
    const writer = openStore(path);
    writer.apply([ns('demo'), pod('a')]);
    reader.read(() => {
      const before = reader.list();
      writer.apply([pod('b'), pod('c')]);
      writer.setLabels(podKey('a'), { app: 'changed' });
      const during = reader.list();
      expect(during).toEqual(before);
      expect(reader.revision()).toBe(before.revision);
      expect(writer.revision()).toBe(before.revision + 2);
    });
    const after = reader.list();
    expect(after.revision).toBe(writer.revision());
    expect(after.objects.filter((o) => o.kind === 'Pod').map((o) => o.metadata.name)).toEqual(['a', 'b', 'c']);
    reader.close();
    writer.close();
  });

  it('revision() sees another connection\'s commits at once (what the agents poll)', () => {
    const path = join(tmp, 'poll', 'store.db');
    const agent = openStore(path);
    const cli = openStore(path);
    const r0 = agent.revision();
    cli.apply([ns('x')]);
    expect(agent.revision()).toBe(r0 + 1);
    agent.close();
    cli.close();
  });
});

describe('sqlite store: listSince', () => {
  it('equals list(), reusing the objects whose revision did not change', () => {
    const s = fresh();
    s.apply([ns('demo'), pod('a'), pod('b'), pod('c')]);
    const first = s.listSince(null);
    s.setLabels(podKey('b'), { app: 'x' });
    s.delete([podKey('c')]);
    s.apply([pod('d')]);
    const second = s.listSince(first);
    expect(second).toEqual(s.list());
    const byName = (snap: typeof first, name: string) => snap.objects.find((o) => o.metadata.name === name);
    expect(byName(second, 'a')).toBe(byName(first, 'a'));
    expect(byName(second, 'b')).not.toBe(byName(first, 'b'));
    expect(byName(second, 'b')!.metadata.labels).toEqual({ app: 'x' });
    expect(byName(second, 'c')).toBeUndefined();
    // Only writes, no deletes: the changed rows alone, new ones sorted in.
    s.apply([pod('0first'), pod('zlast', 'default')]);
    s.setLabels(podKey('a'), { app: 'y' });
    const third = s.listSince(second);
    expect(third).toEqual(s.list());
    expect(byName(third, 'd')).toBe(byName(second, 'd'));
    s.setSettings({ networkPolicy: 'none' });
    expect(s.listSince(third)).toEqual(s.list());
    s.close();
  });
});
