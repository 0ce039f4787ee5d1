import type { AgentStatus } from './status.js';

/** A consistent view of the desired state. */
export interface DesiredState<O> {
  revision: number;
  objects: O[];
  enforcement: 'podwall' | 'none';
}

/** What a reconcile step decided: the next ruleset and the transaction that gets the kernel there. */
export interface Plan<R, T> {
  next: R;
  tx: T;
  kind: 'full' | 'incremental' | 'none';
}

export interface AgentDeps<O, R, T> {
  node: string;
  revision(): number;
  snapshot(): DesiredState<O>;
  /** Pure: compile the desired state and diff it against what was applied last (null: unknown, replace all). */
  plan(prev: R | null, desired: DesiredState<O>): Plan<R, T>;
  apply(tx: T): Promise<void>;
  /**
   * What the kernel holds now (read back). After a failed pass the next one starts from it: a transaction
   * the kernel rejected because its rules drifted from what was applied last (an element deleted by hand)
   * would otherwise be planned, and rejected, again at every retry.
   */
  current?(): Promise<R | null>;
  /** Before the rules: make what the rules will name (new pods' networks, links down). */
  prepare?(desired: DesiredState<O>): Promise<void>;
  /** After the rules are in force: bring it into service (links up, processes started). */
  complete?(desired: DesiredState<O>): Promise<void>;
  report(status: AgentStatus): void;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * Keep the kernel equal to the desired state: whenever the store's revision moves, compile, diff and
 * apply one transaction. A failed transaction leaves the previous rules in force (nft transactions are
 * atomic); it is reported and retried at the next change or after `retryMs`, from the kernel's rules read back.
 */
export class Agent<O, R, T> {
  private applied: R | null = null;
  private status: AgentStatus;
  private stopped = false;
  /** The last pass failed: `applied` may not be what the kernel holds. */
  private stale = false;

  constructor(private readonly deps: AgentDeps<O, R, T>, private readonly opts: { pollMs: number; retryMs: number }) {
    this.status = {
      node: deps.node, pid: process.pid, appliedRevision: -1, seenRevision: -1, generation: 0, enforcement: 'podwall',
      lastApplyMs: null, lastApplyKind: null, lastError: null, updatedAt: new Date(deps.now()).toISOString(),
    };
  }

  /** Start from what the kernel already has (read back at start), so the first pass is a diff, not a flush. */
  adopt(current: R | null): void {
    this.applied = current;
  }

  /** One reconcile pass; returns whether the kernel now matches `revision`. */
  async step(): Promise<boolean> {
    const desired = this.deps.snapshot();
    this.status.seenRevision = desired.revision;
    const started = this.deps.now();
    try {
      if (this.stale && this.deps.current) this.applied = await this.deps.current();
      this.stale = false;
      await this.deps.prepare?.(desired);
      const plan = this.deps.plan(this.applied, desired);
      if (plan.kind !== 'none') await this.deps.apply(plan.tx);
      this.applied = plan.next;
      await this.deps.complete?.(desired);
      Object.assign(this.status, {
        appliedRevision: desired.revision, enforcement: desired.enforcement, lastError: null,
        ...(plan.kind !== 'none' ? { generation: this.status.generation + 1, lastApplyMs: this.deps.now() - started, lastApplyKind: plan.kind } : {}),
      });
      return true;
    } catch (err) {
      this.stale = true;
      this.status.lastError = err instanceof Error ? err.message : String(err);
      return false;
    } finally {
      this.status.updatedAt = new Date(this.deps.now()).toISOString();
      this.deps.report({ ...this.status });
    }
  }

  async run(): Promise<void> {
    let lastGood = -1;
    let lastTry = 0;
    while (!this.stopped) {
      const rev = this.deps.revision();
      const due = rev !== lastGood && (this.status.lastError === null || this.deps.now() - lastTry >= this.opts.retryMs || rev !== this.status.seenRevision);
      if (due) {
        lastTry = this.deps.now();
        if (await this.step()) lastGood = this.status.appliedRevision;
      }
      await this.deps.sleep(this.opts.pollMs);
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
