import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, requireRoot, type LabContext } from '../src/lab/index.js';
import { runProcess, type ProcessResult } from '../src/lab/ip-command.js';

/**
 * Shared plumbing of the lab benchmarks (bench/dataplane.ts, bench/apply.ts): their own lab prefix and a
 * temporary state dir, cleanup on every exit path (also Ctrl-C), processes started inside the lab's
 * network namespaces and stopped by pid, the tiny C server, percentiles and the load average.
 */

/** The benchmarks' lab prefix, so they never touch a lab of the default prefix or of the tests. */
export const BENCH_PREFIX = 'pwb';

export type Say = (msg: string) => void;
export const progress = (name: string): Say => (msg) => process.stderr.write(`[bench:${name}] ${msg}\n`);
export const out = (s: string) => process.stdout.write(`${s}\n`);

/** CLOCK_MONOTONIC in ms: the same clock in every process of the machine (process.hrtime is uv_hrtime). */
export const monoMs = () => Number(process.hrtime.bigint()) / 1e6;

export const loadText = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const median = (xs: readonly number[]) => percentile(xs, 50);

/** The checkout's root, from dist/bench/ or bench/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) if (existsSync(join(dir, 'package.json'))) return dir;
  throw new Error('cannot find the repository root');
}

/** A running benchmark lab: its context, and the processes it started (stopped by pid at the end). */
export class BenchLab {
  readonly ctx: LabContext;
  private readonly children = new Set<ChildProcess>();
  private cleaned: Promise<void> | null = null;

  constructor(readonly name: string, private readonly say: Say) {
    requireRoot();
    const prefix = process.env.PODWALL_LAB_PREFIX ?? BENCH_PREFIX;
    const stateDir = mkdtempSync(join(tmpdir(), `${prefix}-${name}-`));
    // The agents and the CLI read both from the environment.
    process.env.PODWALL_LAB_PREFIX = prefix;
    process.env.PODWALL_STATE_DIR = stateDir;
    this.ctx = { prefix, stateDir };
  }

  /** `ip netns exec <netns> argv…`, detached (its own process group), remembered for cleanup. */
  spawnIn(netns: string, argv: readonly string[], opts: { stdout?: 'pipe' | 'ignore'; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], {
      stdio: ['ignore', opts.stdout ?? 'ignore', 'pipe'], detached: true, env: opts.env ?? process.env,
    });
    const err: Buffer[] = [];
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('exit', () => this.children.delete(child));
    (child as ChildProcess & { stderrText?: () => string }).stderrText = () => Buffer.concat(err).toString();
    this.children.add(child);
    return child;
  }

  /** Run to completion inside a netns; never throws for a non-zero exit. */
  runIn(netns: string, argv: readonly string[]): Promise<ProcessResult> {
    return runProcess('ip', ['netns', 'exec', netns, ...argv]);
  }

  /** Stop one process this lab started (SIGTERM to its group, SIGKILL after `graceMs`). */
  async stop(child: ChildProcess, graceMs = 2000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    kill('SIGTERM');
    const t = setTimeout(() => kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(t);
  }

  /** Stop what this lab started, remove the lab (exact names of its prefix) and its state dir. Idempotent. */
  cleanup(): Promise<void> {
    this.cleaned ??= (async () => {
      for (const c of [...this.children]) await this.stop(c, 1000).catch(() => undefined);
      try {
        await labDown({ onProgress: (l) => this.say(`lab down: ${l}`) }, this.ctx);
      } catch (err) {
        this.say(`lab down failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      rmSync(this.ctx.stateDir, { recursive: true, force: true });
    })();
    return this.cleaned;
  }

  /** Run `body`, then clean up whatever happens (errors, SIGINT, SIGTERM). Returns the exit code. */
  async run(body: (lab: BenchLab) => Promise<number>): Promise<number> {
    const onSignal = (sig: NodeJS.Signals) => {
      this.say(`${sig}: cleaning up`);
      void this.cleanup().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      return await body(this);
    } catch (err) {
      this.say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return 1;
    } finally {
      await this.cleanup();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

/** Build bench/tiny-httpd.c into `dir` with gcc; returns the binary's path. */
export function buildTinyHttpd(dir: string): string {
  const bin = join(dir, 'tiny-httpd');
  const r = spawnSync('gcc', ['-O2', '-Wall', '-o', bin, join(repoRoot(), 'bench', 'tiny-httpd.c')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot build tiny-httpd (gcc from scripts/apt-packages.txt): ${r.stderr || r.error?.message}`);
  return bin;
}

/** CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat; NaN when it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) counted from 1; f starts at field 3. USER_HZ is 100 on Linux.
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/** VmHWM (peak resident set) of a process in MiB, from /proc/<pid>/status; NaN when it is gone. */
export function peakRssMib(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** A TCP connect from inside `netns` with bash's /dev/tcp: `open`, `refused` (RST) or `timeout` (dropped). */
export async function tcpCheck(lab: BenchLab, netns: string, ip: string, port: number, timeoutS = 1): Promise<'open' | 'refused' | 'timeout'> {
  const r = await lab.runIn(netns, ['timeout', String(timeoutS), 'bash', '-c', `exec 3<>/dev/tcp/${ip}/${port}`]);
  return r.code === 0 ? 'open' : r.code === 124 ? 'timeout' : 'refused';
}
