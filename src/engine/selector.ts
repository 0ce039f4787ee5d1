import type { LabelSelector, Labels } from '../api/types.js';

/** A compiled label selector: a predicate plus a canonical key for interning and display. */
export interface Selector {
  readonly key: string;
  readonly empty: boolean;
  /** The requirements, keys mapped; used to suggest labels that would make a pod match. */
  readonly requirements: readonly Requirement[];
  matches(labels: Labels): boolean;
}

export type Requirement = { key: string; op: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values: ReadonlySet<string> };
type Req = Requirement;

/** Canonical text: sorted requirements, kubectl's selector syntax (`app=web,tier in (a,b),!debug`). */
function canonical(reqs: Req[]): string {
  return reqs
    .map((r) => {
      const vals = [...r.values].sort();
      switch (r.op) {
        case 'In': return vals.length === 1 ? `${r.key}=${vals[0]}` : `${r.key} in (${vals.join(',')})`;
        case 'NotIn': return `${r.key} notin (${vals.join(',')})`;
        case 'Exists': return r.key;
        case 'DoesNotExist': return `!${r.key}`;
      }
    })
    .sort()
    .join(',');
}

export type KeyMapper = (key: string) => string;
const identity: KeyMapper = (k) => k;

/**
 * Compile a selector. `mapKey` normalises keys (Cilium's `k8s:` source prefix). matchLabels and
 * matchExpressions are ANDed; an empty selector matches everything.
 */
export function compileSelector(sel: LabelSelector | undefined, mapKey: KeyMapper = identity): Selector {
  const reqs: Req[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key: mapKey(k), op: 'In', values: new Set([String(v)]) });
  for (const e of sel?.matchExpressions ?? []) reqs.push({ key: mapKey(e.key), op: e.operator, values: new Set((e.values ?? []).map(String)) });
  const key = canonical(reqs);
  return {
    key,
    empty: reqs.length === 0,
    requirements: reqs,
    matches(labels: Labels): boolean {
      for (const r of reqs) {
        const has = Object.prototype.hasOwnProperty.call(labels, r.key);
        const v = has ? labels[r.key] : undefined;
        switch (r.op) {
          case 'In': if (!has || !r.values.has(v as string)) return false; break;
          case 'NotIn': if (has && r.values.has(v as string)) return false; break;
          case 'Exists': if (!has) return false; break;
          case 'DoesNotExist': if (has) return false; break;
        }
      }
      return true;
    },
  };
}

/** Every key the selector constrains (after mapping). */
export function selectorKeys(sel: LabelSelector | undefined, mapKey: KeyMapper = identity): string[] {
  return [...Object.keys(sel?.matchLabels ?? {}), ...(sel?.matchExpressions ?? []).map((e) => e.key)].map(mapKey);
}
