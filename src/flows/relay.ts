/**
 * The aggregating relay, inside the client: every agent's flow API (ports from the agents' status files),
 * fetched and merged by time (`--last`), or followed together (`--follow`), like Hubble Relay over the
 * nodes' Hubble servers. Nodes whose agent does not answer are reported, not fatal, while one answers.
 */
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { readStatus } from '../agent/status.js';
import { FLOW_API_PREFIX, type Flow } from './flow.js';

export interface FlowEndpointRef {
  node: string;
  port: number;
}

/** The flow APIs of a lab, from `<stateDir>/agent-<node>.json`. */
export function flowApis(stateDir: string): FlowEndpointRef[] {
  let files: string[] = [];
  try {
    files = readdirSync(stateDir).filter((f) => /^agent-.+\.json$/.test(f)).sort();
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    const s = readStatus(join(stateDir, f));
    return s && typeof s.api === 'number' ? [{ node: s.node, port: s.api }] : [];
  });
}

export interface FetchQuery {
  last?: number;
  since?: number;
  until?: number;
  follow?: boolean;
}

function query(q: FetchQuery): string {
  const p = new URLSearchParams();
  if (q.last !== undefined) p.set('last', String(q.last));
  if (q.since !== undefined) p.set('since', String(Math.floor(q.since)));
  if (q.until !== undefined) p.set('until', String(Math.ceil(q.until)));
  if (q.follow) p.set('follow', '1');
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Stream one agent's NDJSON, a Flow at a time; resolves when the response ends. */
export function streamFlows(api: FlowEndpointRef, q: FetchQuery, onFlow: (f: Flow) => void, signal?: AbortSignal): Promise<void> {
  return streamLines(api, q, (lines) => { for (const l of lines) onFlow(JSON.parse(l) as Flow); }, signal);
}

/** Stream one agent's NDJSON as raw lines, in the batches they arrive in (a pass-through needs no parse). */
export function streamLines(api: FlowEndpointRef, q: FetchQuery, onLines: (lines: string[]) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: api.port, path: `${FLOW_API_PREFIX}/flows${query(q)}`, ...(signal ? { signal } : {}) }, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (b: Buffer) => { body += b.toString(); });
        res.on('end', () => reject(new Error(`${api.node}: HTTP ${res.statusCode} ${body.trim()}`)));
        return;
      }
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        const lines = parts.filter((l) => l !== '');
        if (lines.length > 0) onLines(lines);
      });
      res.on('end', () => resolve());
      res.on('error', (e) => (signal?.aborted ? resolve() : reject(e)));
    });
    req.on('error', (e) => (signal?.aborted ? resolve() : reject(new Error(`${api.node}: cannot reach the flow API on 127.0.0.1:${api.port}: ${e.message}`))));
    req.end();
  });
}

const byTime = (a: Flow, b: Flow) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.node < b.node ? -1 : a.node > b.node ? 1 : a.seq - b.seq);

/** Flows of every node, merged oldest first; `errors` lists nodes that did not answer. */
export async function fetchFlows(apis: readonly FlowEndpointRef[], q: FetchQuery): Promise<{ flows: Flow[]; errors: string[] }> {
  const flows: Flow[] = [];
  const errors: string[] = [];
  await Promise.all(apis.map((a) => streamFlows(a, { ...q, follow: false }, (f) => flows.push(f)).catch((e: Error) => { errors.push(e.message); })));
  flows.sort(byTime);
  return { flows, errors };
}

/** Follow every node until `signal` aborts; raw NDJSON lines are passed on in the batches they arrive in. */
export async function followLines(apis: readonly FlowEndpointRef[], q: FetchQuery, onLines: (lines: string[]) => void, signal: AbortSignal): Promise<string[]> {
  const errors: string[] = [];
  await Promise.all(apis.map((a) => streamLines(a, { ...q, follow: true }, onLines, signal).catch((e: Error) => { errors.push(e.message); })));
  return errors;
}

/** Follow every node until `signal` aborts; flows are passed on as they arrive. */
export function followFlows(apis: readonly FlowEndpointRef[], q: FetchQuery, onFlow: (f: Flow) => void, signal: AbortSignal): Promise<string[]> {
  return followLines(apis, q, (lines) => { for (const l of lines) onFlow(JSON.parse(l) as Flow); }, signal);
}
