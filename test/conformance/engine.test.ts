import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCaseOnEngine } from '../../src/conformance/engine-run.js';
import { loadSuite, suiteDirs } from '../support/conformance-dir.js';
import { KNOWN_DISAGREEMENTS } from './known-disagreements.js';

const dirs = suiteDirs();

describe('shared conformance cases on the engine', () => {
  it('finds the shared suites', () => {
    expect(dirs.map((d) => basename(d))).toEqual(expect.arrayContaining(['cilium', 'k8s-e2e']));
  });
  for (const dir of dirs) {
    const suite = loadSuite(dir);
    describe(basename(dir), () => {
      for (const c of suite.cases) {
        it(basename(c.file), () => {
          const res = runCaseOnEngine(c, suite.cluster, suite.answers);
          expect(res.results.length).toBeGreaterThan(0);
          const known = KNOWN_DISAGREEMENTS.filter((k) => k.case === basename(c.file)).map((k) => k.flow);
          const diff = res.failures
            .map((f) => ({ flow: `step ${f.step}: ${f.from} -> ${f.to} ${f.port}/${f.protocol}`, f }))
            .filter((x) => !known.includes(x.flow) || x.f.expected === x.f.actual)
            .map(({ flow, f }) => `${flow} expected ${f.expected ? 'allow' : 'deny'}, got ${f.actual ? 'allow' : 'deny'} (${f.reason})`);
          expect(diff).toEqual([]);
          // Each known disagreement must still be exactly that: the data disagrees, the engine follows the docs.
          const failing = res.failures.map((f) => `step ${f.step}: ${f.from} -> ${f.to} ${f.port}/${f.protocol}`);
          expect(failing.filter((x) => known.includes(x))).toEqual(known);
        });
      }
    });
  }
});
