import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { labBinDir } from '../lab/supervisor.js';
import { IoError } from '../shared/errors.js';
import type { ProbeRequest, ProberReply, ResolveRequest, ServeRequest } from './prober.js';

type Pending = { resolve: (r: ProberReply) => void };
/** A request without its id (the client numbers them). */
type Request = Omit<ProbeRequest, 'id'> | Omit<ServeRequest, 'id'> | Omit<ResolveRequest, 'id'>;

/** The built prober program (the lab runs dist/, like the agents and agnhost). */
export function proberPath(): string {
  const path = join(labBinDir(), '..', 'dist', 'src', 'live', 'prober-main.js');
  if (!existsSync(path)) throw new IoError(`${path} is missing: build first (npx tsc -p tsconfig.json)`);
  return path;
}

/**
 * A prober process running in one network namespace (`ip netns exec`, so it is inside the netns from its
 * first instruction), with a promise per request. Detached in its own process group, so a Ctrl-C on the
 * terminal reaches podwall, which then stops it in order.
 */
export class ProberClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited: string | undefined;
  private readonly ready: Promise<void>;

  private constructor(readonly netns: string, private readonly child: ChildProcess) {
    let markReady: () => void = () => undefined;
    let failReady: (e: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    const stderr: string[] = [];
    child.stderr!.on('data', (b: Buffer) => stderr.push(b.toString('utf8')));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let reply: ProberReply;
      try {
        reply = JSON.parse(line) as ProberReply;
      } catch {
        return;
      }
      if (reply.id === 0) return markReady();
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      p.resolve(reply);
    });
    child.on('error', (e) => failReady(new IoError(`cannot start the prober in ${netns}: ${e.message}`, { cause: e })));
    child.on('exit', (code, signal) => {
      this.exited = `prober in ${netns} exited (${signal ?? code})${stderr.length ? `: ${stderr.join('').trim().slice(-300)}` : ''}`;
      failReady(new IoError(this.exited));
      for (const [id, p] of this.pending) p.resolve({ id, outcome: 'error', detail: this.exited, ms: 0 });
      this.pending.clear();
    });
  }

  /** Start a prober in `netns` and wait until it reads requests. */
  static async start(netns: string, env: NodeJS.ProcessEnv): Promise<ProberClient> {
    const child = spawn('ip', ['netns', 'exec', netns, process.execPath, proberPath()], { stdio: ['pipe', 'pipe', 'pipe'], env, detached: true });
    child.stdin!.on('error', () => undefined);
    const client = new ProberClient(netns, child);
    await client.ready;
    return client;
  }

  request(req: Request): Promise<ProberReply> {
    const id = this.nextId++;
    if (this.exited) return Promise.resolve({ id, outcome: 'error', detail: this.exited, ms: 0 });
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      this.child.stdin!.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }

  /** Close its input (it exits by itself) and make sure it is gone. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await gone;
    clearTimeout(timer);
  }
}
