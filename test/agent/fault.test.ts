import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, stopAgent, waitForAgent } from '../../src/agent/launch.js';
import { planNode } from '../../src/agent/plan.js';
import type { ApiObject } from '../../src/api/types.js';
import { parseListing } from '../../src/dataplane/nft/render.js';
import { podNetns } from '../../src/lab/names.js';
import { labNode } from '../../src/lab/node.js';
import { podLogs } from '../../src/lab/supervisor.js';
import { waitFor } from '../../src/lab/wait.js';
import type { ObjectKey, Store } from '../../src/store/index.js';
import {
  agentPid, agentStatus, applyWithPods, ingressPolicy, kernelTable, kernelVersusStore, namespace, nftApply, pod,
  tableObjects, upAgentLab, waitForAgentPid, waitGone,
} from '../support/agent-lab.js';
import { agentProcesses } from '../support/lab-cli.js';
import { connect, destroyTestLab, isRoot, requireAgnhostBuilt, testLab, waitServing } from '../support/lab.js';
import { Prober, type ProbeStats } from '../support/netns-process.js';

// Faults of the agent on a real kernel: SIGKILL in the middle of a stream of policy changes, and a
// transaction the kernel rejects. Prefix pwf2 belongs to this file only.

const NS = 'fault';
const NODE = 'node1';
const key = (kind: ObjectKey['kind'], name: string): ObjectKey => ({ kind, namespace: NS, name });

describe.skipIf(!isRoot)('agent faults (real kernel)', () => {
  const lab = testLab('pwf2');
  let store: Store;
  const ips: Record<string, string> = {};
  const probers: Prober[] = [];

  beforeAll(async () => {
    requireAgnhostBuilt();
    ({ store } = await upAgentLab(lab));
    const { revision, pods } = applyWithPods(store, [
      namespace(NS),
      pod(NS, 'server', { app: 'server' }, ['agnhost', 'serve-hostname', '--tcp', '--http=false', '--port', '80']),
      pod(NS, 'attacker', { app: 'attacker' }),
      pod(NS, 'allowed', { app: 'allowed' }),
      pod(NS, 'bystander', { app: 'bystander', tier: 'a' }),
      // The server is isolated: only app=allowed, on 80 and on an unrelated port the stream keeps changing.
      ingressPolicy(NS, 'isolate-server', { app: 'server' }, { app: 'allowed' }, [80, 8000]),
    ]);
    for (const p of pods) ips[p.metadata.name] = p.status!.podIP!;
    await waitForAgent(lab.stateDir, NODE, revision);
    await waitServing(lab, { namespace: NS, name: 'server' });
  });

  afterAll(async () => {
    try {
      await Promise.all(probers.map((p) => p.stop()));
      store?.close();
    } finally {
      await destroyTestLab(lab);
    }
    expect(agentProcesses(lab.prefix)).toEqual([]);
  });

  it('SIGKILL during a stream of policy changes: the rules stay in force, nothing the policy denies gets through, the restarted agent converges', async () => {
    const attacker = new Prober(podNetns(NS, 'attacker', lab.prefix), ips.server!, 80, { everyMs: 4, timeoutMs: 150 });
    const allowed = new Prober(podNetns(NS, 'allowed', lab.prefix), ips.server!, 80, { everyMs: 25, timeoutMs: 1000 });
    probers.push(attacker, allowed);
    // The probes work: the allowed pod connects, the attacker is attempting.
    await allowed.nextSuccess();
    await attacker.attemptsBeyond(20);

    // Changes unrelated to the attacker's access: policies selecting `ver` come and go, the attacker and a
    // bystander are relabelled (their classes, and so the marks in the kernel's maps, change), and the
    // server's policy gets another unrelated port. Each change is followed by some attack attempts.
    const noise: string[] = [];
    let i = 0;
    const change = (): number => {
      i++;
      switch (i % 5) {
        case 0: {
          const name = `noise-${i}`;
          noise.push(name);
          return store.apply([ingressPolicy(NS, name, { ver: String(i % 4) }, { app: 'bystander' }, [9000 + i])]);
        }
        case 1: return store.setLabels(key('Pod', 'attacker'), { ver: String(i % 4) });
        case 2: return store.setLabels(key('Pod', 'bystander'), { tier: i % 2 ? 'a' : 'b' });
        case 3: return store.apply([ingressPolicy(NS, 'isolate-server', { app: 'server' }, { app: 'allowed' }, [80, 8000 + i])]);
        default: return noise.length > 1 ? store.delete([key('NetworkPolicy', noise.shift()!)]) : store.setLabels(key('Pod', 'attacker'), { ver: null });
      }
    };
    const stream = async (n: number): Promise<number> => {
      let rev = 0;
      for (let k = 0; k < n; k++) {
        rev = change();
        await attacker.attemptsBeyond(attacker.stats().attempts + 3);
      }
      return rev;
    };

    const t0 = performance.now();
    const firstRev = store.revision();
    await stream(40);
    const alive = agentStatus(lab, NODE)!;
    expect(alive.appliedRevision).toBeGreaterThan(firstRev); // the agent followed the stream

    // SIGKILL right after a change, while the agent works on it.
    const pid = agentPid(lab, NODE);
    const killRev = change();
    expect(stopAgent(lab.stateDir, NODE, { kill: true })).toBe(true);
    await waitGone(pid, 'the killed agent to end');
    const killedAt = { attacker: attacker.stats(), status: agentStatus(lab, NODE)! };

    // Dead: the store moves on, the kernel keeps the rules it had.
    await stream(40);
    const dead = await kernelTable(lab, NODE);
    expect(dead).not.toBeNull();
    expect(tableObjects(dead).filter((o) => 'chain' in o).map((o) => (o.chain as { name: string }).name).sort())
      .toEqual(expect.arrayContaining(['egress_check', 'forward', 'ingress_check', 'input']));
    expect(agentStatus(lab, NODE)).toEqual(killedAt.status); // nobody reconciles
    expect((await kernelVersusStore(lab, NODE, store)).kind).not.toBe('none'); // the kernel is behind the store
    expect(attacker.stats().attempts).toBeGreaterThan(killedAt.attacker.attempts + 100);
    expect(attacker.stats().ok).toBe(0);
    await allowed.nextSuccess(); // the allowed pod still gets through on the old rules

    // Restart it while the stream goes on; it converges on the latest revision.
    const newPid = startAgent(lab.stateDir, labNode(NODE, lab));
    await stream(10);
    const last = store.revision();
    const restarted = await waitForAgentPid(lab, NODE, newPid, last);
    expect(restarted).toMatchObject({ appliedRevision: last, lastError: null });
    expect(await kernelVersusStore(lab, NODE, store)).toEqual({ kind: 'none', revision: last });

    // After convergence: the allowed pod connects, the attacker still never did.
    await allowed.nextSuccess();
    await attacker.attemptsBeyond(attacker.stats().attempts + 50);
    const a: ProbeStats = await attacker.finish();
    const b: ProbeStats = await allowed.finish();
    console.log(`fault: ${i} changes (revisions ${firstRev}..${last}) in ${Math.round(performance.now() - t0)} ms; `
      + `killed at revision ${killRev} having applied ${killedAt.status.appliedRevision}; `
      + `attacker ${JSON.stringify(a)}; allowed ${JSON.stringify(b)}; restarted agent: generation ${restarted.generation}, last apply ${restarted.lastApplyKind}`);
    // Every attempt timed out: no SYN reached the server (a SYN-ACK would count as ok, a RST as ECONNREFUSED).
    expect(a.ok).toBe(0);
    expect(a.errors).toEqual({});
    expect(a.attempts).toBeGreaterThan(300);
    expect(b.ok).toBeGreaterThan(10);
    // The server's side: it saw connections from the allowed pod only.
    const log = podLogs({ namespace: NS, name: 'server' }, lab);
    expect(log).toContain(`TCP request from ${ips.allowed}:`);
    expect(log).not.toContain(`TCP request from ${ips.attacker}:`);
  });

  it('a transaction the kernel rejects keeps the previous rules, is reported in agent-node1.json, and the agent recovers', async () => {
    const rev0 = store.revision();
    await waitForAgent(lab.stateDir, NODE, rev0);
    // Drift: someone deletes, by hand, the server's allowed elements for the port the next change removes.
    const port = 7000 + rev0;
    const next = ingressPolicy(NS, 'isolate-server', { app: 'server' }, { app: 'allowed' }, [80, port]);
    const snap = store.list();
    const objects: ApiObject[] = snap.objects.map((o) => (o.kind === 'NetworkPolicy' && o.metadata.name === 'isolate-server' ? next : o));
    const planned = planNode(NODE, parseListing(await kernelTable(lab, NODE)), { revision: rev0 + 1, objects, enforcement: 'podwall' });
    expect(planned.kind).toBe('incremental');
    const deletes = planned.tx.nftables.filter((c) => 'delete' in c);
    expect(deletes.length).toBeGreaterThan(0);
    await nftApply(lab, NODE, { nftables: deletes });
    const drifted = tableObjects(await kernelTable(lab, NODE));

    // The change: the agent's transaction deletes those elements again, which the kernel refuses, so none of it applies.
    const rev = store.apply([next]);
    const failed = await waitFor(() => {
      const s = agentStatus(lab, NODE);
      return s && s.seenRevision >= rev && s.lastError !== null ? s : undefined;
    }, { timeoutMs: 5000, what: 'the agent to report the failed transaction' });
    expect(failed.appliedRevision).toBe(rev0);
    expect(failed.lastError).toMatch(/No such file or directory/);
    expect(tableObjects(await kernelTable(lab, NODE))).toEqual(drifted); // atomic: not one element of the rejected transaction
    expect(await connect(lab, { namespace: NS, name: 'allowed' }, `${ips.server}:80`, '--timeout=2s', '--protocol=tcp')).toEqual({ code: 0, out: '' });
    expect(await connect(lab, { namespace: NS, name: 'attacker' }, `${ips.server}:80`, '--timeout=1s', '--protocol=tcp')).toEqual({ code: 1, out: 'TIMEOUT' });

    // The retry starts from what the kernel really holds and converges.
    const recovered = await waitForAgentPid(lab, NODE, agentPid(lab, NODE), rev, 5000);
    expect(recovered.lastError).toBeNull();
    expect(await kernelVersusStore(lab, NODE, store)).toEqual({ kind: 'none', revision: rev });
  });
});
