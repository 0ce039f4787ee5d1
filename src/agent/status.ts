import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What an agent reports about itself, written atomically to `<stateDir>/agent-<node>.json`. */
export interface AgentStatus {
  node: string;
  pid: number;
  /** Store revision the kernel rules correspond to. */
  appliedRevision: number;
  /** Highest store revision the agent has seen. */
  seenRevision: number;
  /** Number of nft transactions applied since start. */
  generation: number;
  enforcement: 'podwall' | 'none';
  lastApplyMs: number | null;
  lastApplyKind: 'full' | 'incremental' | null;
  lastError: string | null;
  updatedAt: string;
  /** Port of the flow API and /metrics on 127.0.0.1 (src/flows/flow.ts); null when it could not start. */
  api?: number | null;
  /** The flow reader and ring as of this report (src/flows/service.ts FlowServiceInfo); live at GET /v1/status. */
  flows?: import('../flows/service.js').FlowServiceInfo;
}

export function statusPath(stateDir: string, node: string): string {
  return join(stateDir, `agent-${node}.json`);
}

/** Write via rename so readers never see half a file. */
export function writeStatus(path: string, status: AgentStatus): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(status, null, 2)}\n`);
  renameSync(tmp, path);
}

export function readStatus(path: string): AgentStatus | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AgentStatus;
  } catch {
    return null;
  }
}
