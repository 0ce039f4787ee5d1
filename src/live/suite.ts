import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseHosts } from '../api/hosts.js';
import { loadManifests } from '../api/load.js';
import { parseCase, type ConformanceCase } from '../conformance/case.js';
import type { SuiteData } from '../conformance/live-plan.js';
import type { Diagnostic } from '../shared/diagnostic.js';
import { UsageError } from '../shared/errors.js';

/**
 * Read a conformance case folder (/work/shared/conformance/README.md): `cluster.yaml`, optional
 * `world.hosts`, and the case files `NN-slug.yaml` in name order. Problems come back as diagnostics.
 */
export function readSuite(dir: string): { suite: SuiteData; diagnostics: Diagnostic[] } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a directory`);
  const clusterFile = join(dir, 'cluster.yaml');
  if (!existsSync(clusterFile)) throw new UsageError(`${dir} has no cluster.yaml: not a conformance case folder`);
  const loaded = loadManifests([{ file: clusterFile, text: readFileSync(clusterFile, 'utf8') }]);
  const diagnostics = [...loaded.diagnostics];
  const hostsFile = join(dir, 'world.hosts');
  let answers: SuiteData['answers'] = new Map();
  if (existsSync(hostsFile)) {
    const hosts = parseHosts(readFileSync(hostsFile, 'utf8'), hostsFile);
    answers = hosts.answers;
    diagnostics.push(...hosts.diagnostics);
  }
  const cases: ConformanceCase[] = [];
  for (const f of readdirSync(dir).filter((n) => /^\d+.*\.ya?ml$/.test(n)).sort()) {
    const file = join(dir, f);
    const res = parseCase(readFileSync(file, 'utf8'), file);
    diagnostics.push(...res.diagnostics);
    if (res.case) cases.push(res.case);
  }
  return { suite: { dir, cluster: loaded.objects.map((o) => o.object), answers, cases }, diagnostics };
}
