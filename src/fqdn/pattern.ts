import type { FQDNSelector } from '../api/types.js';

/** A compiled toFQDNs / DNS-rule selector. */
export interface FqdnMatcher {
  /** `matchName: example.com` or `matchPattern: *.example.com`, for explanations. */
  readonly text: string;
  /** The selector as written, so the DNS proxy can be given it (src/fqdn/rules.ts). */
  readonly selector: FQDNSelector;
  matches(name: string): boolean;
}

/** Lower case, without the trailing dot: DNS names compare case-insensitively. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') && lower.length > 1 ? lower.slice(0, -1) : lower;
}

const DNS_CHARS = '[-a-z0-9_]';

function escapeLiteral(s: string): string {
  return s.replace(/[.]/g, '\\.');
}

/** Pattern body to regex source: `*` is zero or more DNS characters within one label (never a dot). */
function patternSource(body: string): string {
  return body.split('*').map(escapeLiteral).join(`${DNS_CHARS}*`);
}

/**
 * Compile a pattern with Cilium's semantics (Documentation/security/policy/language.rst, "DNS based"):
 * bare `*` matches every name (the root too); `**.` as a prefix matches one or more labels; any other `*`
 * matches zero or more DNS characters inside one label.
 */
export function compilePattern(pattern: string): (name: string) => boolean {
  const p = normalizeName(pattern);
  if (p === '*') return () => true;
  let source: string;
  if (p.startsWith('**.')) source = `(?:${DNS_CHARS}+\\.)+${patternSource(p.slice(3))}`;
  else source = patternSource(p);
  const re = new RegExp(`^${source}$`);
  return (name) => re.test(normalizeName(name));
}

export function compileFqdnSelector(sel: FQDNSelector): FqdnMatcher {
  if (sel.matchName !== undefined) {
    const want = normalizeName(sel.matchName);
    return { text: `matchName: ${sel.matchName}`, selector: { matchName: sel.matchName }, matches: (name) => normalizeName(name) === want };
  }
  const fn = compilePattern(sel.matchPattern ?? '');
  return { text: `matchPattern: ${sel.matchPattern ?? ''}`, selector: { matchPattern: sel.matchPattern ?? '' }, matches: fn };
}
