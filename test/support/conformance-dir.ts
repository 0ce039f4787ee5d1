import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifests } from '../../src/api/load.js';
import { parseHosts } from '../../src/api/hosts.js';
import type { ApiObject } from '../../src/api/types.js';
import { parseCase, type ConformanceCase } from '../../src/conformance/case.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared conformance data: `../shared/conformance` beside the clone, or $PODWALL_CONFORMANCE_DIR. */
export const conformanceRoot = process.env.PODWALL_CONFORMANCE_DIR ?? resolve(repoRoot, '../shared/conformance');

export interface Suite {
  dir: string;
  cluster: ApiObject[];
  answers: ReturnType<typeof parseHosts>['answers'];
  cases: ConformanceCase[];
}

export function loadSuite(dir: string): Suite {
  const clusterFile = join(dir, 'cluster.yaml');
  const loaded = loadManifests([{ file: clusterFile, text: readFileSync(clusterFile, 'utf8') }]);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`invalid ${clusterFile}: ${JSON.stringify(errors)}`);
  const hostsFile = join(dir, 'world.hosts');
  const answers = existsSync(hostsFile) ? parseHosts(readFileSync(hostsFile, 'utf8'), hostsFile).answers : new Map();
  const cases = readdirSync(dir).filter((f) => /^\d+.*\.ya?ml$/.test(f)).sort().map((f) => {
    const file = join(dir, f);
    const res = parseCase(readFileSync(file, 'utf8'), file);
    const errs = res.diagnostics.filter((d) => d.severity === 'error');
    if (!res.case || errs.length) throw new Error(`invalid case ${file}: ${JSON.stringify(errs)}`);
    return res.case;
  });
  return { dir, cluster: loaded.objects.map((o) => o.object), answers, cases };
}

export function suiteDirs(): string[] {
  if (!existsSync(conformanceRoot)) throw new Error(`conformance data not found at ${conformanceRoot} (set PODWALL_CONFORMANCE_DIR)`);
  return readdirSync(conformanceRoot, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(conformanceRoot, d.name)).sort();
}
