import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabNode } from '../lab/node.js';
import { labBinDir } from '../lab/supervisor.js';
import { setTimeout as delay } from 'node:timers/promises';
import { IoError } from '../shared/errors.js';
import { openStore } from '../store/index.js';
import type { Node } from '../api/types.js';
import { readStatus, statusPath } from './status.js';
import { ensureProxy, waitProxyRules } from '../fqdn/proxy/launch.js';

/** `PODWALL_AGENT_CPU_PROF=DIR`: agents write a V8 CPU profile there when they exit (for finding where a pass goes). */
function cpuProfArgs(): string[] {
  const dir = process.env.PODWALL_AGENT_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

export function agentFiles(stateDir: string, node: string) {
  return { pid: join(stateDir, `agent-${node}.pid`), log: join(stateDir, `agent-${node}.log`), status: statusPath(stateDir, node) };
}

/** Start one node's agent, detached, logging to `<stateDir>/agent-<node>.log`. */
export function startAgent(stateDir: string, node: LabNode): number {
  const files = agentFiles(stateDir, node.name);
  // The node's DNS proxy runs next to its agent, as a process of its own (it outlives agent restarts).
  ensureProxy(stateDir, node);
  const log = openSync(files.log, 'a');
  try {
    const child = spawn(process.execPath, [...cpuProfArgs(), join(labBinDir(), 'podwall.js'), 'agent', '--node', node.name], {
      detached: true,
      stdio: ['ignore', log, log],
      // The node's netns is `<prefix>-<node>`: the agent must work on this lab's prefix whatever the caller's env says.
      env: { ...process.env, PODWALL_STATE_DIR: stateDir, PODWALL_LAB_PREFIX: node.netns.slice(0, -(node.name.length + 1)) },
    });
    child.unref();
    if (child.pid === undefined) throw new IoError(`cannot start the agent of ${node.name}`);
    writeFileSync(files.pid, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** Stop an agent (SIGTERM, or SIGKILL with `kill: true`); the kernel rules it applied stay in force. */
export function stopAgent(stateDir: string, node: string, opts: { kill?: boolean } = {}): boolean {
  const files = agentFiles(stateDir, node);
  if (!existsSync(files.pid)) return false;
  const pid = Number(readFileSync(files.pid, 'utf8'));
  rmSync(files.pid, { force: true });
  try {
    process.kill(pid, opts.kill ? 'SIGKILL' : 'SIGTERM');
    return true;
  } catch {
    return false;
  }
}

/** Wait until the node's agent has applied at least `revision` (the kernel matches the store). */
export async function waitForAgent(stateDir: string, node: string, revision: number, timeoutMs = 10_000): Promise<void> {
  const files = agentFiles(stateDir, node);
  const deadline = performance.now() + timeoutMs;
  // A short fixed poll: callers measure apply latency with this, so no back-off.
  while ((readStatus(files.status)?.appliedRevision ?? -1) < revision) {
    if (performance.now() > deadline) {
      const s = readStatus(files.status);
      const tail = existsSync(files.log) ? readFileSync(files.log, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
      throw new IoError(`timed out after ${timeoutMs} ms waiting for the agent of ${node} to apply revision ${revision} `
        + `(status: ${s ? `applied ${s.appliedRevision}, last error ${s.lastError ?? 'none'}` : 'no status yet'})${tail ? `\n${tail}` : ''}`);
    }
    await delay(2);
  }
  // DNS rules are enforced by the node's DNS proxy: the change is in force once it has loaded them too.
  await waitProxyRules(stateDir, node, Math.max(1000, deadline - performance.now()));
}

/** `lab up` hook: one agent per node, each ready (its first ruleset applied) before this returns. */
export async function startAgents(stateDir: string, nodes: readonly LabNode[]): Promise<void> {
  const store = openStore(join(stateDir, 'store.db'));
  // The nodes are objects of the desired state too (`get nodes`, and the host/remote-node identities).
  const revision = store.apply(nodes.map((n): Node => ({
    apiVersion: 'v1', kind: 'Node', metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name } },
    spec: { podCIDR: n.podCidr }, status: { addresses: [{ type: 'InternalIP', address: n.ip }] },
  })));
  store.close();
  for (const n of nodes) startAgent(stateDir, n);
  for (const n of nodes) await waitForAgent(stateDir, n.name, revision);
}
