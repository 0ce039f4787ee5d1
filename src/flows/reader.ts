/**
 * The node's NFLOG reader: `tcpdump -i nflog:<group> -w -` inside the node's network namespace (one
 * NFLOG group has one listener per namespace), its pcap stream parsed in-process. Chosen over
 * ulogd2's JSON and a native binding by measurement: see docs/flows.md.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { NflogPcapParser, type NflogRecord } from './nflog.js';

export interface ReaderOptions {
  /** `ip netns` name of the node; absent: the current namespace. */
  netns?: string;
  group: number;
  /** Socket receive buffer for the NFLOG socket, KiB (tcpdump -B): absorbs bursts, bounds memory. */
  bufferKiB?: number;
  onRecords(records: NflogRecord[]): void;
  onExit(reason: string): void;
}

export interface FlowReader {
  readonly kind: 'tcpdump';
  readonly pid: number | undefined;
  /** Resolves once tcpdump listens (its "listening on" line). */
  ready: Promise<void>;
  stop(): void;
}

export function startReader(o: ReaderOptions): FlowReader {
  const args = ['-i', `nflog:${o.group}`, '-w', '-', '-U', '-n', '-B', String(o.bufferKiB ?? 8192)];
  const [cmd, argv] = o.netns ? ['ip', ['netns', 'exec', o.netns, 'tcpdump', ...args]] : ['tcpdump', args];
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const parser = new NflogPcapParser();
  let stderr = '';
  let stopped = false;
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => undefined);
  child.stdout.on('data', (chunk: Buffer) => {
    try {
      const recs = parser.push(chunk);
      if (recs.length > 0) o.onRecords(recs);
    } catch (err) {
      child.kill('SIGTERM');
      o.onExit(`unreadable NFLOG stream: ${(err as Error).message}`);
    }
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-2000);
    if (/listening on/.test(stderr)) resolveReady();
  });
  child.on('error', (err) => { rejectReady(err); o.onExit(`cannot start tcpdump: ${err.message}`); });
  child.on('close', (code, signal) => {
    const why = `tcpdump exited (${signal ?? code})${stderr ? `: ${stderr.trim().split('\n').slice(-2).join(' / ')}` : ''}`;
    rejectReady(new Error(why));
    if (!stopped) o.onExit(why);
  });
  return {
    kind: 'tcpdump', pid: child.pid, ready,
    stop() {
      stopped = true;
      child.kill('SIGTERM');
    },
  };
}
