import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { removeLabObjects } from '../../src/lab/cleanup.js';
import type { LabContext } from '../../src/lab/names.js';
import { listNetns } from '../../src/lab/netns.js';
import { execInPodCapture, podLogs, type PodRef } from '../../src/lab/supervisor.js';
import { waitFor } from '../../src/lab/wait.js';
import { repoRoot } from './conformance-dir.js';

/** The lab tests create real kernel objects: they need root (CI is root) and the built agnhost. */
export const isRoot = process.getuid?.() === 0;

/**
 * A test file's lab prefix: its base plus `PODWALL_TEST_TAG` (0-2 characters), so that two checkouts can run
 * the whole suite side by side on one machine without removing each other's labs.
 */
export function testPrefix(base: string): string {
  const tag = process.env.PODWALL_TEST_TAG ?? '';
  if (!/^[a-z0-9]{0,2}$/.test(tag)) throw new Error(`PODWALL_TEST_TAG must be 0-2 of [a-z0-9], got ${JSON.stringify(tag)}`);
  return `${base}${tag}`;
}

/**
 * A lab of its own for one test file: its prefix (distinct per file, so files run in parallel) and a state
 * dir under a temp dir. Also set in the environment for code that reads it from there.
 */
export function testLab(base: string): LabContext & { tmp: string } {
  const prefix = testPrefix(base);
  const tmp = mkdtempSync(join(tmpdir(), `podwall-${prefix}-`));
  const ctx = { prefix, stateDir: join(tmp, 'state'), tmp };
  process.env.PODWALL_LAB_PREFIX = prefix;
  process.env.PODWALL_STATE_DIR = ctx.stateDir;
  return ctx;
}

/** Remove everything of the prefix and the temp dir, and check that no netns of the prefix is left. */
export async function destroyTestLab(ctx: LabContext & { tmp: string }): Promise<void> {
  try {
    await removeLabObjects(ctx);
  } finally {
    rmSync(ctx.tmp, { recursive: true, force: true });
  }
  expect(listNetns().filter((n) => n.startsWith(`${ctx.prefix}-`))).toEqual([]);
}

export function requireAgnhostBuilt(): void {
  if (!existsSync(join(repoRoot, 'dist/src/agnhost/main.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json` (npm test builds first)');
}

/** `agnhost connect` from a pod: exit code and the one-line verdict agnhost prints on stderr. */
export async function connect(ctx: LabContext, from: PodRef, dest: string, ...flags: string[]): Promise<{ code: number | null; out: string }> {
  const r = await execInPodCapture(from, ['agnhost', 'connect', dest, ...flags], {}, ctx);
  return { code: r.code, out: (r.stdout + r.stderr).trim() };
}

/** Wait until a pod's server logged that it listens. */
export function waitServing(ctx: LabContext, pod: PodRef): Promise<true> {
  return waitFor(() => podLogs(pod, ctx).includes('Serving on port') || undefined, { timeoutMs: 5000, what: `${pod.name} to serve` });
}
