import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { waitForAgent } from '../agent/launch.js';
import { defaultStorePath } from '../store/location.js';

/**
 * After a write, wait until every node's agent has applied `revision`, when a lab runs on this store
 * (its agents' status files sit beside the store). Then the kernel enforces what was just written,
 * and new pods are up. Without a lab (a plain --store file) there is nothing to wait for.
 */
export async function waitForLab(storePath: string | undefined, revision: number, timeoutMs = 15_000): Promise<void> {
  const dir = dirname(storePath ?? defaultStorePath());
  if (!existsSync(join(dir, 'lab.json'))) return;
  // The agents' status files name the nodes; no need to read the whole desired state for that.
  const nodes = readdirSync(dir).flatMap((f) => /^agent-(node\d+)\.json$/.exec(f)?.[1] ?? []);
  for (const n of nodes) await waitForAgent(dir, n, revision, timeoutMs);
}
