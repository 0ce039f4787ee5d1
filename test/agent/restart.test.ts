import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, stopAgent, waitForAgent } from '../../src/agent/launch.js';
import type { Pod } from '../../src/api/types.js';
import { parseListing } from '../../src/dataplane/nft/render.js';
import { ipv4Number } from '../../src/dataplane/ruleset.js';
import { podNetns } from '../../src/lab/names.js';
import { listNetns } from '../../src/lab/netns.js';
import { labNode } from '../../src/lab/node.js';
import { podProcessState } from '../../src/lab/supervisor.js';
import { waitFor } from '../../src/lab/wait.js';
import type { Store } from '../../src/store/index.js';
import {
  agentPid, applyWithPods, ingressPolicy, kernelTable, kernelVersusStore, namespace, pod, processGone, tableHandles,
  tableObjects, upAgentLab, waitForAgentPid, waitGone, type NftListing,
} from '../support/agent-lab.js';
import { agentProcesses, labCli, labCliAsync } from '../support/lab-cli.js';
import { connect, destroyTestLab, isRoot, requireAgnhostBuilt, testLab, waitServing } from '../support/lab.js';
import { Connection, echoServer, type NetnsProcess } from '../support/netns-process.js';

// A restarted agent reconciles in place: it reads the kernel's table back and changes only what differs,
// never flushing first. Prefix pwf3 belongs to this file only.

const NS = 'restart';
const NODE = 'node1';
const ECHO_PORT = 7000;

/** Whether the node's table knows `ip` as a pod: in `local_pods`, or mapped to an identity by `ident`. */
function kernelKnows(listing: NftListing | null, ip: string): boolean {
  const n = ipv4Number(ip)!;
  const covers = (k: number | readonly [number, number]) => (typeof k === 'number' ? k === n : k[0] <= n && n <= k[1]);
  const sets = parseListing(listing)?.tables[0]?.sets ?? [];
  return sets.some((s) => (s.name === 'local_pods' || s.name === 'ident') && s.elements.some((e) => covers(e.key[0]!) && e.value !== 0));
}

describe.skipIf(!isRoot)('agent restart (real kernel)', () => {
  const lab = testLab('pwf3');
  const podwall = labCli(lab);
  let store: Store;
  let serverIp = '';
  let before: NftListing | null = null;
  let conn: Connection;
  const procs: NetnsProcess[] = [];

  /** SIGTERM the agent and wait until it has exited; the kernel rules stay. */
  async function stop(): Promise<void> {
    const pid = agentPid(lab, NODE);
    expect(stopAgent(lab.stateDir, NODE)).toBe(true);
    await waitGone(pid, 'the agent to exit on SIGTERM');
  }

  beforeAll(async () => {
    requireAgnhostBuilt();
    ({ store } = await upAgentLab(lab));
    const { revision, pods } = applyWithPods(store, [
      namespace(NS),
      pod(NS, 'server', { app: 'server' }, ['agnhost', 'serve-hostname', '--tcp', '--http=false', '--port', '80']),
      pod(NS, 'client', { app: 'client' }),
      ingressPolicy(NS, 'allow-client', { app: 'server' }, { app: 'client' }, [80, ECHO_PORT]),
    ]);
    serverIp = pods.find((p) => p.metadata.name === 'server')!.status!.podIP!;
    await waitForAgent(lab.stateDir, NODE, revision);
    await waitServing(lab, { namespace: NS, name: 'server' });
    procs.push(await echoServer(podNetns(NS, 'server', lab.prefix), ECHO_PORT));
    before = await kernelTable(lab, NODE);
    // A long-lived connection, open across both restarts.
    conn = new Connection(podNetns(NS, 'client', lab.prefix), serverIp, ECHO_PORT);
    procs.push(conn);
    expect(await conn.opened()).toMatchObject({ connected: true });
  });

  afterAll(async () => {
    try {
      await Promise.all(procs.map((p) => p.stop()));
      store?.close();
    } finally {
      await destroyTestLab(lab);
    }
    expect(agentProcesses(lab.prefix)).toEqual([]);
  });

  it('SIGTERM and start again with nothing changed: the first pass applies nothing, the table and the pods stay as they were', async () => {
    const t0 = performance.now();
    const first = await conn.roundTrip('before');
    expect(first.echo).toBe('before');
    const serverPid = podProcessState({ namespace: NS, name: 'server' }, lab);
    expect(serverPid.state).toBe('running');

    await stop();
    expect(await conn.roundTrip('while the agent is down')).toMatchObject({ echo: 'while the agent is down', localPort: first.localPort });
    expect(tableObjects(await kernelTable(lab, NODE))).toEqual(tableObjects(before));

    const pid = startAgent(lab.stateDir, labNode(NODE, lab));
    const s = await waitForAgentPid(lab, NODE, pid, store.revision());
    // No transaction at all (a pass of kind `none` leaves generation and kind untouched).
    expect(s).toMatchObject({ generation: 0, lastApplyKind: null, lastError: null, appliedRevision: store.revision() });
    // The very same objects with the very same handles: nothing was flushed, replaced or re-added.
    expect(tableObjects(await kernelTable(lab, NODE))).toEqual(tableObjects(before));
    // The pods were adopted, not re-created, and the connection went on over the same socket.
    expect(podProcessState({ namespace: NS, name: 'server' }, lab)).toEqual(serverPid);
    expect(await conn.roundTrip('after the restart')).toMatchObject({ echo: 'after the restart', localPort: first.localPort });
    console.log(`restart (no change): ${Math.round(performance.now() - t0)} ms`);
  });

  it('a pod created while the agent is down is not on the network until the restart, which adds it in place (incremental)', async () => {
    const t0 = performance.now();
    const { localPort } = await conn.roundTrip('before');
    await stop();
    const handles = tableHandles(await kernelTable(lab, NODE));

    // `podwall run` writes the pod to the store, then waits for the node's agent to run it.
    const run = labCliAsync(lab, ['run', 'late', '-n', NS, '--labels', 'app=client']);
    const late = await waitFor(() => store.get({ kind: 'Pod', namespace: NS, name: 'late' }) as Pod | undefined, { what: 'the pod in the store' });
    const lateIp = late.status!.podIP!;
    const lateNetns = podNetns(NS, 'late', lab.prefix);
    // Fail closed while no agent runs: no network namespace, the kernel's table does not know its address,
    // a connection from it cannot be made and one to it fails.
    expect(listNetns()).not.toContain(lateNetns);
    expect(kernelKnows(await kernelTable(lab, NODE), lateIp)).toBe(false);
    const fromLate = podwall(['exec', 'late', '-n', NS, '--', '/agnhost', 'connect', `${serverIp}:80`, '--timeout=1s', '--protocol=tcp']);
    expect(fromLate.code).toBe(4);
    expect(fromLate.stderr).toContain(`pod ${NS}/late has no network namespace`);
    expect(await connect(lab, { namespace: NS, name: 'client' }, `${lateIp}:80`, '--timeout=1s', '--protocol=tcp')).toMatchObject({ code: 1 });
    // `run` is still waiting for the node to run the pod.
    expect(processGone(run.pid)).toBe(false);

    const pid = startAgent(lab.stateDir, labNode(NODE, lab));
    const s = await waitForAgentPid(lab, NODE, pid, store.revision());
    expect(await run.done).toMatchObject({ code: 0, stdout: 'pod/late created\n' });
    // One element-level transaction on the table it found: same table, chains, sets and rules (same handles).
    expect(s).toMatchObject({ generation: 1, lastApplyKind: 'incremental', lastError: null });
    const after = await kernelTable(lab, NODE);
    expect(tableHandles(after)).toEqual(handles);
    expect(kernelKnows(after, lateIp)).toBe(true);
    expect(await kernelVersusStore(lab, NODE, store)).toMatchObject({ kind: 'none' });
    // Now it is on the network, under the policy (app=client may reach the server).
    expect(listNetns()).toContain(lateNetns);
    expect(podwall(['exec', 'late', '-n', NS, '--', '/agnhost', 'connect', `${serverIp}:80`, '--timeout=3s', '--protocol=tcp'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await conn.roundTrip('after the second restart')).toMatchObject({ echo: 'after the second restart', localPort });
    console.log(`restart (pod created while down): ${Math.round(performance.now() - t0)} ms`);
  });
});
