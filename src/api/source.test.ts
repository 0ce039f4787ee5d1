import { describe, expect, it } from 'vitest';
import { parseManifestText } from './source.js';

describe('parseManifestText', () => {
  it('reads multi-document YAML and drops empty documents', () => {
    const r = parseManifestText('---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n', 'f.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.docs.map((d) => (d.value as { metadata: { name: string } }).metadata.name)).toEqual(['a', 'b']);
    expect(r.docs[1]!.pos(['metadata', 'name'])).toMatchObject({ file: 'f.yaml', doc: 2, line: 9, col: 18 });
  });

  it('reads JSON, with positions', () => {
    const r = parseManifestText('{\n  "apiVersion": "v1",\n  "kind": "Namespace",\n  "metadata": {"name": "a"}\n}\n', 'f.json');
    expect(r.docs).toHaveLength(1);
    expect(r.docs[0]!.pos(['kind'])).toMatchObject({ line: 3, col: 11 });
  });

  it('unwraps List and *List kinds, keeping positions inside items', () => {
    const r = parseManifestText('apiVersion: v1\nkind: PodList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n', 'l.yaml');
    expect(r.docs).toHaveLength(1);
    expect(r.docs[0]!.basePath).toEqual(['items', 0]);
    expect(r.docs[0]!.pos(['metadata'])).toMatchObject({ line: 6, col: 13 });
  });

  it('points a missing path at its nearest existing ancestor', () => {
    const r = parseManifestText('kind: Pod\nspec:\n  containers: []\n', 'p.yaml');
    expect(r.docs[0]!.pos(['spec', 'nodeName'])).toMatchObject({ line: 3, col: 3 });
  });

  it('reports syntax errors and duplicate keys with positions, and keeps no object from that document', () => {
    const bad = parseManifestText('kind: Pod\nmetadata:\n  name: a\n  name: b\n', 'd.yaml');
    expect(bad.diagnostics.map((d) => [d.code, d.source?.line])).toEqual([['PW1001', 4]]);
    expect(bad.docs).toEqual([]);
    const broken = parseManifestText('kind: [Pod\n', 'b.yaml');
    expect(broken.diagnostics[0]).toMatchObject({ code: 'PW1001', severity: 'error' });
  });
});
