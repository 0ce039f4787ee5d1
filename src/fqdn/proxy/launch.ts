import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labBinDir } from '../../lab/supervisor.js';
import { processNetnsInode, netnsInode } from '../../lab/netns.js';
import { IoError } from '../../shared/errors.js';
import { controlRequest } from './control.js';
import { proxyFiles, readJson } from './files.js';

export interface ProxyNode {
  name: string;
  /** The node's netns: the proxy runs inside it (its sockets and nft live there). */
  netns: string;
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The proxy's pid when it runs inside the node's netns (a reused pid elsewhere does not count). */
export function proxyPid(stateDir: string, node: ProxyNode): number | null {
  const pid = readPid(proxyFiles(stateDir, node.name).pid);
  if (pid === null) return null;
  const ino = netnsInode(node.netns);
  return ino !== undefined && processNetnsInode(pid) === ino ? pid : null;
}

/** Start the node's DNS proxy, detached, inside the node's netns, logging to `<stateDir>/dns-proxy-<node>.log`. */
export function startProxy(stateDir: string, node: ProxyNode, extraArgs: readonly string[] = []): number {
  const files = proxyFiles(stateDir, node.name);
  const log = openSync(files.log, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', node.netns, process.execPath, join(labBinDir(), 'podwall.js'), 'dns-proxy', '--node', node.name, ...extraArgs], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, PODWALL_STATE_DIR: stateDir },
    });
    child.unref();
    if (child.pid === undefined) throw new IoError(`cannot start the DNS proxy of ${node.name}`);
    writeFileSync(files.pid, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** Start the proxy unless it runs; returns its pid and whether it was (re)started. */
export function ensureProxy(stateDir: string, node: ProxyNode, extraArgs: readonly string[] = []): { pid: number; started: boolean } {
  const pid = proxyPid(stateDir, node);
  if (pid !== null) return { pid, started: false };
  return { pid: startProxy(stateDir, node, extraArgs), started: true };
}

/** Stop the proxy (SIGTERM: it persists its cache first; SIGKILL with `kill`). */
export function stopProxy(stateDir: string, node: ProxyNode, opts: { kill?: boolean } = {}): boolean {
  const pid = proxyPid(stateDir, node);
  const files = proxyFiles(stateDir, node.name);
  if (pid === null) return false;
  if (!opts.kill) rmSync(files.pid, { force: true });
  try {
    process.kill(pid, opts.kill ? 'SIGKILL' : 'SIGTERM');
    return true;
  } catch {
    return false;
  }
}

export function proxyLogTail(stateDir: string, node: string, lines = 5): string {
  const f = proxyFiles(stateDir, node).log;
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').slice(-lines).join('\n') : '';
}

/**
 * Wait until the node's proxy enforces the rules file the agent wrote last (it reloads it within
 * ~100 ms). Returns at once when no proxy answers (down: its DNS fails closed anyway) or no file exists.
 */
export async function waitProxyRules(stateDir: string, node: string, timeoutMs = 5000): Promise<void> {
  const files = proxyFiles(stateDir, node);
  const rules = readJson(files.rules) as { revision?: number; listeners?: unknown[] } | null;
  const want = rules?.revision;
  // No DNS redirected on the node: nothing the proxy would enforce (and no round trip on every apply).
  if (typeof want !== 'number' || !rules?.listeners?.length) return;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const s = await controlRequest<{ revision: number }>(files.socket, 'GET', '/status', 1000);
    if (!s || s.revision >= want) return;
    if (performance.now() > deadline) throw new IoError(`timed out after ${timeoutMs} ms waiting for the DNS proxy of ${node} to load the rules of revision ${want} (it has ${s.revision})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
