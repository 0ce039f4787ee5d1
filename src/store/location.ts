import { join } from 'node:path';
import { labStateDir } from '../lab/names.js';

/**
 * Where the lab's store lives: `<stateDir>/store.db`, the state directory being `PODWALL_STATE_DIR`
 * (default `/run/podwall/<prefix>`, prefix `PODWALL_LAB_PREFIX`, default `pw`). The lookup itself is
 * src/lab/names.ts's, so the lab and the store always agree.
 */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(labStateDir(env), 'store.db');
}
