/**
 * Which desired state the kernel enforced at a given time. Flow events arrive up to about a second
 * after their packet (NFLOG batching), and DNS events after their lookup: an event is explained with
 * the engine in force at its own timestamp, not with the newest one, or a flow logged just before a
 * policy change would be explained by the new policy (and flagged as a kernel/engine disagreement).
 * Keeps the states of the last `keepMs` (plus the one before them); engines are built on first use.
 */
import type { ApiObject } from '../api/types.js';
import { buildEngine, type Engine } from '../engine/engine.js';

interface State {
  /** When the kernel started enforcing it (epoch ms: the clock of the kernel's packet timestamps). */
  since: number;
  revision: number;
  objects: readonly ApiObject[];
  engine?: Engine;
}

export class EngineHistory {
  private states: State[] = [];

  constructor(private readonly keepMs = 30_000, private readonly max = 32) {}

  /**
   * Revision `revision` is enforced since `since`; the same revision again changes nothing. `engine`, when
   * given, is the one the agent compiled the revision from (building another costs tens of ms at 1,000 policies).
   */
  set(revision: number, objects: readonly ApiObject[], since = Date.now(), engine?: Engine): void {
    const last = this.states[this.states.length - 1];
    if (last?.revision === revision) return;
    this.states.push({ since: Math.max(since, last?.since ?? -Infinity), revision, objects, ...(engine ? { engine } : {}) });
    // Keep one state older than the window: it explains events from just before the window's first change.
    while (this.states.length > this.max || (this.states.length > 1 && this.states[1]!.since < since - this.keepMs)) this.states.shift();
  }

  get revision(): number | null {
    return this.states[this.states.length - 1]?.revision ?? null;
  }

  /** The state in force at `timeMs` (events older than every state get the oldest one). */
  at(timeMs: number): { revision: number; engine: Engine } | null {
    // Almost every event is of the newest state: no search, no allocation.
    const last = this.states[this.states.length - 1];
    if (last && last.since <= timeMs) {
      last.engine ??= buildEngine(last.objects);
      return { revision: last.revision, engine: last.engine };
    }
    return this.inForce(timeMs, timeMs)[0] ?? null;
  }

  /** The states in force at some time in [fromMs, toMs], newest first. */
  inForce(fromMs: number, toMs: number): { revision: number; engine: Engine }[] {
    const out: { revision: number; engine: Engine }[] = [];
    for (let i = this.states.length - 1; i >= 0; i--) {
      const s = this.states[i]!;
      if (s.since > toMs && i > 0) continue;
      s.engine ??= buildEngine(s.objects);
      out.push({ revision: s.revision, engine: s.engine });
      if (s.since <= fromMs) break;
    }
    return out;
  }
}
