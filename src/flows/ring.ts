/**
 * The node's recent flows: a fixed-size ring (default 4,096). New flows overwrite the oldest; what
 * was overwritten is counted (`evicted`), and followers get every flow as it is added. Pure.
 */
import type { Flow } from './flow.js';

export const DEFAULT_RING_SIZE = 4096;

export interface RingQuery {
  /** The newest N (after since/until). */
  last?: number;
  /** ms since the epoch, inclusive. */
  since?: number;
  until?: number;
}

export type Follower = (flow: Flow) => void;

export class FlowRing {
  private readonly slots: (Flow | undefined)[];
  private next = 0;
  /** Flows added since start: the next flow's seq is `seen + 1`. */
  seen = 0;
  /** Flows overwritten before anyone asked for them by `last`/`since`. */
  evicted = 0;
  private readonly followers = new Set<Follower>();

  constructor(readonly capacity = DEFAULT_RING_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring size must be a positive integer, got ${capacity}`);
    this.slots = new Array(capacity);
  }

  /** Number the flow, store it, tell followers. */
  add(flow: Flow): Flow {
    flow.seq = ++this.seen;
    if (this.slots[this.next] !== undefined) this.evicted++;
    this.slots[this.next] = flow;
    this.next = (this.next + 1) % this.capacity;
    for (const f of this.followers) f(flow);
    return flow;
  }

  get size(): number {
    return Math.min(this.seen, this.capacity);
  }

  /** Oldest first. */
  query(q: RingQuery = {}): Flow[] {
    const out: Flow[] = [];
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const f = this.slots[(this.next - n + i + this.capacity) % this.capacity]!;
      const t = Date.parse(f.time);
      if (q.since !== undefined && t < q.since) continue;
      if (q.until !== undefined && t > q.until) continue;
      out.push(f);
    }
    return q.last !== undefined && out.length > q.last ? out.slice(out.length - q.last) : out;
  }

  follow(f: Follower): () => void {
    this.followers.add(f);
    return () => this.followers.delete(f);
  }
}
