import type { NftExecutor } from '../../dataplane/nft/executor.js';
import { elementCommands, type Desired, type ElementKey } from '../elements.js';

type Key = Pick<Desired, 'podIp' | 'ip' | 'protocol' | 'port'>;

/**
 * Writes `fqdn` set elements through the node's nft executor. Adds that arrive while a transaction is in
 * flight are gathered into the next one (one transaction per batch, not per answer: at saturation the
 * kernel round trip is shared). Tracks what it wrote, so an answer that changes nothing costs nothing.
 */
export class FqdnWriter {
  /** Element → expiry (epoch s) the kernel holds as far as this writer knows. */
  readonly applied = new Map<ElementKey, number>();
  private queue: { adds: Desired[]; waiters: { resolve: () => void; reject: (e: unknown) => void }[] } | null = null;
  private busy = false;
  transactions = 0;

  constructor(private readonly nft: NftExecutor, private readonly nowSec: () => number) {}

  /** The adds among `desired` that would extend what the kernel holds. */
  needed(desired: Iterable<Desired>): Desired[] {
    const out: Desired[] = [];
    for (const d of desired) if ((this.applied.get(d.key) ?? 0) < d.expiresAtSec) out.push(d);
    return out;
  }

  /** Add (or extend) elements; resolves once they are in the kernel. */
  add(adds: Desired[]): Promise<void> {
    if (adds.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue ??= { adds: [], waiters: [] };
      this.queue.adds.push(...adds);
      this.queue.waiters.push({ resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue) {
        const batch = this.queue;
        this.queue = null;
        const latest = new Map<ElementKey, Desired>();
        for (const d of batch.adds) if ((latest.get(d.key)?.expiresAtSec ?? 0) < d.expiresAtSec) latest.set(d.key, d);
        const adds = [...latest.values()].filter((d) => (this.applied.get(d.key) ?? 0) < d.expiresAtSec);
        try {
          if (adds.length) {
            await this.nft.apply({ nftables: elementCommands(adds, [], this.nowSec()) as never });
            this.transactions++;
            for (const d of adds) this.applied.set(d.key, d.expiresAtSec);
          }
          for (const w of batch.waiters) w.resolve();
        } catch (err) {
          for (const w of batch.waiters) w.reject(err);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * Delete elements. A delete of an element the kernel already expired fails the whole transaction
   * (nft 1.0.6 has no `destroy`), so a failed batch is retried element by element, ignoring those.
   */
  async remove(keys: readonly (Key & { key: ElementKey })[]): Promise<void> {
    const nowSec = this.nowSec();
    const live = keys.filter((k) => (this.applied.get(k.key) ?? 0) > nowSec);
    for (const k of keys) this.applied.delete(k.key);
    if (live.length === 0) return;
    try {
      await this.nft.apply({ nftables: elementCommands([], live, nowSec) as never });
    } catch {
      for (const k of live) await this.nft.apply({ nftables: elementCommands([], [k], nowSec) as never }).catch(() => undefined);
    }
    this.transactions++;
  }

  /** Forget elements whose timeout passed: the kernel removed them itself. */
  expire(nowSec: number): void {
    for (const [k, exp] of this.applied) if (exp <= nowSec) this.applied.delete(k);
  }
}
