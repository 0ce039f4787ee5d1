import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The DNS proxy's files in the state dir, per node. */
export function proxyFiles(stateDir: string, node: string) {
  return {
    rules: join(stateDir, `dns-rules-${node}.json`),
    cache: join(stateDir, `dns-cache-${node}.json`),
    pid: join(stateDir, `dns-proxy-${node}.pid`),
    log: join(stateDir, `dns-proxy-${node}.log`),
    socket: join(stateDir, `dns-proxy-${node}.sock`),
  };
}

/** Write via a temporary file and rename, so a reader never sees half a file. */
export function writeJsonAtomic(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data)}\n`);
  renameSync(tmp, path);
}

/** The parsed file, or null when it is missing or not JSON. */
export function readJson(path: string): unknown | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}
