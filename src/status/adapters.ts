import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentStatus } from '../agent/status.js';
import { processAlive, type ComponentStatus } from './component.js';

/**
 * Components that report in their own way rather than through `<component>-<node>.json`, read loosely (by
 * file name and field, no import of their modules) so `podwall status` shows them with or without them:
 * - the flow reader inside the agent: `flows` in agent-<node>.json (branch flows, FlowServiceInfo);
 * - the DNS proxy's pid file `dns-proxy-<node>.pid` (branch proxy, src/fqdn/files.ts); a clean stop removes it.
 */

interface AgentFlowInfo {
  api?: number | null;
  reader?: { running?: boolean; pid?: number | null; lastError?: string | null };
  ringSize?: number;
  flows?: number;
  seen?: number;
  lost?: number;
}

export function flowReaderStatus(status: AgentStatus): ComponentStatus | undefined {
  const info = (status as AgentStatus & { flows?: AgentFlowInfo }).flows;
  if (!info || typeof info !== 'object') return undefined;
  const r = info.reader ?? {};
  const state = r.running === false ? 'failed' : r.lastError ? 'degraded' : 'ok';
  return {
    component: 'flows', node: status.node, pid: r.pid ?? status.pid, state, updatedAt: status.updatedAt,
    ...(r.lastError ? { message: r.lastError } : r.running === false ? { message: 'reader not running' } : {}),
    ...(typeof info.api === 'number' ? { endpoint: `http://127.0.0.1:${info.api}` } : {}),
    details: { flows: info.flows ?? null, ring: info.ringSize ?? null, seen: info.seen ?? null, lost: info.lost ?? null },
  };
}

/** The DNS proxy of `node` from its pid file, with whether that process lives; undefined without a pid file. */
export function dnsProxyFromPidFile(stateDir: string, node: string): { status: ComponentStatus; alive: boolean } | undefined {
  const file = join(stateDir, `dns-proxy-${node}.pid`);
  let pid: number;
  let mtime: Date;
  try {
    pid = Number(readFileSync(file, 'utf8').trim());
    mtime = statSync(file).mtime;
  } catch {
    return undefined;
  }
  return {
    status: { component: 'dnsproxy', node, pid, state: 'ok', message: `pid file ${file}`, updatedAt: mtime.toISOString() },
    alive: processAlive(pid, /dns-proxy/),
  };
}
