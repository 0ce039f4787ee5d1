import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { waitFor } from './wait.js';

/**
 * Network namespaces as files: `ip netns add` bind-mounts each one at /run/netns/<name>. Reading the
 * directory and /proc here answers "which netns exist" and "which processes are inside" without spawning
 * a process per namespace (it is what `ip netns list` and `ip netns pids` do).
 */

export const NETNS_DIR = '/run/netns';

/** Names of all named network namespaces. */
export function listNetns(): string[] {
  try {
    return readdirSync(NETNS_DIR).sort();
  } catch {
    return [];
  }
}

export function netnsExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${name}`);
}

/** The nsfs inode of a named netns, or undefined when it does not exist (or is not mounted). */
export function netnsInode(name: string): number | undefined {
  try {
    // A mounted netns file shows the nsfs inode; a stray unmounted placeholder matches no process.
    return statSync(`${NETNS_DIR}/${name}`).ino;
  } catch {
    return undefined;
  }
}

/** The netns inode of a process (`/proc/<pid>/ns/net` reads as `net:[<inode>]`), or undefined when it is gone. */
export function processNetnsInode(pid: number): number | undefined {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/ns/net`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Processes inside each of the named netns (one scan of /proc for all of them), like `ip netns pids`. */
export function pidsInNetns(names: readonly string[]): Map<string, number[]> {
  const byInode = new Map<number, string>();
  for (const n of names) {
    const ino = netnsInode(n);
    if (ino !== undefined) byInode.set(ino, n);
  }
  const out = new Map<string, number[]>(names.map((n) => [n, []]));
  if (byInode.size === 0) return out;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const ino = processNetnsInode(pid);
    const ns = ino === undefined ? undefined : byInode.get(ino);
    if (ns !== undefined) out.get(ns)!.push(pid);
  }
  return out;
}

/**
 * SIGKILL every process inside the named netns (never this process) and wait until they are gone, so
 * the netns and its links can be removed at once. Returns the pids that were killed.
 */
export async function killProcessesIn(names: readonly string[], timeoutMs = 3000): Promise<number[]> {
  const killed = new Set<number>();
  // Kill again on every check: a process may have forked just before it was killed.
  const sweep = (): boolean => {
    const left = [...pidsInNetns(names).values()].flat().filter((p) => p !== process.pid);
    for (const pid of left) {
      killed.add(pid);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // A killed process holds its netns until it is reaped; a zombie has no /proc/<pid>/ns link any more.
    return left.length === 0;
  };
  if (!sweep()) await waitFor(sweep, { timeoutMs, what: `processes in ${names.join(', ')} to exit` });
  return [...killed];
}

/**
 * Live (non-zombie) members of a process group, from /proc. `kill(-pgid, 0)` cannot tell: it succeeds while a
 * zombie is left in the group, and on a machine whose pid 1 does not reap orphans a zombie can stay for long.
 */
export function liveGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && fields[0] !== 'X' && Number(fields[2]) === pgid) out.push(Number(entry));
  }
  return out;
}
