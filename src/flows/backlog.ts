/**
 * Records read from NFLOG wait here to be enriched, so that the reader's pipe is drained at once (a
 * reader that stops reading makes the kernel drop events for it, drops and all). When enrichment falls
 * behind (more than `highWater` records waiting: the node logs faster than this process can explain),
 * forwarded events are shed as they arrive until the backlog is down to half of that, so that reading
 * stays cheap and every drop event is still enriched; drops themselves are shed only beyond `max`. Every
 * loss is counted, by verdict. Pure.
 */
import { DECISIONS, decisionOf } from '../dataplane/flow-log.js';
import type { NflogRecord } from './nflog.js';

export const DEFAULT_HIGH_WATER = 5_000;
export const DEFAULT_BACKLOG = 100_000;

function isDrop(r: NflogRecord): boolean {
  const c = decisionOf(r.prefix);
  return c !== null && DECISIONS[c].verdict === 'drop';
}

export class Backlog {
  private items: NflogRecord[] = [];
  private head = 0;
  private shedding = false;
  /** Events shed because enrichment fell behind, by verdict. */
  shedForwarded = 0;
  shedDropped = 0;

  constructor(readonly highWater = DEFAULT_HIGH_WATER, readonly max = DEFAULT_BACKLOG) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(recs: readonly NflogRecord[]): void {
    if (this.length > this.highWater) this.shedding = true;
    for (const r of recs) {
      if (this.shedding && !isDrop(r)) {
        this.shedForwarded++;
        continue;
      }
      if (this.length >= this.max) {
        this.shedDropped++;
        continue;
      }
      this.items.push(r);
    }
  }

  /** Up to `n` records, oldest first. */
  take(n: number): NflogRecord[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += out.length;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.shedding && this.length <= this.highWater / 2) this.shedding = false;
    return out;
  }
}
