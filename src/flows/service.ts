/**
 * One node's flow service, run inside its agent: the NFLOG reader, enrichment against the desired
 * state the kernel enforces, the ring buffer, the kernel counters (events logged, drops suppressed)
 * and the HTTP API of src/flows/flow.ts.
 */
import type { ApiObject } from '../api/types.js';
import { decisionOf, DEFAULT_FLOW_LOG } from '../dataplane/flow-log.js';
import { buildEngine, type Engine } from '../engine/engine.js';
import { Enricher, type NameLookup } from './enrich.js';
import { serveFlows, type FlowServer } from './http.js';
import { AgentMetrics } from './metrics.js';
import { parseIpv4 } from './packet.js';
import { startReader, type FlowReader } from './reader.js';
import { DEFAULT_RING_SIZE, FlowRing } from './ring.js';
import { kernelCounts, type KernelCounts } from './counters.js';
import type { NflogRecord } from './nflog.js';

export interface FlowServiceOptions {
  node: string;
  netns?: string;
  group?: number;
  ringSize?: number;
  /** 0: any free port. */
  port?: number;
  names?: NameLookup;
  /** Read-only nft listing in the node's netns (the agent's executor). */
  query(words: readonly string[]): Promise<unknown | null>;
  metrics?: AgentMetrics;
  log?(line: string): void;
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
  /** Logged by the kernel since the reader started but not read (events still in flight count until read). */
  lost: number;
  disagreements: number;
}

export class FlowService {
  readonly ring: FlowRing;
  readonly metrics: AgentMetrics;
  private readonly enricher = new Enricher();
  private objects: { revision: number; objects: readonly ApiObject[] } | null = null;
  private engine: { revision: number; engine: Engine } | null = null;
  private reader: FlowReader | null = null;
  private server: FlowServer | null = null;
  private readerError: string | null = null;
  private received = 0;
  private skipped = 0;
  private disagreements = 0;
  /** The counters at the last poll, and what they grew by since the reader started (a table replace resets them). */
  private prev: KernelCounts | null = null;
  private kernel: KernelCounts = zero();
  private poller: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: FlowServiceOptions) {
    this.ring = new FlowRing(o.ringSize ?? DEFAULT_RING_SIZE);
    this.metrics = o.metrics ?? new AgentMetrics(o.node);
  }

  /** The desired state the kernel now enforces; the engine is built from it when the next event needs it. */
  setDesired(revision: number, objects: readonly ApiObject[]): void {
    if (this.objects?.revision !== revision) this.objects = { revision, objects };
  }

  private currentEngine(): Engine | null {
    if (!this.objects) return null;
    if (this.engine?.revision !== this.objects.revision) this.engine = { revision: this.objects.revision, engine: buildEngine(this.objects.objects) };
    return this.engine.engine;
  }

  async start(): Promise<void> {
    this.server = await serveFlows(this, this.o.port ?? 0);
    await this.startReader();
    this.prev = await this.readKernel();
    this.poller = setInterval(() => void this.poll(), 1000);
    this.poller.unref();
  }

  private async startReader(): Promise<void> {
    this.reader = startReader({
      ...(this.o.netns ? { netns: this.o.netns } : {}),
      group: this.o.group ?? DEFAULT_FLOW_LOG.group,
      onRecords: (recs) => this.onRecords(recs),
      onExit: (why) => {
        this.readerError = why;
        this.reader = null;
        this.o.log?.(`flow reader: ${why}`);
        // Come back: a reader killed by hand (or by OOM) must not end flow visibility for good.
        if (!this.stopped && !this.restartTimer) {
          this.restartTimer = setTimeout(() => { this.restartTimer = null; if (!this.stopped) void this.startReader().catch(() => undefined); }, 1000);
          this.restartTimer.unref();
        }
      },
    });
    await this.reader.ready;
    this.readerError = null;
  }

  private onRecords(recs: readonly NflogRecord[]): void {
    const engine = this.currentEngine();
    for (const r of recs) {
      const code = decisionOf(r.prefix);
      const p = code ? parseIpv4(r.payload) : null;
      if (!code || !p) {
        this.skipped++;
        continue;
      }
      this.received++;
      const flow = this.enricher.flow({ node: this.o.node, engine, ...(this.o.names ? { names: this.o.names } : {}) }, code, p, r.timeMs);
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

  /** Kernel counters into the metrics; counters that went down were reset by a full table replace. */
  async poll(): Promise<FlowServiceInfo> {
    const now = await this.readKernel();
    const prev = this.prev ?? now;
    const reset = now.logged < prev.logged || now.suppressed < prev.suppressed;
    for (const k of Object.keys(now) as (keyof KernelCounts)[]) this.kernel[k] += reset ? now[k] : now[k] - prev[k];
    this.prev = now;
    const info = this.info();
    this.metrics.kernelEvents.set({ verdict: 'FORWARDED' }, this.kernel.forwarded);
    this.metrics.kernelEvents.set({ verdict: 'DROPPED' }, this.kernel.dropped);
    this.metrics.suppressed.set({ verdict: 'DROPPED' }, this.kernel.suppressedDrops);
    this.metrics.suppressed.set({ verdict: 'FORWARDED' }, this.kernel.suppressed - this.kernel.suppressedDrops);
    this.metrics.lost.set({ where: 'kernel-to-reader' }, info.lost);
    this.metrics.lost.set({ where: 'ring' }, this.ring.evicted);
    this.metrics.ringFlows.set(this.ring.size);
    return info;
  }

  info(): FlowServiceInfo {
    return {
      node: this.o.node, api: this.server?.port ?? null,
      reader: { kind: 'tcpdump', running: this.reader !== null, pid: this.reader?.pid ?? null, lastError: this.readerError },
      ringSize: this.ring.capacity, flows: this.ring.size, seen: this.ring.seen, evicted: this.ring.evicted,
      kernel: { ...this.kernel }, lost: Math.max(0, this.kernel.logged - this.received), disagreements: this.disagreements,
    };
  }

  get port(): number | null {
    return this.server?.port ?? null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.reader?.stop();
    await this.server?.close();
  }
}

function zero(): KernelCounts {
  return { logged: 0, forwarded: 0, dropped: 0, suppressed: 0, suppressedDrops: 0 };
}
