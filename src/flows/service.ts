/**
 * One node's flow service, run inside its agent: the NFLOG reader, enrichment against the desired
 * state the kernel enforces, the ring buffer, the kernel counters (events logged, drops suppressed)
 * and the HTTP API of src/flows/flow.ts.
 */
import type { Engine } from '../engine/engine.js';
import { existsSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { ApiObject } from '../api/types.js';
import { decisionOf, DEFAULT_FLOW_LOG } from '../dataplane/flow-log.js';
import { EngineHistory } from './engine-history.js';
import type { Flow } from './flow.js';
import { Enricher, type NameLookup } from './enrich.js';
import { serveFlows, type FlowServer } from './http.js';
import { AgentMetrics } from './metrics.js';
import { startThreadedReader, type ReaderStats, type ThreadedReader, type ThreadRecord } from './reader-thread.js';
import { DEFAULT_RING_SIZE, FlowRing } from './ring.js';
import { kernelCounts, type KernelCounts } from './counters.js';
import { DEFAULT_BACKLOG, DEFAULT_HIGH_WATER } from './backlog.js';

/** Kernel counters are read at most this often (on /v1/status, /metrics, and every BACKGROUND_POLL_MS). */
export const MIN_POLL_MS = 1000;
/** The kernel sends logged packets in batches or after its 1 s flush timeout: an event is late, not lost, before this. */
const SETTLE_MS = 2000;
/**
 * How long before its timestamp a logged packet may have passed the kernel. Forwarded packets carry no
 * kernel timestamp into NFLOG (skb->tstamp is unset unless something enabled net timestamping), so
 * the event's time is when the reader got it: the NFLOG flush timeout (1 s) and batching after the packet.
 */
export const EVENT_LAG_MS = 10_000;
/**
 * Unasked, the kernel counters are read once a minute: a listing makes nft read every set element
 * (~65 ms at 12,000 elements), CPU a reconcile then waits for; scrapes and status requests read them fresh.
 */
const BACKGROUND_POLL_MS = 60_000;

export interface FlowServiceOptions {
  node: string;
  netns?: string;
  group?: number;
  ringSize?: number;
  /** Records waiting for enrichment before forwarded ones are shed (default 100,000, ~20 MB). */
  backlog?: number;
  /** 0: any free port. */
  port?: number;
  names?: NameLookup;
  /** Read-only nft listing in the node's netns (the agent's executor). */
  query(words: readonly string[]): Promise<unknown | null>;
  metrics?: AgentMetrics;
  log?(line: string): void;
  /**
   * The reader pid an earlier agent reported (its status file). A tcpdump left by a killed agent (SIGKILL)
   * still holds the NFLOG group; the next start ends it by this pid (after checking it is that tcpdump).
   */
  staleReaderPid?: number | null;
}

/** What the service reports in the agent's status file and at GET /v1/status. */
export interface FlowServiceInfo {
  node: string;
  api: number | null;
  reader: { kind: string; running: boolean; pid: number | null; lastError: string | null };
  ringSize: number;
  flows: number;
  seen: number;
  evicted: number;
  /** Kernel counters grown since the reader started, as of the last poll (about once a second). */
  kernel: KernelCounts;
  /** Logged by the kernel since the reader started (as of a poll at least 2 s old) but never read. */
  lost: number;
  /** Read but shed because enrichment fell too far behind, by verdict (drops are shed last). */
  shed: { forwarded: number; dropped: number };
  /** Read and waiting to be enriched. */
  backlog: number;
  /** Records read from NFLOG, and flows enriched into the ring, since start. */
  read: number;
  enriched: number;
  disagreements: number;
}

export class FlowService {
  readonly ring: FlowRing;
  readonly metrics: AgentMetrics;
  private readonly enricher = new Enricher();
  /** For events re-explained with an earlier state (its own cache, so the main one is not thrashed). */
  private readonly earlier = new Enricher(2000);
  /** The desired states the kernel enforced lately, by time: each event is explained by the one of its time. */
  readonly states = new EngineHistory();
  /** World names by IP (the DNS proxy's cache), and a version that changes with them. */
  private names: NameLookup | undefined;
  private namesVersion = 0;
  private reader: ThreadedReader | null = null;
  private server: FlowServer | null = null;
  private readerError: string | null = null;
  private enriched = 0;
  private base: ReaderStats = { received: 0, shedForwarded: 0, shedDropped: 0, backlog: 0 };
  private skipped = 0;
  private disagreements = 0;
  /** The counters at the last poll, and what they grew by since the reader started (a table replace resets them). */
  private prev: KernelCounts | null = null;
  private kernel: KernelCounts = zero();
  private poller: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartMs = 500;
  private stopped = false;
  private polling: Promise<FlowServiceInfo> | null = null;
  private lastPoll = -Infinity;
  /** Kernel `logged` totals by poll time: an event counted more than SETTLE_MS ago must have been read by now. */
  private history: { at: number; logged: number }[] = [];

  constructor(private readonly o: FlowServiceOptions) {
    this.ring = new FlowRing(o.ringSize ?? DEFAULT_RING_SIZE);
    this.metrics = o.metrics ?? new AgentMetrics(o.node);
  }

  /**
   * The desired state the kernel enforces since `since` (epoch ms, default now); its engine is built
   * when the first event of its time needs it.
   */
  setDesired(revision: number, objects: readonly ApiObject[], since = Date.now(), engine?: Engine): void {
    this.states.set(revision, objects, since, engine);
  }

  /** World names by address (the DNS proxy's cache); flows enriched from now on use them. */
  setNames(byIp: ReadonlyMap<string, readonly string[]>): void {
    this.names = (ip) => [...(byIp.get(ip) ?? [])];
    this.namesVersion++;
  }

  /** World names of an address as flows now get them. */
  readonly namesOf: NameLookup = (ip) => (this.names ?? this.o.names)?.(ip) ?? [];

  /** L7 events (the DNS proxy's lookups), already made flows: into the ring like the rest. */
  addL7(flows: readonly Flow[]): void {
    for (const f of flows) this.ring.add(f);
  }

  async start(): Promise<void> {
    if (this.o.staleReaderPid) await endStaleReader(this.o.staleReaderPid, this.o.group ?? DEFAULT_FLOW_LOG.group);
    this.server = await serveFlows(this, this.o.port ?? 0);
    await this.startReader();
    this.prev = await this.readKernel();
    this.poller = setInterval(() => void this.poll(), BACKGROUND_POLL_MS);
    this.poller.unref();
    if (process.env.PODWALL_FLOW_DEBUG === '1') this.debugLoop();
  }

  /** Diagnostics: each second, what was read and enriched and how long the event loop stalled. */
  private debugLoop(): void {
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    let last = this.stats.received;
    let lastEnriched = this.enriched;
    const t = setInterval(() => {
      const st = this.stats;
      this.o.log?.(`flow debug: read ${st.received - last}/s enriched ${this.enriched - lastEnriched}/s backlog ${st.backlog} shed ${st.shedForwarded}/${st.shedDropped} `
        + `loop delay max ${(h.max / 1e6).toFixed(1)} ms p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`);
      last = st.received;
      lastEnriched = this.enriched;
      h.reset();
    }, 1000);
    t.unref();
  }

  private async startReader(): Promise<void> {
    const data = {
      ...(this.o.netns ? { netns: this.o.netns } : {}),
      group: this.o.group ?? DEFAULT_FLOW_LOG.group, highWater: DEFAULT_HIGH_WATER, max: this.o.backlog ?? DEFAULT_BACKLOG,
    };
    this.reader = startThreadedReader(data, (recs) => this.enrich(recs), (why) => {
      this.readerError = why;
      // Counters of a restarted reader start again at 0: keep what this one read.
      this.base = this.stats;
      this.reader = null;
      this.o.log?.(`flow reader: ${why}`);
      // Come back: a reader killed by hand (or by OOM) must not end flow visibility for good.
      // Backing off (1 s, doubling to 30 s) when it keeps failing, e.g. tcpdump is not installed.
      if (!this.stopped && !this.restartTimer) {
        this.restartMs = Math.min(this.restartMs * 2, 30_000);
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          if (!this.stopped) void this.startReader().then(() => { this.restartMs = 500; }, () => undefined);
        }, this.restartMs);
        this.restartTimer.unref();
      }
    });
    await this.reader.ready;
    this.readerError = null;
  }

  private enrich(recs: readonly ThreadRecord[]): void {
    const names = this.names ?? this.o.names;
    for (const r of recs) {
      const engine = this.states.at(r.timeMs)?.engine ?? null;
      const code = decisionOf(r.prefix);
      const p = r.packet;
      if (!code) {
        this.skipped++;
        continue;
      }
      this.enriched++;
      const nameCtx = names ? { names, namesVersion: this.namesVersion } : {};
      let flow = this.enricher.flow({ node: this.o.node, engine, ...nameCtx }, code, p, r.timeMs);
      if (flow.disagreement) {
        // Decided before a policy change the reader has not seen it pass: the state in force then explains it.
        for (const s of this.states.inForce(r.timeMs - EVENT_LAG_MS, r.timeMs).slice(1)) {
          const f = this.earlier.flow({ node: this.o.node, engine: s.engine, ...nameCtx }, code, p, r.timeMs);
          if (!f.disagreement) {
            flow = f;
            break;
          }
        }
      }
      if (flow.disagreement) {
        this.disagreements++;
        this.o.log?.(`VERDICT DISAGREEMENT ${flow.source.ip} -> ${flow.destination.ip}:${flow.destination.port ?? ''}: ${flow.disagreement}`);
      }
      this.metrics.countFlow(flow);
      this.ring.add(flow);
    }
  }

  private async readKernel(): Promise<KernelCounts> {
    try {
      return await kernelCounts(this.o.query);
    } catch {
      return this.kernel;
    }
  }

  /**
   * Kernel counters into the metrics; counters that went down were reset by a full table replace. At most
   * every MIN_POLL_MS: a listing costs nft a read of every set element (the meters' too).
   */
  async poll(): Promise<FlowServiceInfo> {
    if (this.polling) return this.polling;
    if (performance.now() - this.lastPoll < MIN_POLL_MS) return this.info();
    this.polling = this.pollNow().finally(() => {
      this.polling = null;
      this.lastPoll = performance.now();
    });
    return this.polling;
  }

  private async pollNow(): Promise<FlowServiceInfo> {
    const now = await this.readKernel();
    const prev = this.prev ?? now;
    const reset = now.logged < prev.logged || now.suppressed < prev.suppressed;
    for (const k of Object.keys(now) as (keyof KernelCounts)[]) this.kernel[k] += reset ? now[k] : now[k] - prev[k];
    this.prev = now;
    this.history.push({ at: performance.now(), logged: this.kernel.logged });
    if (this.history.length > 64) this.history.shift();
    const info = this.info();
    this.metrics.kernelEvents.set({ verdict: 'FORWARDED' }, this.kernel.forwarded);
    this.metrics.kernelEvents.set({ verdict: 'DROPPED' }, this.kernel.dropped);
    this.metrics.suppressed.set({ verdict: 'DROPPED' }, this.kernel.suppressedDrops);
    this.metrics.suppressed.set({ verdict: 'FORWARDED' }, this.kernel.suppressed - this.kernel.suppressedDrops);
    this.metrics.lost.set({ where: 'kernel-to-reader' }, info.lost);
    this.metrics.lost.set({ where: 'ring' }, this.ring.evicted);
    this.metrics.lost.set({ where: 'shed-forwarded' }, info.shed.forwarded);
    this.metrics.lost.set({ where: 'shed-dropped' }, info.shed.dropped);
    this.metrics.ringFlows.set(this.ring.size);
    return info;
  }

  info(): FlowServiceInfo {
    return {
      node: this.o.node, api: this.server?.port ?? null,
      reader: { kind: 'tcpdump', running: this.reader !== null, pid: this.reader?.pid ?? null, lastError: this.readerError },
      ringSize: this.ring.capacity, flows: this.ring.size, seen: this.ring.seen, evicted: this.ring.evicted,
      kernel: { ...this.kernel }, lost: this.lost(), disagreements: this.disagreements,
      shed: { forwarded: this.stats.shedForwarded, dropped: this.stats.shedDropped }, backlog: this.stats.backlog,
      read: this.stats.received, enriched: this.enriched,
    };
  }

  /** Events the kernel logged long enough ago (SETTLE_MS: the log's flush timeout and then some) that the reader never got. */
  private lost(): number {
    const settled = [...this.history].reverse().find((h) => performance.now() - h.at >= SETTLE_MS);
    return settled ? Math.max(0, settled.logged - this.stats.received) : 0;
  }

  /** The reader thread's counters, added to those of readers before it. */
  private get stats(): ReaderStats {
    const now = this.reader?.stats ?? { received: 0, shedForwarded: 0, shedDropped: 0, backlog: 0 };
    return {
      received: this.base.received + now.received, shedForwarded: this.base.shedForwarded + now.shedForwarded,
      shedDropped: this.base.shedDropped + now.shedDropped, backlog: now.backlog,
    };
  }

  get port(): number | null {
    return this.server?.port ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.reader?.stop();
    await this.server?.close();
  }
}

/** End the tcpdump a killed agent left behind: by its pid, only if that pid is still a tcpdump of our group. */
async function endStaleReader(pid: number, group: number): Promise<void> {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!cmd.some((a) => a.endsWith('tcpdump')) || !cmd.includes(`nflog:${group}`)) return;
  } catch {
    return;
  }
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  const deadline = performance.now() + 2000;
  while (existsSync(`/proc/${pid}`) && performance.now() < deadline) await delay(10);
}

function zero(): KernelCounts {
  return { logged: 0, forwarded: 0, dropped: 0, suppressed: 0, suppressedDrops: 0 };
}
