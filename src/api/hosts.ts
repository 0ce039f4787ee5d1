import type { Diagnostic } from '../shared/diagnostic.js';
import { isIp } from '../shared/ip.js';
import { normalizeName } from '../fqdn/pattern.js';

/** DNS answers the engine may assume: name → addresses (names normalised, order kept). */
export type DnsAnswers = Map<string, string[]>;

/** Parse hosts-file text (`198.18.0.10 example.com www.example.com`, `#` comments). */
export function parseHosts(text: string, file: string): { answers: DnsAnswers; diagnostics: Diagnostic[] } {
  const answers: DnsAnswers = new Map();
  const diagnostics: Diagnostic[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const [ip = '', ...names] = line.split(/\s+/);
    const col = raw.indexOf(ip) + 1;
    if (!isIp(ip) || names.length === 0) {
      diagnostics.push({
        code: 'PW1401', severity: 'error', path: [],
        message: !isIp(ip) ? `expected an IP address, got "${ip}"` : 'expected at least one name after the address',
        source: { file, doc: 0, line: i + 1, col },
      });
      return;
    }
    for (const n of names) {
      const key = normalizeName(n);
      const list = answers.get(key) ?? [];
      if (!list.includes(ip)) list.push(ip);
      answers.set(key, list);
    }
  });
  return { answers, diagnostics };
}
