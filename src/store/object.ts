import { NAMESPACED_KINDS, type ApiObject } from '../api/types.js';
import type { ObjectKey } from './store.js';

/** Namespaces that always exist, as in every cluster: the store creates them and refuses to delete them. */
export const BUILTIN_NAMESPACES: readonly string[] = ['default', 'kube-system'];

/** Metadata the server owns: whatever a manifest says there is dropped (as the API server does). */
const SERVER_FIELDS = [
  'creationTimestamp', 'resourceVersion', 'uid', 'generation', 'managedFields', 'selfLink',
  'deletionTimestamp', 'deletionGracePeriodSeconds',
] as const;

/** Set by the API server on every Namespace since Kubernetes 1.21 (NamespaceDefaultLabelName). */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export function isNamespaced(kind: string): boolean {
  return NAMESPACED_KINDS.has(kind);
}

/** The key of an object; namespaced kinds without a namespace are in `default` (kubectl's default). */
export function keyOf(obj: ApiObject): ObjectKey {
  return objectKey(obj.kind, obj.metadata.name, obj.metadata.namespace);
}

export function objectKey(kind: ObjectKey['kind'], name: string, namespace?: string): ObjectKey {
  return isNamespaced(kind) ? { kind, namespace: namespace || 'default', name } : { kind, name };
}

export function sameKey(a: ObjectKey, b: ObjectKey): boolean {
  return a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Meta = Record<string, unknown> & { labels?: Record<string, string> };

/** JSON with object keys sorted at every level: equal content gives equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value)) as Json));
}

export function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]!);
    return out;
  }
  return v;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function metaOf(o: ApiObject): Meta {
  return o.metadata as unknown as Meta;
}

/**
 * The object as the store keeps it, without its creation time: server fields dropped, the namespace
 * defaulted (or dropped for cluster-scoped kinds), the Namespace name label set. With `keepFrom`, a Pod that
 * omits `spec.nodeName` or `status` takes them from the stored object.
 */
export function normalizeObject(input: ApiObject, keepFrom?: ApiObject): ApiObject {
  const o = clone(input);
  const meta = metaOf(o);
  for (const f of SERVER_FIELDS) delete meta[f];
  if (isNamespaced(o.kind)) meta.namespace = (meta.namespace as string | undefined) || 'default';
  else delete meta.namespace;
  if (o.kind === 'Namespace') meta.labels = { ...(meta.labels ?? {}), [NAMESPACE_NAME_LABEL]: o.metadata.name };
  // Empty maps are omitted, as the API server serialises them (omitempty).
  for (const f of ['labels', 'annotations'] as const) {
    const m = meta[f];
    if (m === null || (typeof m === 'object' && Object.keys(m).length === 0)) delete meta[f];
  }
  if (keepFrom?.kind === 'Pod' && o.kind === 'Pod') {
    const nodeName = keepFrom.spec?.nodeName;
    if (nodeName !== undefined && o.spec?.nodeName === undefined) o.spec = { ...(o.spec ?? {}), nodeName };
    if (keepFrom.status !== undefined && o.status === undefined) o.status = clone(keepFrom.status);
  }
  return o;
}

/** Whether two stored objects have the same content, ignoring the metadata the server sets. */
export function sameContent(a: ApiObject, b: ApiObject): boolean {
  return canonicalJson(withoutServerFields(a)) === canonicalJson(withoutServerFields(b));
}

function withoutServerFields(o: ApiObject): ApiObject {
  const c = clone(o);
  for (const f of SERVER_FIELDS) delete metaOf(c)[f];
  return c;
}

/** `o` with these server fields set. */
export function withServerFields(o: ApiObject, fields: { creationTimestamp?: string; resourceVersion?: string }): ApiObject {
  return { ...o, metadata: { ...o.metadata, ...fields } } as ApiObject;
}

/** The labels after `change` (null removes); undefined values are skipped. */
export function changedLabels(current: Record<string, string> | undefined, change: Record<string, string | null>): Record<string, string> {
  const next = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(change)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

/** RFC 3339 to the second, as Kubernetes writes metav1.Time. */
export function timestamp(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** The stored creation time of an object, if any. */
export function creationTimestamp(o: ApiObject): string | undefined {
  const t = metaOf(o).creationTimestamp;
  return typeof t === 'string' ? t : undefined;
}
