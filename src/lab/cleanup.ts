import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { IoError } from '../shared/errors.js';
import { ipBatch, ipJson } from './ip-command.js';
import { isLabLink, isLabNetns, labContext, type LabContext } from './names.js';
import { killProcessesIn, listNetns, pidsInNetns } from './netns.js';
import { listPodResolvDirs, removePodResolvConf } from './resolv.js';
import { waitFor } from './wait.js';

/**
 * Finds and removes every lab object of a prefix by exact name: its netns (`<prefix>-…`), any link of its
 * shapes left in the root netns (there should be none), the processes inside its netns, and the state dir's
 * pid files. `lab down` uses it, and `lab up` first, to clear what a crashed run left.
 */

export interface LabObjects {
  prefix: string;
  /** Network namespaces named `<prefix>-…` (nodes and pods). */
  netns: string[];
  /** Links in the root netns with one of the prefix's shapes. */
  rootLinks: string[];
  /** Processes inside those netns. */
  processes: { pid: number; netns: string }[];
  /** `<stateDir>/pods/<ns>_<name>/pid` and `<stateDir>/*.pid`. */
  pidFiles: string[];
  /** `/etc/netns/<prefix>-p<hash8>` directories (pods' resolv.conf). */
  resolvDirs: string[];
}

const POD_DIR_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?_[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** `<stateDir>/pods/<ns>_<name>` directories (only names the lab itself makes). */
export function podDirs(stateDir: string): string[] {
  const pods = join(stateDir, 'pods');
  try {
    return readdirSync(pods).filter((d) => POD_DIR_RE.test(d)).sort().map((d) => join(pods, d));
  } catch {
    return [];
  }
}

function pidFiles(stateDir: string): string[] {
  const top = existsSync(stateDir) ? readdirSync(stateDir).filter((f) => /^[a-z0-9-]+\.pid$/.test(f)).map((f) => join(stateDir, f)) : [];
  return [...top, ...podDirs(stateDir).map((d) => join(d, 'pid')).filter((f) => existsSync(f))];
}

/** Everything of the prefix that exists now. One `ip` process (root links). */
export async function listLabObjects(ctx: LabContext = labContext()): Promise<LabObjects> {
  const netns = listNetns().filter((n) => isLabNetns(n, ctx.prefix));
  const links = await ipJson<{ ifname: string }[]>(['link', 'show']);
  const processes = [...pidsInNetns(netns)].flatMap(([ns, pids]) => pids.map((pid) => ({ pid, netns: ns })));
  return {
    prefix: ctx.prefix,
    netns,
    rootLinks: links.map((l) => l.ifname).filter((n) => isLabLink(n, ctx.prefix)),
    processes,
    pidFiles: pidFiles(ctx.stateDir),
    resolvDirs: listPodResolvDirs(ctx.prefix),
  };
}

/** Whether nothing of the prefix is left. */
export function isEmpty(o: LabObjects): boolean {
  return o.netns.length + o.rootLinks.length + o.processes.length + o.pidFiles.length + o.resolvDirs.length === 0;
}

/**
 * Remove every lab object of the prefix: kill the processes (and wait for them), delete the netns (their
 * links go with them) and root links in one `ip -batch` each, remove the pid files. Returns what was found.
 * Throws IoError naming whatever is still there afterwards.
 */
export async function removeLabObjects(ctx: LabContext = labContext()): Promise<LabObjects> {
  const found = await listLabObjects(ctx);
  // The agents run in the root netns; their pid files name them.
  const agents = found.pidFiles.filter((f) => /\/agent-node[0-9]+\.pid$/.test(f)).flatMap((f) => agentPid(f));
  await killPids(agents);
  if (found.netns.length) await killProcessesIn(found.netns);
  // -force: one stuck object must not keep the others alive; what failed is reported below.
  await ipBatch(found.netns.map((n) => ['netns', 'del', n]), { force: true }).catch(() => undefined);
  await ipBatch(found.rootLinks.map((l) => ['link', 'del', l]), { force: true }).catch(() => undefined);
  for (const f of found.pidFiles) rmSync(f, { force: true });
  for (const d of found.resolvDirs) removePodResolvConf(d);
  const left = await listLabObjects(ctx);
  if (!isEmpty(left)) {
    throw new IoError(`could not remove all lab objects of prefix ${ctx.prefix}: ${JSON.stringify({ netns: left.netns, rootLinks: left.rootLinks, processes: left.processes, pidFiles: left.pidFiles, resolvDirs: left.resolvDirs })}`);
  }
  return found;
}

/** The pid in an agent pid file, if that process still is a podwall agent (pids are reused). */
function agentPid(file: string): number[] {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return Number.isInteger(pid) && cmd.includes('podwall') && cmd.includes('agent') ? [pid] : [];
  } catch {
    return [];
  }
}

async function killPids(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await waitFor(() => pids.every((pid) => !existsSync(`/proc/${pid}/cmdline`) || isZombie(pid)), { timeoutMs: 3000, what: 'the agents to stop' })
    .catch(() => pids.forEach((pid) => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }));
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** State files the lab and its parts write, by exact name (so a PODWALL_STATE_DIR shared with other files is safe). */
const STATE_FILE_RE = /^(store\.db(-wal|-shm|-journal)?|lab\.json|agent-node[0-9]+\.(json|log|pid)(\.[0-9]+\.tmp)?|world-(dns|web)\.(log|pid))$/;
/** `<stateDir>/world/`: the zone the world serves and the lab CA (src/world/world.ts). */
const WORLD_FILES = ['zone.yaml', 'ca.crt', 'ca.key', 'server.crt', 'server.key', 'server.csr', 'server.ext'];
const POD_FILES = ['pid', 'log', 'exit', 'node', 'spec.json'];

/**
 * Remove the lab's state: the store, agent status files, lab.json and each pod's directory, by exact name,
 * then the `pods/` dir and the state dir itself when they are empty. Returns the paths of directories that
 * had to stay because they hold other files.
 */
export function removeLabState(ctx: LabContext = labContext()): string[] {
  const kept: string[] = [];
  for (const dir of podDirs(ctx.stateDir)) {
    for (const f of POD_FILES) rmSync(join(dir, f), { force: true });
    if (!tryRmdir(dir)) kept.push(dir);
  }
  if (existsSync(ctx.stateDir)) {
    for (const f of readdirSync(ctx.stateDir)) if (STATE_FILE_RE.test(f)) rmSync(join(ctx.stateDir, f), { force: true });
  }
  const world = join(ctx.stateDir, 'world');
  for (const f of WORLD_FILES) rmSync(join(world, f), { force: true });
  for (const dir of [join(ctx.stateDir, 'pods'), world, ctx.stateDir]) {
    if (existsSync(dir) && !tryRmdir(dir)) kept.push(dir);
  }
  return kept;
}

function tryRmdir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}
