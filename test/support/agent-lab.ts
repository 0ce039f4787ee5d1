import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentFiles, startAgents } from '../../src/agent/launch.js';
import { planNode } from '../../src/agent/plan.js';
import { readStatus, type AgentStatus } from '../../src/agent/status.js';
import type { ApiObject, NetworkPolicy, Pod } from '../../src/api/types.js';
import { createExecutor } from '../../src/dataplane/nft/executor.js';
import { parseListing } from '../../src/dataplane/nft/render.js';
import { labUp } from '../../src/lab/lab.js';
import { nodeNetns, type LabContext } from '../../src/lab/names.js';
import type { LabNode } from '../../src/lab/node.js';
import { schedulePods } from '../../src/lab/schedule.js';
import { waitFor } from '../../src/lab/wait.js';
import { openStore, type Store } from '../../src/store/index.js';

/**
 * A lab driven from the test process (tests/agent): `lab up` with the agents as children of this
 * process, the store opened directly, pods and policies written the way `podwall run/apply` write them,
 * and the kernel's table read back to compare with the store.
 */

export async function upAgentLab(ctx: LabContext, nodes = 1): Promise<{ nodes: LabNode[]; store: Store }> {
  const info = await labUp({ nodes, startAgents: false, world: false }, ctx);
  await startAgents(ctx.stateDir, info.nodes);
  return { nodes: info.nodes, store: openStore(join(ctx.stateDir, 'store.db')) };
}

export function namespace(name: string): ApiObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } };
}

export function pod(namespace: string, name: string, labels: Record<string, string>, command?: string[]): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels },
    spec: { containers: [{ name, ...(command ? { command } : {}) }] } as Pod['spec'],
  };
}

/** An ingress policy: pods with `subject` accept TCP on `ports` from pods with `from` in the same namespace. */
export function ingressPolicy(namespace: string, name: string, subject: Record<string, string>, from: Record<string, string>, ports: number[]): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace },
    spec: {
      podSelector: { matchLabels: subject }, policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: from } }], ports: ports.map((port) => ({ protocol: 'TCP', port })) }],
    },
  } as NetworkPolicy;
}

/** Schedule pods (node and address, as `podwall run` does) and write them with any other objects; returns the revision. */
export function applyWithPods(store: Store, objects: readonly ApiObject[]): { revision: number; pods: Pod[] } {
  const pods = objects.filter((o): o is Pod => o.kind === 'Pod');
  const placed = schedulePods(pods, store.list().objects);
  if (!placed.ok) throw new Error(`cannot schedule ${placed.pod}: ${placed.message}`);
  const revision = store.apply([...objects.filter((o) => o.kind !== 'Pod'), ...placed.pods]);
  return { revision, pods: placed.pods };
}

export function agentStatus(ctx: LabContext, node: string): AgentStatus | null {
  return readStatus(agentFiles(ctx.stateDir, node).status);
}

export function agentPid(ctx: LabContext, node: string): number {
  return Number(readFileSync(agentFiles(ctx.stateDir, node).pid, 'utf8'));
}

/** Whether a process is gone or a zombie (killed, not yet reaped). */
export function processGone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

export async function waitGone(pid: number, what = `process ${pid} to end`): Promise<void> {
  await waitFor(() => processGone(pid), { timeoutMs: 5000, what });
}

/**
 * Wait until the agent with `pid` (a restarted one: the status file of the previous agent says nothing)
 * reports `revision` applied. Returns its status.
 */
export async function waitForAgentPid(ctx: LabContext, node: string, pid: number, revision: number, timeoutMs = 10_000): Promise<AgentStatus> {
  return waitFor(() => {
    const s = agentStatus(ctx, node);
    return s !== null && s.pid === pid && s.appliedRevision >= revision ? s : undefined;
  }, { timeoutMs, intervalMs: 5, what: `agent ${pid} of ${node} to apply revision ${revision}` }).catch((err: Error) => {
    const log = agentFiles(ctx.stateDir, node).log;
    const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
    throw new Error(`${err.message}; status ${JSON.stringify(agentStatus(ctx, node))}${tail ? `\n${tail}` : ''}`);
  });
}

export interface NftListing {
  nftables: Record<string, Record<string, unknown>>[];
}

/** `nft -j list table inet podwall` in the node's netns (null: no table). */
export async function kernelTable(ctx: LabContext, node: string): Promise<NftListing | null> {
  const exec = createExecutor({ netns: nodeNetns(node, ctx.prefix) });
  try {
    return (await exec.list()) as NftListing | null;
  } finally {
    exec.close();
  }
}

/** Apply a transaction in the node's netns from the test (kernel drift: what an operator's `nft` would do). */
export async function nftApply(ctx: LabContext, node: string, json: unknown): Promise<void> {
  const exec = createExecutor({ netns: nodeNetns(node, ctx.prefix) });
  try {
    await exec.apply(JSON.stringify(json));
  } finally {
    exec.close();
  }
}

/** The listing without its metainfo line (nft version), for comparing two listings. */
export function tableObjects(listing: NftListing | null): Record<string, unknown>[] {
  return (listing?.nftables ?? []).filter((o) => !('metainfo' in o));
}

/** Handles of the table, its chains, sets and rules: a flush or a whole-table replace gives them new values. */
export function tableHandles(listing: NftListing | null): string[] {
  return tableObjects(listing).flatMap((o) => Object.entries(o).map(([kind, v]) => {
    const x = v as { name?: string; chain?: string; handle?: number };
    return `${kind}:${x.chain ?? ''}:${x.name ?? ''}:${x.handle}`;
  }));
}

/** What the agent would still have to do to bring the kernel's current table to the store's state (`none`: they match). */
export async function kernelVersusStore(ctx: LabContext, node: string, store: Store): Promise<{ kind: string; revision: number }> {
  const snap = store.list();
  const current = parseListing(await kernelTable(ctx, node));
  const p = planNode(node, current, { revision: snap.revision, objects: snap.objects, enforcement: snap.settings.networkPolicy });
  return { kind: p.kind, revision: snap.revision };
}
