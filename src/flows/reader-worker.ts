/**
 * The reader's own thread: it runs tcpdump and drains its pipe whatever the agent's main thread is busy
 * with (on a loaded node the main thread stalls for 100 ms and more; a pipe not drained for that long makes
 * tcpdump block and the kernel drop events, drops included). Records wait in a Backlog, which sheds
 * forwarded events first when the main thread falls behind; the main thread pulls batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Backlog } from './backlog.js';
import { parseIpv4 } from './packet.js';
import { startReader } from './reader.js';
import type { ReaderMessage, ReaderWorkerData, ThreadRecord } from './reader-thread.js';

const data = workerData as ReaderWorkerData;
const port = parentPort!;
const backlog = new Backlog(data.highWater, data.max);
let received = 0;
let waiting = 0;

const send = (m: ReaderMessage) => port.postMessage(m);
const stats = () => ({ received, shedForwarded: backlog.shedForwarded, shedDropped: backlog.shedDropped, backlog: backlog.length });

function answer(): void {
  if (waiting === 0 || backlog.length === 0) return;
  const recs: ThreadRecord[] = [];
  for (const r of backlog.take(waiting)) {
    const packet = parseIpv4(r.payload);
    if (packet) recs.push({ timeMs: r.timeMs, prefix: r.prefix, packet });
  }
  waiting = 0;
  send({ type: 'records', recs, stats: stats() });
}

const reader = startReader({
  ...(data.netns ? { netns: data.netns } : {}),
  group: data.group,
  onRecords(recs) {
    received += recs.length;
    backlog.push(recs);
    answer();
  },
  onExit(why) {
    send({ type: 'exit', why, stats: stats() });
  },
});
reader.ready.then(() => send({ type: 'ready', pid: reader.pid ?? null }), () => undefined);

port.on('message', (m: { type: 'pull'; max: number } | { type: 'stop' }) => {
  if (m.type === 'stop') {
    reader.stop();
    port.close();
    return;
  }
  waiting = m.max;
  answer();
});
