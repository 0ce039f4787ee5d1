import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, type Node as YamlNode, type Document } from 'yaml';
import type { Diagnostic, SourcePos } from '../shared/diagnostic.js';

export type Path = (string | number)[];

/** One parsed document (or one item of a List document), with a way back from object paths to file positions. */
export interface ManifestDoc {
  readonly file: string;
  readonly doc: number;
  readonly value: unknown;
  /** Prefix of `value` inside the YAML document (['items', 3] for a List item). */
  readonly basePath: Path;
  /** Position of `path` (relative to `value`); the nearest existing ancestor when the path does not exist. */
  pos(path: Path): SourcePos;
}

export interface ParsedText {
  docs: ManifestDoc[];
  diagnostics: Diagnostic[];
}

function nodeAt(doc: Document.Parsed, path: Path): YamlNode | null {
  let node: unknown = doc.contents;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) return null;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
    } else {
      return null;
    }
    if (node === undefined || node === null) return null;
  }
  return (node as YamlNode) ?? null;
}

function makePos(file: string, index: number, doc: Document.Parsed, lc: LineCounter, base: Path) {
  return (path: Path): SourcePos => {
    const full = [...base, ...path];
    for (let n = full.length; n >= 0; n--) {
      const node = nodeAt(doc, full.slice(0, n));
      if (node?.range) {
        const { line, col } = lc.linePos(node.range[0]);
        return { file, doc: index, line, col };
      }
    }
    return { file, doc: index, line: 1, col: 1 };
  };
}

/**
 * Parse multi-document YAML (JSON is YAML too). Syntax errors become diagnostics with positions;
 * documents that are empty are dropped; `kind: List` and `*List` documents are unwrapped into their items.
 */
export function parseManifestText(text: string, file: string): ParsedText {
  const lc = new LineCounter();
  const docs: ManifestDoc[] = [];
  const diagnostics: Diagnostic[] = [];
  const all = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(all) ? all : [];
  list.forEach((doc, index) => {
    for (const err of [...doc.errors]) {
      const { line, col } = lc.linePos(err.pos[0]);
      diagnostics.push({
        code: 'PW1001', severity: 'error', path: [],
        message: `invalid YAML: ${err.message.split('\n')[0]}`,
        source: { file, doc: index, line, col },
      });
    }
    if (doc.errors.length > 0) return;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    const pos = makePos(file, index, doc, lc, []);
    if (isListObject(value)) {
      value.items.forEach((item, i) => {
        docs.push({ file, doc: index, value: item, basePath: ['items', i], pos: makePos(file, index, doc, lc, ['items', i]) });
      });
      return;
    }
    docs.push({ file, doc: index, value, basePath: [], pos });
  });
  return { docs, diagnostics };
}

function isListObject(v: unknown): v is { items: unknown[] } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.kind === 'string' && (o.kind === 'List' || o.kind.endsWith('List')) && Array.isArray(o.items);
}
