import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CODES } from './codes.js';
import { MESSAGES } from './messages.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const codes = Object.keys(CODES);

describe('diagnostic codes', () => {
  it('documents every code in README.md with its severity', () => {
    const readme = readFileSync(`${here}README.md`, 'utf8');
    for (const [code, { severity }] of Object.entries(CODES)) {
      expect(readme, code).toMatch(new RegExp(`^\\| ${code} \\| ${severity} \\|`, 'm'));
    }
    const documented = [...readme.matchAll(/^\| (PW\d{4}) \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes].sort());
  });

  it('has a message for every code', () => {
    expect(Object.keys(MESSAGES).sort()).toEqual([...codes].sort());
  });

  it('has at least one test case per code', () => {
    const tests = readdirSync(here).filter((f) => f.endsWith('.test.ts') && f !== 'codes.test.ts')
      .map((f) => readFileSync(`${here}${f}`, 'utf8')).join('\n');
    const missing = codes.filter((c) => !new RegExp(`code: '${c}'`).test(tests));
    expect(missing).toEqual([]);
  });
});
