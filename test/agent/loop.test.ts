import { describe, expect, it } from 'vitest';
import { Agent, type AgentDeps, type DesiredState } from '../../src/agent/loop.js';
import type { AgentStatus } from '../../src/agent/status.js';

type Obj = string;
type R = string[];

/** A store whose revision moves when the test says so, and a kernel that records transactions. */
function fixture(opts: { failOn?: (tx: string) => boolean } = {}) {
  let desired: DesiredState<Obj> = { revision: 1, objects: ['a'], enforcement: 'podwall' };
  const applied: string[] = [];
  const reports: AgentStatus[] = [];
  let t = 0;
  const deps: AgentDeps<Obj, R, string> = {
    node: 'node1',
    revision: () => desired.revision,
    snapshot: () => desired,
    plan: (prev, d) => {
      const next = [...d.objects];
      if (prev && prev.join() === next.join()) return { next, tx: '', kind: 'none' };
      return { next, tx: prev ? `diff ${prev.join()} -> ${next.join()}` : `full ${next.join()}`, kind: prev ? 'incremental' : 'full' };
    },
    apply: async (tx) => {
      if (opts.failOn?.(tx)) throw new Error(`nft: rejected ${tx}`);
      applied.push(tx);
    },
    report: (s) => reports.push(s),
    now: () => (t += 1),
    sleep: async () => {},
  };
  return { deps, applied, reports, set: (d: DesiredState<Obj>) => (desired = d) };
}

describe('agent reconcile loop', () => {
  it('applies a full ruleset first, then only diffs, and reports the applied revision', async () => {
    const f = fixture();
    const agent = new Agent(f.deps, { pollMs: 1, retryMs: 10 });
    expect(await agent.step()).toBe(true);
    f.set({ revision: 2, objects: ['a', 'b'], enforcement: 'podwall' });
    expect(await agent.step()).toBe(true);
    expect(await agent.step()).toBe(true);
    expect(f.applied).toEqual(['full a', 'diff a -> a,b']);
    expect(f.reports.at(-1)).toMatchObject({ appliedRevision: 2, generation: 2, lastApplyKind: 'incremental', lastError: null });
  });

  it('keeps the previous rules and reports the error when a transaction fails, then recovers', async () => {
    const f = fixture({ failOn: (tx) => tx.includes('bad') });
    const agent = new Agent(f.deps, { pollMs: 1, retryMs: 10 });
    await agent.step();
    f.set({ revision: 2, objects: ['bad'], enforcement: 'podwall' });
    expect(await agent.step()).toBe(false);
    expect(f.reports.at(-1)).toMatchObject({ appliedRevision: 1, seenRevision: 2, lastError: 'nft: rejected diff a -> bad' });
    f.set({ revision: 3, objects: ['c'], enforcement: 'podwall' });
    expect(await agent.step()).toBe(true);
    // The diff starts from what the kernel really has (a), not from the rejected state.
    expect(f.applied).toEqual(['full a', 'diff a -> c']);
    expect(f.reports.at(-1)).toMatchObject({ appliedRevision: 3, lastError: null });
  });

  it('run() follows revisions until stopped', async () => {
    const f = fixture();
    const agent = new Agent(f.deps, { pollMs: 1, retryMs: 10 });
    let polls = 0;
    f.deps.sleep = async () => {
      polls++;
      if (polls === 2) f.set({ revision: 2, objects: ['a', 'z'], enforcement: 'none' });
      if (polls === 5) agent.stop();
    };
    await agent.run();
    expect(f.applied).toEqual(['full a', 'diff a -> a,z']);
    expect(f.reports.at(-1)).toMatchObject({ appliedRevision: 2, enforcement: 'none' });
  });
});
