import type { Flow } from '../../src/flows/flow.js';
import { compileFilter as compileTerms, FILTER_KEYS, type FilterKey, type FilterTerm } from '../../src/flows/filter.js';

/**
 * The filter box takes `podwall observe`'s filter flags, compiled by the same code observe uses
 * (src/flows/filter.ts), so what a user types here works on the command line and back:
 * `--from-pod demo/client --verdict DROPPED`, `--not -n kube-system`, `--to-fqdn *.example.com`.
 */

export interface CompiledFilter {
  match: (f: Flow) => boolean;
  terms: FilterTerm[];
}

export type FilterResult = { ok: true; filter: CompiledFilter } | { ok: false; error: string };

const FLAGS = new Map<string, FilterKey>([
  ...FILTER_KEYS.map((k) => [`--${k}`, k] as [string, FilterKey]),
  ['-n', 'namespace'], ['-t', 'type'], ['-l', 'label'], ['--node', 'node-name'],
]);

/** Split like a shell would for simple quoting: `--label "app in (a,b)"` stays one value. */
function tokens(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

export function compileFilter(text: string): FilterResult {
  const toks = tokens(text);
  const terms: FilterTerm[] = [];
  let not = false;
  for (let i = 0; i < toks.length; i++) {
    const tok = toks[i]!;
    if (tok === '--not') { not = true; continue; }
    const eq = tok.indexOf('=');
    const flag = tok.startsWith('--') && eq > 0 ? tok.slice(0, eq) : tok;
    const key = FLAGS.get(flag);
    if (!key) return { ok: false, error: flag.startsWith('-') ? `unknown filter flag ${flag}` : `expected a flag such as --pod, got "${tok}"` };
    const value = flag !== tok ? tok.slice(eq + 1) : toks[++i];
    if (value === undefined || value === '') return { ok: false, error: `${flag} needs a value` };
    terms.push({ key, value, ...(not ? { not: true } : {}) });
    not = false;
  }
  if (not) return { ok: false, error: '--not must be followed by a filter flag' };
  // As observe does: -n also names the namespace of --pod values that give none.
  const namespace = terms.filter((t) => t.key === 'namespace' && !t.not).at(-1)?.value;
  try {
    return { ok: true, filter: { match: compileTerms(terms, namespace), terms } };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
