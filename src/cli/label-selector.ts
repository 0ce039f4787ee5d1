import type { LabelSelector, LabelSelectorRequirement, Labels } from '../api/types.js';
import { UsageError } from '../shared/errors.js';

/**
 * kubectl's label selector syntax (`-l`), k8s.io/apimachinery/pkg/labels.Parse: requirements separated by
 * commas, each `key`, `!key`, `key=value`, `key==value`, `key!=value`, `key in (a,b)` or `key notin (a,b)`.
 */
export function parseSelectorArg(text: string): LabelSelector {
  const matchLabels: Labels = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  for (const part of splitTopLevel(text)) {
    const p = part.trim();
    if (p === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(p))) {
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      matchExpressions.push({ key: m[1]!, operator: m[2] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(p))) {
      if (m[2] === '!=') matchExpressions.push({ key: m[1]!, operator: 'NotIn', values: [m[3]!] });
      else matchLabels[m[1]!] = m[3]!;
    } else if ((m = /^!\s*([^\s=!(),]+)$/.exec(p))) {
      matchExpressions.push({ key: m[1]!, operator: 'DoesNotExist' });
    } else if ((m = /^([^\s=!(),]+)$/.exec(p))) {
      matchExpressions.push({ key: m[1]!, operator: 'Exists' });
    } else {
      throw new UsageError(`unable to parse requirement "${p}" in selector "${text}"`);
    }
  }
  return { matchLabels, matchExpressions };
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

/**
 * metav1.FormatLabelSelector: requirements sorted by key, `key=value`, `key in (a,b)`, `key notin (a)`,
 * `key`, `!key`; `<none>` for the empty selector.
 */
export function formatLabelSelector(sel: LabelSelector | null | undefined): string {
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    const text = e.operator === 'In' ? `${e.key} in (${values})`
      : e.operator === 'NotIn' ? `${e.key} notin (${values})`
      : e.operator === 'Exists' ? e.key : `!${e.key}`;
    reqs.push({ key: e.key, text });
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.length === 0 ? '<none>' : reqs.map((r) => r.text).join(',');
}

/** `a=1,b=2` (sorted), or `<none>`: the LABELS column. */
export function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}
