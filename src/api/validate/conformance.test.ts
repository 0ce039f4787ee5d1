import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCase } from '../../conformance/case.js';
import { loadManifests } from '../load.js';

/** The shared conformance data beside the clone (../shared/conformance), or $PODWALL_CONFORMANCE_DIR. */
const root = process.env.PODWALL_CONFORMANCE_DIR
  ?? resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../shared/conformance');

const suites = existsSync(root)
  ? readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(root, d.name))
  : [];

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
