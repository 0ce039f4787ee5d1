import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/conformance-dir.js';

// The dataplane's pure core (STYLE.md §1, §7): no node:* module at all, no process, no clock, no console,
// and imports only from the pure folders or other pure dataplane files.
const PURE = [
  'ruleset.ts', 'hash.ts', 'identity.ts', 'allocate.ts', 'ports.ts', 'sides.ts', 'shards.ts', 'elements.ts', 'incremental.ts', 'compile.ts', 'flow-log.ts', 'simulate.ts', 'nft/render.ts', 'nft/diff.ts', 'nft/replace.ts', 'dns-redirect.ts', 'dns-rules.ts',
].map((f) => `src/dataplane/${f}`);
const INWARD = ['src/shared/', 'src/api/', 'src/fqdn/', 'src/engine/'];

describe('dataplane pure core', () => {
  for (const file of PURE) {
    it(`${file} does no I/O and imports only pure code`, () => {
      const text = readFileSync(join(repoRoot, file), 'utf8');
      const problems: string[] = [];
      for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s*['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('node:')) problems.push(`imports ${spec}`);
        else if (!spec.startsWith('.')) continue;
        else {
          const target = relative(repoRoot, join(repoRoot, file, '..', spec)).replace(/\.js$/, '.ts');
          if (!INWARD.some((p) => target.startsWith(p)) && !PURE.includes(target)) problems.push(`imports ${target}`);
        }
      }
      if (/\bprocess\.|Date\.now\(|console\.|\brequire\(/.test(text.replace(/\/\/.*$/gm, ''))) problems.push('uses process, Date.now, console or require');
      expect(problems).toEqual([]);
    });
  }
});
