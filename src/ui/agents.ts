import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReaderStatus } from './protocol.js';

/** An agent's flow API (src/flows/flow.ts), as its status file `<stateDir>/agent-<node>.json` names it. */
export interface AgentEndpoint {
  node: string;
  /** Base URL, e.g. http://127.0.0.1:9301; undefined when the status file names no API (an older agent). */
  url?: string;
  reader?: ReaderStatus;
}

/** The reader part of the status file's `flows` (src/flows/service.ts FlowServiceInfo), read defensively. */
function readerOf(flows: unknown): ReaderStatus | undefined {
  if (typeof flows !== 'object' || flows === null) return undefined;
  const f = flows as { reader?: { running?: unknown; lastError?: unknown }; lost?: unknown; disagreements?: unknown; kernel?: { suppressed?: unknown } };
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return {
    running: f.reader?.running === true,
    lastError: typeof f.reader?.lastError === 'string' ? f.reader.lastError : null,
    lost: num(f.lost),
    suppressed: num(f.kernel?.suppressed),
    disagreements: num(f.disagreements),
  };
}

/** `api` in a status file: a port on 127.0.0.1, `host:port`, or a URL. */
export function apiUrl(api: unknown): string | undefined {
  if (typeof api === 'number' && Number.isInteger(api) && api > 0 && api < 65536) return `http://127.0.0.1:${api}`;
  if (typeof api !== 'string' || api === '') return undefined;
  const url = /^https?:\/\//.test(api) ? api : `http://${api}`;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Every agent of the lab whose status file exists, sorted by node. */
export function discoverAgents(stateDir: string): AgentEndpoint[] {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return [];
  }
  const out: AgentEndpoint[] = [];
  for (const name of names) {
    const m = /^agent-(.+)\.json$/.exec(name);
    if (!m) continue;
    try {
      const status = JSON.parse(readFileSync(join(stateDir, name), 'utf8')) as { node?: string; api?: unknown; flows?: unknown };
      const url = apiUrl(status.api);
      const reader = readerOf(status.flows);
      out.push({ node: status.node ?? m[1]!, ...(url ? { url } : {}), ...(reader ? { reader } : {}) });
    } catch {
      // Half-written or removed between readdir and read: the next discovery pass sees it.
    }
  }
  return out.sort((a, b) => a.node.localeCompare(b.node));
}
