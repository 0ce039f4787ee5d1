import type { Diagnostic } from '../../shared/diagnostic.js';
import type { ManifestDoc } from '../source.js';
import type { ApiObject } from '../types.js';

const KINDS: Record<string, string[]> = {
  Namespace: ['v1'],
  Pod: ['v1'],
  Node: ['v1'],
  Service: ['v1'],
  NetworkPolicy: ['networking.k8s.io/v1'],
  CiliumNetworkPolicy: ['cilium.io/v2'],
  CiliumClusterwideNetworkPolicy: ['cilium.io/v2'],
  CiliumCIDRGroup: ['cilium.io/v2alpha1', 'cilium.io/v2'],
};

export interface DocumentResult {
  object?: ApiObject;
  diagnostics: Diagnostic[];
}

/** Validate one document. Unknown kinds are skipped with a note; invalid objects yield errors and no object. */
export function validateDocument(doc: ManifestDoc): DocumentResult {
  const v = doc.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return { diagnostics: [{ code: 'PW1002', severity: 'error', path: [], message: 'expected an object with apiVersion and kind' }] };
  }
  const o = v as Record<string, unknown>;
  if (typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') {
    return { diagnostics: [{ code: 'PW1002', severity: 'error', path: typeof o.kind !== 'string' ? ['kind'] : ['apiVersion'], message: 'expected apiVersion and kind' }] };
  }
  const versions = KINDS[o.kind];
  if (!versions || !versions.includes(o.apiVersion)) {
    return { diagnostics: [{ code: 'PW1003', severity: 'info', path: ['kind'], message: `skipped ${o.apiVersion} ${o.kind}: not a kind podwall reads` }] };
  }
  return { object: v as ApiObject, diagnostics: [] };
}
