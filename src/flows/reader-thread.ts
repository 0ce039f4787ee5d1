/** The main thread's side of the reader thread (reader-worker.ts): start it, pull records, stop it. */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { PacketInfo } from './packet.js';

export interface ReaderWorkerData {
  netns?: string;
  group: number;
  highWater: number;
  max: number;
}

export interface ThreadRecord {
  timeMs: number;
  prefix: string;
  packet: PacketInfo;
}

export interface ReaderStats {
  /** NFLOG records read from the pipe. */
  received: number;
  shedForwarded: number;
  shedDropped: number;
  backlog: number;
}

export type ReaderMessage =
  | { type: 'ready'; pid: number | null }
  | { type: 'records'; recs: ThreadRecord[]; stats: ReaderStats }
  | { type: 'exit'; why: string; stats: ReaderStats };

export interface ThreadedReader {
  readonly kind: 'tcpdump';
  pid: number | null;
  ready: Promise<void>;
  stats: ReaderStats;
  /** Stop tcpdump and the thread; resolves once tcpdump is gone, so nothing of the reader outlives the agent. */
  stop(): Promise<void>;
}

/** Gone, or a zombie waiting to be reaped (it holds nothing any more). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/**
 * Start the reader thread. `onRecords` gets each batch and returns (or resolves) when it is done with it;
 * only then is the next batch pulled, so the main thread sets the pace and the thread holds the rest.
 */
export function startThreadedReader(data: ReaderWorkerData, onRecords: (recs: ThreadRecord[]) => void, onExit: (why: string) => void, batch = 500): ThreadedReader {
  const worker = new Worker(new URL('./reader-worker.js', import.meta.url), { workerData: data });
  worker.unref();
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => { resolveReady = res; rejectReady = rej; });
  ready.catch(() => undefined);
  let stopped = false;
  const r: ThreadedReader = {
    kind: 'tcpdump', pid: null, ready, stats: { received: 0, shedForwarded: 0, shedDropped: 0, backlog: 0 },
    async stop() {
      stopped = true;
      const pid = r.pid;
      if (pid !== null) {
        try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
      }
      worker.postMessage({ type: 'stop' });
      const deadline = performance.now() + 2000;
      while (pid !== null && !gone(pid) && performance.now() < deadline) await delay(10);
      await worker.terminate();
    },
  };
  const pull = () => { if (!stopped) worker.postMessage({ type: 'pull', max: batch }); };
  worker.on('message', (m: ReaderMessage) => {
    if (m.type === 'ready') {
      r.pid = m.pid;
      resolveReady();
      pull();
    } else if (m.type === 'records') {
      r.stats = m.stats;
      try {
        onRecords(m.recs);
      } finally {
        // Yield to I/O (HTTP clients, the agent's loop) between batches.
        setImmediate(pull);
      }
    } else {
      r.stats = m.stats;
      rejectReady(new Error(m.why));
      void worker.terminate();
      if (!stopped) onExit(m.why);
    }
  });
  worker.on('error', (e) => { rejectReady(e); if (!stopped) onExit(`reader thread failed: ${e.message}`); });
  return r;
}
