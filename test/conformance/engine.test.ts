import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCaseOnEngine } from '../../src/conformance/engine-run.js';
import { loadSuite, suiteDirs } from '../support/conformance-dir.js';

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
          const diff = res.failures.map((f) => `step ${f.step}: ${f.from} -> ${f.to} ${f.port}/${f.protocol} expected ${f.expected ? 'allow' : 'deny'}, got ${f.actual ? 'allow' : 'deny'} (${f.reason})`);
          expect(diff).toEqual([]);
        });
      }
    });
  }
});
