import type { Path } from '../../source.js';
import { arr, nonEmpty, obj, present, str, stringEntries, type RuleContext } from '../context.js';
import { CILIUM_NS_LABELS_PREFIX, labelKeyProblem, labelValueProblem, splitCiliumKey } from '../formats.js';

/**
 * Label and selector checks shared by all kinds: metav1validation.ValidateLabelSelector and ValidateLabels
 * (k8s.io/apimachinery/pkg/apis/meta/v1/validation). In Cilium selectors a key may carry a label source
 * (`k8s:`, `any:`, `reserved:`, `$host`), which is not part of the Kubernetes label key and is stripped first.
 */

export type KeyStyle = 'k8s' | 'cilium';

/** The part of a selector key that must be a Kubernetes label key, or null when the source has other keys. */
function checkedKey(key: string, style: KeyStyle): string | null {
  if (style === 'k8s') return key;
  const split = splitCiliumKey(key);
  // cidr: and fqdn: labels carry a prefix or a name, not a label key (pkg/labels/cidr.go).
  if (split.source === 'cidr' || split.source === 'fqdn') return null;
  // Namespace labels are checked without their identity prefix (cilium/cilium#47817).
  return split.key.startsWith(CILIUM_NS_LABELS_PREFIX) ? split.key.slice(CILIUM_NS_LABELS_PREFIX.length) : split.key;
}

function checkKey(ctx: RuleContext, key: string, path: Path, style: KeyStyle): void {
  const checked = checkedKey(key, style);
  const problem = checked === null ? null : labelKeyProblem(checked);
  if (problem) ctx.report('PW1204', path, { key, problem });
}

function checkValue(ctx: RuleContext, value: string, path: Path): void {
  const problem = labelValueProblem(value);
  if (problem) ctx.report('PW1205', path, { value, problem });
}

/** metadata.labels or a selector's matchLabels: keys are qualified names, values label values. */
export function checkLabelMap(ctx: RuleContext, map: unknown, path: Path, style: KeyStyle = 'k8s'): void {
  for (const [key, value] of stringEntries(map)) {
    checkKey(ctx, key, [...path, key], style);
    checkValue(ctx, value, [...path, key]);
  }
}

/** ValidateLabelSelectorRequirement: In/NotIn need values, Exists/DoesNotExist forbid them. */
function checkRequirement(ctx: RuleContext, req: unknown, path: Path, style: KeyStyle): void {
  const r = obj(req);
  if (!r) return;
  const key = str(r.key);
  if (key !== undefined) checkKey(ctx, key, [...path, 'key'], style);
  const operator = str(r.operator);
  if ((operator === 'In' || operator === 'NotIn') && !nonEmpty(r.values)) {
    ctx.report('PW1206', present(r.values) ? [...path, 'values'] : path, { operator });
  }
  if ((operator === 'Exists' || operator === 'DoesNotExist') && nonEmpty(r.values)) {
    ctx.report('PW1207', [...path, 'values'], { operator });
  }
  arr(r.values).forEach((v, i) => {
    if (typeof v === 'string') checkValue(ctx, v, [...path, 'values', i]);
  });
}

/** A metav1.LabelSelector (or Cilium EndpointSelector) at `path`; absent selectors are fine. */
export function checkSelector(ctx: RuleContext, selector: unknown, path: Path, style: KeyStyle = 'k8s'): void {
  const s = obj(selector);
  if (!s) return;
  checkLabelMap(ctx, s.matchLabels, [...path, 'matchLabels'], style);
  arr(s.matchExpressions).forEach((r, i) => checkRequirement(ctx, r, [...path, 'matchExpressions', i], style));
}
