import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { waitFor } from '../../src/lab/wait.js';

/**
 * Small Node programs the real-kernel tests run inside a pod's network namespace (`ip netns exec` execs
 * node, so the child's pid is node's own): a prober that keeps making TCP connection attempts and counts
 * what happened, and a long-lived connection the test drives line by line. They talk JSON lines on stdout.
 */

/** One process in a netns whose stdout lines (JSON) the test reads. */
export class NetnsProcess {
  readonly lines: unknown[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<unknown>;
  private stderr = '';

  constructor(netns: string, script: string, args: readonly (string | number)[]) {
    this.child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script, ...args.map(String)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = once(this.child, 'close');
    let buf = '';
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        this.lines.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  write(text: string): void {
    this.child.stdin!.write(text);
  }

  /** The first line from `from` on that satisfies `match`. */
  async waitLine<T>(match: (line: T) => boolean, opts: { from?: number; timeoutMs?: number; what?: string } = {}): Promise<T> {
    return waitFor(() => {
      if (!this.alive && !this.lines.slice(opts.from ?? 0).some((l) => match(l as T))) throw new Error(`process ${this.pid} ended: ${this.stderr}`);
      return this.lines.slice(opts.from ?? 0).find((l) => match(l as T)) as T | undefined;
    }, { timeoutMs: opts.timeoutMs ?? 5000, intervalMs: 5, what: opts.what ?? 'a line' });
  }

  /** SIGTERM (the scripts report and exit on it) and wait for the end. */
  async stop(): Promise<void> {
    if (this.alive) this.child.kill('SIGTERM');
    await this.exited;
  }
}

export interface ProbeStats {
  attempts: number;
  /** Handshakes that completed. */
  ok: number;
  timeouts: number;
  /** Errors by code (ECONNREFUSED means a SYN reached the destination and got a RST). */
  errors: Record<string, number>;
}

// Every `every` ms a new attempt (at most `max` in flight); an attempt that has not connected within
// `timeout` ms counts as a timeout. A line of stats every 50 ms, at each success, and on SIGTERM.
const PROBER = `
const net = require('node:net');
const [host, port, every, timeout, max] = [process.argv[1], ...process.argv.slice(2).map(Number)];
const s = { attempts: 0, ok: 0, timeouts: 0, errors: {} };
let inflight = 0;
const report = () => process.stdout.write(JSON.stringify(s) + '\\n');
function attempt() {
  if (inflight >= max) return;
  inflight++; s.attempts++;
  const sock = net.connect({ host, port });
  let done = false;
  const finish = (kind, code) => {
    if (done) return;
    done = true; inflight--; clearTimeout(timer); sock.destroy();
    if (kind === 'ok') { s.ok++; report(); } else if (kind === 'timeout') s.timeouts++; else s.errors[code] = (s.errors[code] || 0) + 1;
  };
  const timer = setTimeout(() => finish('timeout'), timeout);
  sock.on('connect', () => finish('ok'));
  sock.on('error', (e) => finish('error', e.code || e.message));
}
setInterval(attempt, every);
setInterval(report, 50);
process.on('SIGTERM', () => { report(); process.exit(0); });
report();
`;

/** A process in `netns` that attempts TCP connections to `host:port` continuously. */
export class Prober extends NetnsProcess {
  constructor(netns: string, host: string, port: number, opts: { everyMs?: number; timeoutMs?: number; maxInFlight?: number } = {}) {
    super(netns, PROBER, [host, port, opts.everyMs ?? 4, opts.timeoutMs ?? 150, opts.maxInFlight ?? 64]);
  }

  /** The latest stats reported. */
  stats(): ProbeStats {
    return (this.lines.at(-1) as ProbeStats | undefined) ?? { attempts: 0, ok: 0, timeouts: 0, errors: {} };
  }

  /** Wait until at least `n` more attempts were made (so work interleaves with the probing). */
  async attemptsBeyond(n: number, timeoutMs = 5000): Promise<ProbeStats> {
    return this.waitLine<ProbeStats>((s) => s.attempts >= n, { from: Math.max(0, this.lines.length - 1), timeoutMs, what: `${n} attempts` });
  }

  /** Wait until a new success is reported after the current line. */
  async nextSuccess(timeoutMs = 5000): Promise<ProbeStats> {
    const ok = this.stats().ok;
    return this.waitLine<ProbeStats>((s) => s.ok > ok, { from: this.lines.length, timeoutMs, what: 'a successful connection' });
  }

  /** Stop and return the final stats. */
  async finish(): Promise<ProbeStats> {
    await this.stop();
    return this.stats();
  }
}

// Echoes every byte back.
const ECHO_SERVER = `
const net = require('node:net');
net.createServer((c) => { c.on('error', () => {}); c.pipe(c); }).listen(Number(process.argv[1]), () => console.log(JSON.stringify({ listening: true })));
process.on('SIGTERM', () => process.exit(0));
`;

// One TCP connection, kept open: each stdin line goes out, each line that comes back is reported with the
// connection's local port (the same socket throughout).
const CONNECTION = `
const net = require('node:net');
const sock = net.connect({ host: process.argv[1], port: Number(process.argv[2]) });
const say = (o) => process.stdout.write(JSON.stringify({ ...o, localPort: sock.localPort }) + '\\n');
sock.on('connect', () => say({ connected: true }));
sock.setEncoding('utf8');
let buf = '';
sock.on('data', (d) => { buf += d; for (let i = buf.indexOf('\\n'); i >= 0; i = buf.indexOf('\\n')) { say({ echo: buf.slice(0, i) }); buf = buf.slice(i + 1); } });
sock.on('error', (e) => say({ error: e.code || e.message }));
sock.on('close', () => { say({ closed: true }); process.exit(0); });
process.stdin.setEncoding('utf8').on('data', (d) => sock.write(d));
process.on('SIGTERM', () => { sock.destroy(); process.exit(0); });
`;

/** An echo server in `netns` on `port`, ready when this resolves. */
export async function echoServer(netns: string, port: number): Promise<NetnsProcess> {
  const p = new NetnsProcess(netns, ECHO_SERVER, [port]);
  await p.waitLine<{ listening?: boolean }>((l) => l.listening === true, { what: 'the echo server to listen' });
  return p;
}

export interface EchoLine {
  connected?: boolean;
  echo?: string;
  error?: string;
  closed?: boolean;
  localPort: number;
}

/** A long-lived connection from `netns` to `host:port`; `roundTrip` sends a line and waits for its echo. */
export class Connection extends NetnsProcess {
  constructor(netns: string, host: string, port: number) {
    super(netns, CONNECTION, [host, port]);
  }

  async opened(timeoutMs = 3000): Promise<EchoLine> {
    return this.waitLine<EchoLine>((l) => l.connected === true || l.error !== undefined || l.closed === true, { timeoutMs, what: 'the connection' });
  }

  async roundTrip(text: string, timeoutMs = 3000): Promise<EchoLine> {
    const from = this.lines.length;
    this.write(`${text}\n`);
    return this.waitLine<EchoLine>((l) => l.echo === text || l.error !== undefined || l.closed === true, { from, timeoutMs, what: `the echo of ${text}` });
  }
}
