import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IoError } from '../shared/errors.js';
import { runProcess, type ProcessResult } from './ip-command.js';
import { labContext, podNetns, podStateDir, type LabContext } from './names.js';
import { liveGroupMembers, netnsExists, netnsInode, processNetnsInode } from './netns.js';
import { waitFor } from './wait.js';
import { labTrustEnv } from '../world/trust.js';

/**
 * Runs a pod's process inside its netns, detached, with restart policy "never": `<stateDir>/pods/<ns>_<name>/`
 * holds `pid` (the process group leader), `log` (stdout and stderr) and `exit` (its exit code, once it ended).
 */

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  /** The pod's IP, passed to the process as POD_IP when known. */
  readonly ip?: string;
}

/** The repository's `bin/` (holds `agnhost` and `podwall.js`), found from this file in src/ or dist/src/. */
export function labBinDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'bin', 'agnhost'))) return join(dir, 'bin');
    dir = dirname(dir);
  }
  throw new IoError(`cannot find bin/agnhost above ${fileURLToPath(import.meta.url)}`);
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * A container-like environment: not the caller's (no PODWALL_* or test-runner variables leak in), but PATH with
 * agnhost and node, the pod's identity (POD_NAME is the hostname agnhost serves) and the terminal type.
 * `podEnvIn` adds CURL_CA_BUNDLE / SSL_CERT_FILE / NODE_EXTRA_CA_CERTS for the lab CA (src/world/trust.ts).
 */
export function podEnv(pod: PodRef, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${labBinDir()}:${dirname(process.execPath)}:${SYSTEM_PATH}`,
    HOME: '/root',
    HOSTNAME: pod.name,
    POD_NAME: pod.name,
    POD_NAMESPACE: pod.namespace,
    ...(pod.ip ? { POD_IP: pod.ip } : {}),
    ...(process.env.TERM ? { TERM: process.env.TERM } : {}),
    ...(process.env.LANG ? { LANG: process.env.LANG } : {}),
    ...extra,
  };
}

/** podEnv plus the lab CA trust of the lab `ctx` (pods reach the simulated internet over HTTPS). */
export function podEnvIn(ctx: LabContext, pod: PodRef, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return podEnv(pod, { ...labTrustEnv(ctx), ...extra });
}

export interface PodFiles {
  dir: string;
  pid: string;
  log: string;
  exit: string;
}

export function podFiles(pod: PodRef, ctx: LabContext = labContext()): PodFiles {
  const dir = podStateDir(ctx, pod.namespace, pod.name);
  return { dir, pid: join(dir, 'pid'), log: join(dir, 'log'), exit: join(dir, 'exit') };
}

function requireNetns(pod: PodRef, ctx: LabContext): string {
  const ns = podNetns(pod.namespace, pod.name, ctx.prefix);
  if (!netnsExists(ns)) throw new IoError(`pod ${pod.namespace}/${pod.name} has no network namespace (${ns})`);
  return ns;
}

// The pod's command runs under a constant shell script that records its exit code; the command itself is passed
// as positional arguments ("$@"), never interpolated into the script. The shell catches (not ignores: children
// would inherit that) the stop signals, so on `stopPod` it outlives and reaps its child and records how it ended,
// as a container runtime reports 0 or 143. Without this the child would be orphaned to pid 1, which on some
// machines (a VM's process agent as pid 1) never reaps it.
const RECORD_EXIT = 'trap : TERM INT HUP; rc=0; "$@" || rc=$?; echo "$rc" > "$PODWALL_EXIT_FILE"';

/** Start `argv` in the pod's netns, detached in its own process group; returns its pid. Throws IoError when it cannot start. */
export async function startPod(pod: PodRef, argv: readonly string[], opts: { env?: Record<string, string> } = {}, ctx: LabContext = labContext()): Promise<number> {
  if (argv.length === 0) throw new IoError('no command to start');
  const ns = requireNetns(pod, ctx);
  const files = podFiles(pod, ctx);
  mkdirSync(files.dir, { recursive: true });
  rmSync(files.exit, { force: true });
  const fd = openSync(files.log, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', ns, '/bin/sh', '-c', RECORD_EXIT, 'podwall-pod', ...argv], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...podEnvIn(ctx, pod, opts.env), PODWALL_EXIT_FILE: files.exit },
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => reject(new IoError(`cannot start ${argv[0]} in ${ns}: ${e.message}`, { cause: e })));
    });
    child.unref();
    writeFileSync(files.pid, `${child.pid}\n`);
    // `ip netns exec` enters the netns a moment after 'spawn': until it has, deleting the pod would not
    // find the process there (it would live on in a netns that has no name). Return once it is inside,
    // or has already ended.
    const ino = netnsInode(ns);
    let ended = false;
    child.once('exit', () => { ended = true; });
    await waitFor(() => ended || ino === undefined || processNetnsInode(child.pid!) === ino, { timeoutMs: 5000, intervalMs: 1, what: `${argv[0]} to enter ${ns}` });
    return child.pid!;
  } finally {
    closeSync(fd);
  }
}

export type PodProcessState = { state: 'running'; pid: number } | { state: 'exited'; exitCode: number } | { state: 'not-started' } | { state: 'terminated' };

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the pod's process when it is alive and still inside the pod's netns (guards against pid reuse). */
function livePid(pod: PodRef, ctx: LabContext): number | undefined {
  const pid = readPid(podFiles(pod, ctx).pid);
  if (pid === undefined) return undefined;
  const ino = netnsInode(podNetns(pod.namespace, pod.name, ctx.prefix));
  return ino !== undefined && processNetnsInode(pid) === ino ? pid : undefined;
}

/** Whether the pod's process runs, ended (with its code), was killed, or never started. */
export function podProcessState(pod: PodRef, ctx: LabContext = labContext()): PodProcessState {
  const pid = livePid(pod, ctx);
  if (pid !== undefined) return { state: 'running', pid };
  const files = podFiles(pod, ctx);
  if (existsSync(files.exit)) return { state: 'exited', exitCode: Number(readFileSync(files.exit, 'utf8').trim()) };
  return existsSync(files.pid) ? { state: 'terminated' } : { state: 'not-started' };
}

function groupAlive(pgid: number): boolean {
  return liveGroupMembers(pgid).length > 0;
}

/**
 * SIGTERM the pod's process group, SIGKILL it after `graceMs`. Returns whether it was running. The pid file stays
 * (the state reads `exited` with the code, or `terminated` after SIGKILL); `lab down` removes it.
 */
export async function stopPod(pod: PodRef, opts: { graceMs?: number } = {}, ctx: LabContext = labContext()): Promise<boolean> {
  const pid = livePid(pod, ctx);
  if (pid !== undefined) {
    try {
      process.kill(-pid, 'SIGTERM');
      await waitFor(() => !groupAlive(pid), { timeoutMs: opts.graceMs ?? 2000 }).catch(() => process.kill(-pid, 'SIGKILL'));
      await waitFor(() => !groupAlive(pid), { timeoutMs: 2000, what: `process group ${pid} to exit` });
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && err.code === 'ESRCH')) throw err;
    }
  }
  return pid !== undefined;
}

/** The pod's log (stdout and stderr of its process), '' when there is none. */
export function podLogs(pod: PodRef, ctx: LabContext = labContext()): string {
  try {
    return readFileSync(podFiles(pod, ctx).log, 'utf8');
  } catch {
    return '';
  }
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? constants.signals[signal] ?? 0 : 0);
}

/**
 * Run `argv` in the pod's netns with the terminal inherited (`podwall exec -it … sh` gives a real shell) and
 * return its exit code. Without `stdin` the command gets no input. Ctrl-C reaches the command, not podwall.
 */
export async function execInPod(pod: PodRef, argv: readonly string[], opts: { stdin?: boolean; tty?: boolean; env?: Record<string, string> } = {}, ctx: LabContext = labContext()): Promise<number> {
  if (argv.length === 0) throw new IoError('no command to run');
  const ns = requireNetns(pod, ctx);
  if (opts.tty && !process.stdin.isTTY) process.stderr.write('Unable to use a TTY - input is not a terminal\n');
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
        stdio: [opts.stdin || opts.tty ? 'inherit' : 'ignore', 'inherit', 'inherit'],
        env: podEnvIn(ctx, pod, opts.env),
      });
      child.once('error', (e) => reject(new IoError(`cannot run ${argv[0]} in ${ns}: ${e.message}`, { cause: e })));
      child.once('close', (code, signal) => resolve(exitCodeOf(code, signal)));
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGQUIT', ignore);
  }
}

/** Run `argv` in the pod's netns and capture its output (probes and tests). */
export async function execInPodCapture(pod: PodRef, argv: readonly string[], opts: { input?: string; env?: Record<string, string> } = {}, ctx: LabContext = labContext()): Promise<ProcessResult> {
  if (argv.length === 0) throw new IoError('no command to run');
  const ns = requireNetns(pod, ctx);
  return runProcess('ip', ['netns', 'exec', ns, ...argv], opts.input, podEnvIn(ctx, pod, opts.env));
}
