/**
 * How the agent carries the flow service: started before the first reconcile (so the first status file
 * already names the API port), told the desired state each time the kernel enforces a new revision,
 * and asked for the apply timings and reconcile errors it turns into metrics. A flow reader that cannot
 * start (no tcpdump) leaves the agent enforcing; the status says why flows are missing.
 */
import type { Engine } from '../engine/engine.js';
import type { ApiObject } from '../api/types.js';
import { readStatus, statusPath, type AgentStatus } from '../agent/status.js';
import type { DesiredState } from '../agent/loop.js';
import type { NftExecutor } from '../dataplane/nft/executor.js';
import { FlowService, type FlowServiceInfo } from './service.js';
import { DEFAULT_RING_SIZE } from './ring.js';
import { startProxyFeed } from './proxy-feed.js';

export interface AgentFlows {
  service: FlowService;
  /** Wrap the executor's apply: latency histogram and failures. */
  apply<T>(run: () => Promise<T>): Promise<T>;
  /** Remember the desired state of a pass; at `report`, the one the kernel now enforces reaches the service. */
  /** The pass's desired state and the engine it is compiled from (reused to explain flows). */
  planned(desired: DesiredState<ApiObject>, engine?: Engine): void;
  /** The status as the agent reports it, plus the flow API's port and the reader's state. */
  report(status: AgentStatus): AgentStatus & { api: number | null; flows: FlowServiceInfo };
  stop(): Promise<void>;
}

/** Ring size from $PODWALL_FLOW_RING (default 4,096). */
export function ringSizeFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.PODWALL_FLOW_RING;
  if (v === undefined || v === '') return DEFAULT_RING_SIZE;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`PODWALL_FLOW_RING must be a positive integer, got ${v}`);
  return n;
}

export async function startAgentFlows(node: string, netns: string, executor: NftExecutor, opts: { ringSize?: number; port?: number; stateDir?: string } = {}): Promise<AgentFlows> {
  const service = new FlowService({
    node, netns, ringSize: opts.ringSize ?? ringSizeFromEnv(), port: opts.port ?? 0,
    ...(opts.stateDir ? { staleReaderPid: readStatus(statusPath(opts.stateDir, node))?.flows?.reader.pid ?? null } : {}),
    query: (words) => executor.query(words),
    log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`),
  });
  try {
    await service.start();
  } catch (err) {
    process.stderr.write(`${new Date().toISOString()} flow service: ${(err as Error).message}\n`);
  }
  let pending: DesiredState<ApiObject> | null = null;
  let pendingEngine: Engine | undefined;
  // When the last transaction went through: from then on the kernel enforces the pass's revision.
  let appliedAt: number | null = null;
  const feed = opts.stateDir ? startProxyFeed(service, opts.stateDir, node) : null;
  return {
    service,
    apply: (run) => service.metrics.timeApply(run).then((r) => {
      appliedAt = Date.now();
      return r;
    }),
    planned(desired, engine) {
      pending = desired;
      pendingEngine = engine;
    },
    report(status) {
      if (status.lastError !== null) service.metrics.reconcileErrors.inc();
      else if (pending && status.appliedRevision === pending.revision) service.setDesired(pending.revision, pending.objects, appliedAt ?? Date.now(), pendingEngine);
      appliedAt = null;
      return { ...status, api: service.port, flows: service.info() };
    },
    stop: async () => {
      feed?.stop();
      await service.stop();
    },
  };
}
