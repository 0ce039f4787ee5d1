/** The main thread's side of the reader thread (reader-worker.ts): start it, pull records, stop it. */
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
  stop(): void;
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
    stop() {
      stopped = true;
      worker.postMessage({ type: 'stop' });
      setTimeout(() => void worker.terminate(), 1000).unref();
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
      if (!stopped) onExit(m.why);
    }
  });
  worker.on('error', (e) => { rejectReady(e); if (!stopped) onExit(`reader thread failed: ${e.message}`); });
  return r;
}
