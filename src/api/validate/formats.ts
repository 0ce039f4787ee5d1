/**
 * Format checks of Kubernetes names, label keys and values, and port names, after
 * k8s.io/apimachinery/pkg/util/validation (validation.go). Each returns the kind of problem, or null when valid;
 * messages.ts turns the problem into words.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** IsQualifiedName's name part and IsValidLabelValue: alphanumeric ends, `-_.` inside. */
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export type NameFormat = 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label';
export type NameProblem = 'empty' | 'too-long' | 'chars';

const NAME_RULES: Record<NameFormat, { re: RegExp; max: number }> = {
  'dns1123-subdomain': { re: DNS1123_SUBDOMAIN, max: 253 },
  'dns1123-label': { re: DNS1123_LABEL, max: 63 },
  'dns1035-label': { re: DNS1035_LABEL, max: 63 },
};

export function nameProblem(name: string, format: NameFormat): NameProblem | null {
  const rule = NAME_RULES[format];
  if (name === '') return 'empty';
  if (name.length > rule.max) return 'too-long';
  return rule.re.test(name) ? null : 'chars';
}

export type KeyProblem =
  | 'slashes' | 'prefix-too-long' | 'prefix-chars' | 'name-empty' | 'name-too-long' | 'name-chars';

/** IsQualifiedName: optional DNS-1123 subdomain prefix (≤253) and '/', then a name (≤63). */
export function labelKeyProblem(key: string): KeyProblem | null {
  const parts = key.split('/');
  if (parts.length > 2) return 'slashes';
  const name = parts[parts.length - 1] ?? '';
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix.length > 253) return 'prefix-too-long';
    if (!DNS1123_SUBDOMAIN.test(prefix)) return 'prefix-chars';
  }
  if (name === '') return 'name-empty';
  if (name.length > 63) return 'name-too-long';
  return QUALIFIED_NAME.test(name) ? null : 'name-chars';
}

export type ValueProblem = 'too-long' | 'chars';

/** IsValidLabelValue: empty, or ≤63 characters of the qualified-name alphabet. */
export function labelValueProblem(value: string): ValueProblem | null {
  if (value === '') return null;
  if (value.length > 63) return 'too-long';
  return QUALIFIED_NAME.test(value) ? null : 'chars';
}

export type PortNameProblem = 'empty' | 'too-long' | 'chars' | 'no-letter' | 'hyphens';

/**
 * IsValidPortName (RFC 6335 service name): ≤15 characters of a-z, 0-9 and '-', at least one letter,
 * no leading, trailing or double hyphen. Cilium's iana.IsSvcName is the same but accepts upper case
 * (it lowercases names before use), hence `ignoreCase`.
 */
export function portNameProblem(name: string, ignoreCase = false): PortNameProblem | null {
  const text = ignoreCase ? name.toLowerCase() : name;
  if (text === '') return 'empty';
  if (text.length > 15) return 'too-long';
  if (!/^[-a-z0-9]+$/.test(text)) return 'chars';
  if (!/[a-z]/.test(text)) return 'no-letter';
  if (text.startsWith('-') || text.endsWith('-') || text.includes('--')) return 'hyphens';
  return null;
}

/**
 * Split a Cilium selector key into its source and the label key (pkg/labels parseSource):
 * `k8s:app` → ['k8s', 'app'], `$host` → ['reserved', 'host'], `app` → ['', 'app'].
 */
export function splitCiliumKey(key: string): { source: string; key: string } {
  if (key.startsWith('$')) return { source: 'reserved', key: key.slice(1) };
  const i = key.indexOf(':');
  return i < 0 ? { source: '', key } : { source: key.slice(0, i), key: key.slice(i + 1) };
}

/** Namespace labels appear in Cilium identities under this prefix; the label key proper follows it. */
export const CILIUM_NS_LABELS_PREFIX = 'io.cilium.k8s.namespace.labels.';

/** Label key of the pod's namespace in Cilium identities. */
export const CILIUM_NAMESPACE_KEY = 'io.kubernetes.pod.namespace';
