import type { Flow } from '../../src/flows/flow.js';
import type { ClusterView, SourceStatus } from '../../src/ui/protocol.js';
import './perf.js';

/** Flows the browser keeps (the server keeps as many for new connections). */
export const MAX_FLOWS = 100_000;

export type Connection = 'connecting' | 'live' | 'lost';

/**
 * What the server streams (src/ui/protocol.ts), held in one mutable place: flows are appended in place (50,000
 * flows are not copied per batch), and `version` tells the views that something changed.
 */
export class LiveData {
  flows: Flow[] = [];
  cluster: ClusterView = { revision: 0, enforcement: 'podwall', namespaces: [], pods: [], policies: [] };
  sources: SourceStatus[] = [];
  connection: Connection = 'connecting';
  /** True once the server's buffered flows have all arrived. */
  ready = false;
  /** performance.now() when the buffered flows had all arrived (the load test measures from here). */
  readyAt = 0;
  version = 0;
  private listeners = new Set<() => void>();
  private scheduled = false;
  private source: EventSource | undefined;

  connect(url = 'api/events'): void {
    const es = new EventSource(url);
    this.source = es;
    es.addEventListener('open', () => this.set(() => { this.connection = 'live'; }));
    es.addEventListener('error', () => this.set(() => { this.connection = es.readyState === EventSource.CLOSED ? 'lost' : 'connecting'; }));
    es.addEventListener('reset', () => this.set(() => { this.flows = []; this.ready = false; }));
    es.addEventListener('cluster', (e) => this.set(() => { this.cluster = JSON.parse((e as MessageEvent<string>).data) as ClusterView; }));
    es.addEventListener('sources', (e) => this.set(() => { this.sources = JSON.parse((e as MessageEvent<string>).data) as SourceStatus[]; }));
    es.addEventListener('flows', (e) => this.set(() => {
      const batch = JSON.parse((e as MessageEvent<string>).data) as Flow[];
      for (const f of batch) this.flows.push(f);
      if (this.flows.length > MAX_FLOWS * 1.2) this.flows = this.flows.slice(-MAX_FLOWS);
    }));
    es.addEventListener('ready', () => this.set(() => {
      this.ready = true;
      this.readyAt = performance.now();
      window.__podwall!.readyAt = this.readyAt;
      window.__podwall!.perf.firstDrawnAt = 0;
    }));
  }

  close(): void {
    this.source?.close();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Apply a change; listeners hear of it once per animation frame however many messages arrived. */
  private set(change: () => void): void {
    change();
    this.version++;
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const l of this.listeners) l();
    });
  }
}
