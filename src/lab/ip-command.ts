import { spawn } from 'node:child_process';
import { InternalError, IoError } from '../shared/errors.js';

/**
 * A thin runner for iproute2's `ip`: argument arrays only, never a shell. `ipBatch` feeds many commands to
 * one `ip -batch -` process (pod creation costs two processes instead of a dozen).
 */

/** `ip` failed: keeps the arguments, the exit code and stderr. */
export class IpCommandError extends IoError {
  override name = 'IpCommandError';
  constructor(readonly args: readonly string[], readonly code: number | null, readonly stderr: string, options?: ErrorOptions) {
    super(`ip ${args.join(' ')}: ${stderr.trim() || `exit ${code}`}`, options);
  }
}

export interface IpOptions {
  /** Run in this network namespace (`ip -n <netns> …`). */
  netns?: string;
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawn a program with an argument array, feed `input` on stdin, collect its output. Never throws for a non-zero exit. */
export function runProcess(file: string, args: readonly string[], input?: string, env?: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new IoError(`cannot run ${file}: ${e.message}`, { cause: e })));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    if (input !== undefined) {
      child.stdin!.on('error', () => undefined); // ip may exit before reading everything; the exit code tells
      child.stdin!.end(input);
    }
  });
}

function withNetns(args: readonly string[], opts: IpOptions): string[] {
  return opts.netns === undefined ? [...args] : ['-n', opts.netns, ...args];
}

/** Run `ip <args>` and return stdout; throws IpCommandError (with stderr) on a non-zero exit. */
export async function ip(args: readonly string[], opts: IpOptions = {}): Promise<string> {
  const full = withNetns(args, opts);
  const r = await runProcess('ip', full);
  if (r.code !== 0) throw new IpCommandError(full, r.code, r.stderr);
  return r.stdout;
}

/** Run `ip -j <args>` and parse its JSON output. */
export async function ipJson<T>(args: readonly string[], opts: IpOptions = {}): Promise<T> {
  const out = await ip(['-j', ...args], opts);
  return (out.trim() === '' ? [] : JSON.parse(out)) as T;
}

// Batch lines are split on blanks by ip itself; every token must be a plain word so nothing is re-interpreted
// (no quotes, comments or spaces). Callers build tokens from validated names, IPs and MACs only.
const TOKEN_RE = /^[A-Za-z0-9._:/@=+-]+$/;

/** One batch line from tokens, refusing anything that is not a plain word. */
export function batchLine(tokens: readonly string[]): string {
  for (const t of tokens) {
    if (!TOKEN_RE.test(t)) throw new InternalError(`unsafe token in ip batch line: ${JSON.stringify(t)}`);
  }
  return tokens.join(' ');
}

export interface BatchOptions extends IpOptions {
  /** Continue after a failing line (`ip -force`); the call still throws when any line failed. */
  force?: boolean;
}

/** Run many `ip` commands (each an argument array) in one `ip -batch -` process. */
export async function ipBatch(commands: readonly (readonly string[])[], opts: BatchOptions = {}): Promise<void> {
  if (commands.length === 0) return;
  const input = `${commands.map(batchLine).join('\n')}\n`;
  const full = withNetns([...(opts.force ? ['-force'] : []), '-batch', '-'], opts);
  const r = await runProcess('ip', full, input);
  if (r.code !== 0) throw new IpCommandError([...full, `<<${commands.length} lines>>`], r.code, r.stderr);
}
