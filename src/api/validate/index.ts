import { hasErrors, type Diagnostic } from '../../shared/diagnostic.js';
import type { ManifestDoc } from '../source.js';
import type { ApiObject } from '../types.js';
import { createContext, diagnostic, obj, present, type Obj } from './context.js';
import { RULES_BY_KIND } from './rules/index.js';
import { KINDS, structuralDiagnostics } from './schema/index.js';

export type { DiagnosticCode } from './codes.js';

export interface DocumentResult {
  object?: ApiObject;
  diagnostics: Diagnostic[];
}

/** API server defaulting podwall relies on: a NetworkPolicy without spec has the empty spec (selects all pods). */
function withDefaults(kind: string, o: Obj): ApiObject {
  if (kind === 'NetworkPolicy' && !present(o.spec)) return { ...o, spec: {} } as unknown as ApiObject;
  return o as unknown as ApiObject;
}

/**
 * Validate one document as the Kubernetes API server (and, for Cilium kinds, Cilium's policy validation)
 * would: the structural schema first, then every semantic rule of the kind, all reported at once.
 * Unknown kinds are skipped with a note (PW1003); a document with any error yields no object.
 *
 * @example
 * const { object, diagnostics } = validateDocument(doc);
 * // diagnostics: [{ code: 'PW1203', severity: 'error', path: ['spec', 'ingress', 0, 'ports', 0, 'endPort'], ... }]
 */
export function validateDocument(doc: ManifestDoc): DocumentResult {
  const o = obj(doc.value);
  if (!o) return { diagnostics: [diagnostic('PW1002', [], {})] };
  if (typeof o.kind !== 'string') return { diagnostics: [diagnostic('PW1002', ['kind'], { missing: 'kind' })] };
  if (typeof o.apiVersion !== 'string') return { diagnostics: [diagnostic('PW1002', ['apiVersion'], { missing: 'apiVersion' })] };
  const entry = KINDS[o.kind];
  if (!entry || !entry.versions.includes(o.apiVersion)) {
    return { diagnostics: [diagnostic('PW1003', ['kind'], { apiVersion: o.apiVersion, kind: o.kind })] };
  }
  const diagnostics = structuralDiagnostics(entry.schema, o);
  const ctx = createContext(o.kind, o, diagnostics);
  for (const rule of RULES_BY_KIND[o.kind] ?? []) rule(ctx);
  if (hasErrors(diagnostics)) return { diagnostics };
  return { object: withDefaults(o.kind, o), diagnostics };
}
