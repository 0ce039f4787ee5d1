import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './conformance-dir.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as a user would (`npm test` builds it first), with an argument array, never a shell. */
export function podwall(args: string[], input?: string): CliResult {
  const bin = join(repoRoot, 'bin/podwall.js');
  if (!existsSync(join(repoRoot, 'dist/src/cli/run.js'))) throw new Error('dist/ is missing: run `npm test` (it builds first) or `npx tsc -p tsconfig.json`');
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
