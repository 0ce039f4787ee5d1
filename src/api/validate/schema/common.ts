import * as z from 'zod';
import { SELECTOR_OPERATORS } from '../../types.js';

/**
 * Building blocks shared by the per-kind schemas. Optional fields accept null too: in YAML `from:` with no
 * value is null, and the API server treats null like an omitted field.
 */
export function opt<T extends z.ZodType>(schema: T) {
  return schema.nullish();
}

/** Marks a schema's type error with a code (see issues.ts): `@PW1105` instead of zod's wording. */
export function codeTag(code: string): string {
  return `@${code}`;
}

/** A field podwall does not model: any value (or none) is accepted. */
export const anything = z.unknown().optional();

export const stringMap = z.record(z.string(), z.string());

/** metav1.LabelSelector; key format, operators and values are checked in rules/selector.ts. */
export const labelSelector = z.strictObject({
  matchLabels: opt(stringMap),
  matchExpressions: opt(z.array(z.strictObject({
    key: z.string(),
    operator: z.enum(SELECTOR_OPERATORS),
    values: opt(z.array(z.string())),
  }))),
});

/** ObjectMeta fields podwall does not read: accepted as they are, so real exported manifests load. */
const OTHER_META_FIELDS = [
  'generateName', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'ownerReferences', 'finalizers', 'managedFields',
] as const;

const metaFields = {
  name: z.string(),
  namespace: opt(z.string()),
  labels: opt(stringMap),
  annotations: opt(stringMap),
};

/** ObjectMeta under kubectl's strict field validation: unknown metadata fields are errors. */
export const strictMeta = z.strictObject({
  ...metaFields,
  ...Object.fromEntries(OTHER_META_FIELDS.map((f) => [f, anything])),
});

/** ObjectMeta of the lenient kinds: the fields podwall reads are typed, the rest passes. */
export const looseMeta = z.looseObject(metaFields);

export const typeMeta = { apiVersion: z.string(), kind: z.string() };
