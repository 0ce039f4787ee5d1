import { existsSync } from 'node:fs';
import { openStore, type Store } from '../store/index.js';
import { clusterView } from './cluster-view.js';
import type { ClusterView } from './protocol.js';

const EMPTY: ClusterView = { revision: 0, enforcement: 'podwall', namespaces: [], pods: [], policies: [] };

/**
 * Polls the store's revision (cheap) and rebuilds the cluster view when it moves. The store file may not exist
 * yet (no `lab up` so far) or go away (`lab down`): the view is then empty, and the watch picks it up again.
 */
export class ClusterWatch {
  private store: Store | undefined;
  private view: ClusterView = EMPTY;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly storePath: string, private readonly onChange: (v: ClusterView) => void, private readonly pollMs = 300) {}

  start(): void {
    this.poll();
    this.timer = setInterval(() => this.poll(), this.pollMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.store?.close();
    this.store = undefined;
  }

  current(): ClusterView {
    return this.view;
  }

  private poll(): void {
    const next = this.read();
    if (next === this.view) return;
    if (next.error !== undefined && next.error === this.view.error) return;
    this.view = next;
    this.onChange(next);
  }

  private read(): ClusterView {
    if (!existsSync(this.storePath)) {
      this.store?.close();
      this.store = undefined;
      return EMPTY;
    }
    try {
      this.store ??= openStore(this.storePath);
      if (this.store.revision() === this.view.revision && this.view.error === undefined) return this.view;
      const snap = this.store.list();
      return clusterView(snap.objects, snap.revision, snap.settings.networkPolicy);
    } catch (err) {
      this.store?.close();
      this.store = undefined;
      return { ...EMPTY, revision: -1, error: `the store ${this.storePath} could not be read: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
}
