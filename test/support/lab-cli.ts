import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { LabContext } from '../../src/lab/names.js';
import type { CliResult } from './cli.js';
import { repoRoot } from './conformance-dir.js';

/** The environment of a CLI run against one test lab (its own prefix and state dir). */
function labEnv(ctx: LabContext): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', PODWALL_LAB_PREFIX: ctx.prefix, PODWALL_STATE_DIR: ctx.stateDir };
}

function requireBuilt(): string {
  if (!existsSync(join(repoRoot, 'dist/src/cli/run.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` (npm test builds first)');
  return join(repoRoot, 'bin/podwall.js');
}

/** `podwall ARGS...` as a user runs it against the lab `ctx`: an argument array, never a shell. */
export function labCli(ctx: LabContext): (args: string[], timeoutMs?: number) => CliResult {
  const bin = requireBuilt();
  return (args, timeoutMs = 30_000) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8', env: labEnv(ctx), timeout: timeoutMs });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
}

/** `labCli` for steps that must succeed: a non-zero exit fails the test with the command and its stderr. */
export function labCliOk(ctx: LabContext): (args: string[]) => CliResult {
  const podwall = labCli(ctx);
  return (args) => {
    const r = podwall(args);
    expect(r, `podwall ${args.join(' ')}: ${r.stderr}`).toMatchObject({ code: 0 });
    return r;
  };
}

/** The same in the background, for a command that blocks (e.g. `run` while the node's agent is down). */
export function labCliAsync(ctx: LabContext, args: string[], timeoutMs = 30_000): { pid: number; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [requireBuilt(), ...args], { cwd: repoRoot, env: labEnv(ctx), stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  return { pid: child.pid!, done };
}

/**
 * Live `podwall.js agent` processes of a prefix (their environment names it). Zombies have an empty
 * cmdline, so an agent that was killed but not yet reaped does not count.
 */
export function agentProcesses(prefix: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return /podwall\.js\x00agent\x00/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
        && readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`PODWALL_LAB_PREFIX=${prefix}`);
    } catch {
      return false;
    }
  });
}
