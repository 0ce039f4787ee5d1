import type { LoadedObject } from '../api/load.js';
import type { Origin } from '../engine/policy.js';

/** `file:line:col` of a path inside the manifest a policy came from, or '' when unknown. */
export function originPosition(objects: readonly LoadedObject[], origin: Origin, path: (string | number)[]): string {
  const lo = objects.find((o) => o.object.kind === origin.kind && o.object.metadata.name === origin.name
    && (origin.namespace === undefined || (o.object.metadata.namespace ?? 'default') === origin.namespace));
  if (!lo) return '';
  const p = lo.doc.pos(path);
  return `${p.file}:${p.line}:${p.col}`;
}
