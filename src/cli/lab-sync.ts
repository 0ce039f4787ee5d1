import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ApiObject } from '../api/types.js';
import { waitForAgent } from '../agent/launch.js';
import { defaultStorePath } from '../store/location.js';

/**
 * After a write, wait until every node's agent has applied `revision`, when a lab runs on this store
 * (its agents' status files sit beside the store). Then the kernel enforces what was just written,
 * and new pods are up. Without a lab (a plain --store file) there is nothing to wait for.
 */
export async function waitForLab(storePath: string | undefined, revision: number, objects: readonly ApiObject[], timeoutMs = 15_000): Promise<void> {
  const dir = dirname(storePath ?? defaultStorePath());
  if (!existsSync(join(dir, 'lab.json'))) return;
  const nodes = objects.filter((o) => o.kind === 'Node').map((o) => o.metadata.name);
  for (const n of nodes) {
    if (existsSync(join(dir, `agent-${n}.json`))) await waitForAgent(dir, n, revision, timeoutMs);
  }
}
