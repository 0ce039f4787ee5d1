import type { Diagnostic } from '../shared/diagnostic.js';
import { parseManifestText, type ManifestDoc } from './source.js';
import type { ApiObject } from './types.js';
import { NAMESPACED_KINDS } from './types.js';
import { validateDocument } from './validate/index.js';

export interface ManifestSource {
  file: string;
  text: string;
}

/** A validated object and the document it came from (for positions in later diagnostics). */
export interface LoadedObject<T extends ApiObject = ApiObject> {
  object: T;
  doc: ManifestDoc;
}

export interface LoadResult {
  objects: LoadedObject[];
  /** Errors, warnings and notes (such as skipped kinds), each with its position. */
  diagnostics: Diagnostic[];
}

export interface LoadOptions {
  /** Namespace for namespaced objects that name none (kubectl's `-n`); default `default`. */
  namespace?: string;
}

/**
 * Parse and validate manifests. All errors of all files are reported at once; a file with any error
 * contributes no object, so nothing is analysed or applied partially.
 */
export function loadManifests(sources: readonly ManifestSource[], opts: LoadOptions = {}): LoadResult {
  const objects: LoadedObject[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const src of sources) {
    const parsed = parseManifestText(src.text, src.file);
    const fileDiags: Diagnostic[] = [...parsed.diagnostics];
    const fileObjects: LoadedObject[] = [];
    for (const doc of parsed.docs) {
      const res = validateDocument(doc);
      for (const d of res.diagnostics) fileDiags.push({ ...d, source: d.source ?? doc.pos(d.path) });
      if (res.object) fileObjects.push({ object: withNamespace(res.object, opts.namespace ?? 'default'), doc });
    }
    diagnostics.push(...fileDiags);
    if (!fileDiags.some((d) => d.severity === 'error')) objects.push(...fileObjects);
  }
  return { objects, diagnostics };
}

function withNamespace(obj: ApiObject, namespace: string): ApiObject {
  if (!NAMESPACED_KINDS.has(obj.kind) || obj.metadata.namespace) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace } } as ApiObject;
}
