import type { Flow } from '../flows/flow.js';
import { discoverAgents, type AgentEndpoint } from './agents.js';
import { AgentStream } from './agent-stream.js';
import type { ReaderStatus, SourceStatus } from './protocol.js';

export interface AggregatorOptions {
  /** Where the agents' status files are (they say where each agent's API is). */
  stateDir: string;
  /** Agents given on the command line, in addition to those found in the state dir. */
  agents?: AgentEndpoint[];
  /** Flows kept for new browser connections (oldest dropped first). */
  maxFlows: number;
  discoverMs?: number;
  retryMs?: number;
  /** New flows go to subscribers in batches this often. */
  flushMs?: number;
}

export interface AggregatorListener {
  flows(batch: Flow[]): void;
  sources(list: SourceStatus[]): void;
}

/**
 * All agents' flows in one buffer: follows every agent of the lab (found through the status files, re-read
 * every second, so nodes that come and go are followed) and hands new flows to subscribers in batches.
 */
export class FlowAggregator {
  private buffer: Flow[] = [];
  private pending: Flow[] = [];
  private readonly streams = new Map<string, AgentStream>();
  private withoutApi: string[] = [];
  private readers = new Map<string, ReaderStatus>();
  private readonly listeners = new Set<AggregatorListener>();
  private timers: NodeJS.Timeout[] = [];
  private sourcesChanged = false;

  constructor(private readonly opts: AggregatorOptions) {}

  start(): void {
    this.discover();
    this.timers.push(setInterval(() => this.discover(), this.opts.discoverMs ?? 1000));
    this.timers.push(setInterval(() => this.flush(), this.opts.flushMs ?? 100));
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const s of this.streams.values()) s.stop();
    this.streams.clear();
  }

  subscribe(l: AggregatorListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The buffered flows, oldest first (pending ones included, so a new client misses nothing). */
  snapshot(): Flow[] {
    this.flush();
    return this.buffer.slice(-this.opts.maxFlows);
  }

  sources(): SourceStatus[] {
    const withReader = (s: SourceStatus): SourceStatus => {
      const reader = this.readers.get(s.node);
      return reader ? { ...s, reader } : s;
    };
    return [
      ...[...this.streams.entries()].map(([, s]) => s.status()),
      ...this.withoutApi.map((node): SourceStatus => ({ node, state: 'no-api', flows: 0 })),
    ].map(withReader).sort((a, b) => a.node.localeCompare(b.node));
  }

  private discover(): void {
    const found = [...discoverAgents(this.opts.stateDir), ...(this.opts.agents ?? [])];
    const wanted = new Map(found.filter((a) => a.url).map((a) => [a.node, a.url!]));
    for (const [node, stream] of this.streams) {
      if (wanted.get(node) !== stream.url) {
        stream.stop();
        this.streams.delete(node);
        this.sourcesChanged = true;
      }
    }
    for (const [node, url] of wanted) {
      if (this.streams.has(node)) continue;
      this.streams.set(node, new AgentStream({
        node, url, last: this.opts.maxFlows, retryMs: this.opts.retryMs ?? 1000,
        onFlows: (flows) => { for (const f of flows) this.pending.push(f); },
        onState: () => { this.sourcesChanged = true; },
      }));
      this.sourcesChanged = true;
    }
    const readers = new Map(found.flatMap((a) => (a.reader ? [[a.node, a.reader] as const] : [])));
    if (JSON.stringify([...readers]) !== JSON.stringify([...this.readers])) {
      this.readers = readers;
      this.sourcesChanged = true;
    }
    const withoutApi = found.filter((a) => !a.url).map((a) => a.node).sort();
    if (withoutApi.join() !== this.withoutApi.join()) {
      this.withoutApi = withoutApi;
      this.sourcesChanged = true;
    }
  }

  private flush(): void {
    // Per-agent flow counts move with every batch: report them with it.
    if (this.sourcesChanged || this.pending.length > 0) {
      this.sourcesChanged = false;
      const list = this.sources();
      for (const l of this.listeners) l.sources(list);
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    for (const f of batch) this.buffer.push(f);
    // Trim in steps, not per flow, so a full buffer costs no copy per batch.
    if (this.buffer.length > this.opts.maxFlows * 1.25) this.buffer = this.buffer.slice(-this.opts.maxFlows);
    for (const l of this.listeners) l.flows(batch);
  }
}
