import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './support/conformance-dir.js';

// The pure core (STYLE.md §1): no I/O, no clock, no process, and imports only point inward.
const PURE = ['src/shared', 'src/api', 'src/engine', 'src/fqdn', 'src/conformance'];
const ALLOWED_INWARD: Record<string, string[]> = {
  'src/shared': ['src/shared'],
  'src/api': ['src/shared', 'src/api', 'src/fqdn'],
  'src/fqdn': ['src/shared', 'src/api', 'src/fqdn'],
  'src/engine': ['src/shared', 'src/api', 'src/fqdn', 'src/engine'],
  'src/conformance': ['src/shared', 'src/api', 'src/fqdn', 'src/engine', 'src/conformance'],
};

function files(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('pure core', () => {
  for (const folder of PURE) {
    it(`${folder} does no I/O and imports only inward`, () => {
      const problems: string[] = [];
      // src/fqdn/proxy/ is the DNS proxy's shell (sockets, files, processes: STYLE.md §1); the rest of src/fqdn is pure.
      const list = files(folder).filter((f) => !f.startsWith('src/fqdn/proxy/'));
      expect(list.length).toBeGreaterThan(0);
      for (const f of list) {
        const text = readFileSync(join(repoRoot, f), 'utf8');
        for (const m of text.matchAll(/^\s*import[^'"]*['"]([^'"]+)['"]/gm)) {
          const spec = m[1]!;
          if (spec.startsWith('node:') && spec !== 'node:crypto') problems.push(`${f}: imports ${spec}`);
          if (spec.startsWith('.')) {
            const target = relative(repoRoot, join(repoRoot, f, '..', spec));
            if (!ALLOWED_INWARD[folder]!.some((ok) => target.startsWith(`${ok}/`))) problems.push(`${f}: imports ${target}`);
          }
        }
        if (/\bprocess\.|Date\.now\(|console\./.test(text.replace(/\/\/.*$/gm, ''))) problems.push(`${f}: uses process, Date.now or console`);
      }
      expect(problems).toEqual([]);
    });
  }
});
