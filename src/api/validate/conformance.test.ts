import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { suiteDirs } from '../../../test/support/conformance-dir.js';
import { parseCase } from '../../conformance/case.js';
import { loadManifests } from '../load.js';

const suites = suiteDirs();

describe('conformance data validates cleanly', () => {
  it('finds the conformance suites', () => {
    expect(suites.length).toBeGreaterThan(0);
  });

  it.each(suites)('%s/cluster.yaml loads without errors', (dir) => {
    const file = join(dir, 'cluster.yaml');
    const res = loadManifests([{ file, text: readFileSync(file, 'utf8') }]);
    expect(res.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(res.objects.length).toBeGreaterThan(0);
  });

  const cases = suites.flatMap((dir) => readdirSync(dir).filter((f) => /^\d.*\.ya?ml$/.test(f)).map((f) => join(dir, f)));

  it.each(cases)('%s: its policies validate', (file) => {
    const res = parseCase(readFileSync(file, 'utf8'), file);
    expect(res.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(res.case?.steps.length).toBeGreaterThan(0);
  });
});
