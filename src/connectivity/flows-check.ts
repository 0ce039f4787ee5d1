import { readStatus, statusPath } from '../agent/status.js';
import type { Flow } from '../flows/flow.js';
import { FLOW_API_PREFIX } from '../flows/flow.js';
import { agentApi } from '../status/report.js';
import { setTimeout as delay } from 'node:timers/promises';
import type { Expectation } from './scenarios.js';

/**
 * The flow-log half of a scenario's check: when the agents serve the flow API (src/flows/flow.ts, the
 * `api` of agent-<node>.json), every expected drop must appear there as DROPPED, naming one of the
 * scenario's policies, and no expected connection may appear as dropped. Without the API the check is
 * reported as not done, never as passed.
 */

export interface FlowApi {
  node: string;
  url: string;
}

/** The flow APIs the lab's agents announce. */
export function flowApis(stateDir: string, nodes: readonly string[]): FlowApi[] {
  return nodes.flatMap((node) => {
    const url = agentApi(readStatus(statusPath(stateDir, node)));
    return url ? [{ node, url }] : [];
  });
}

/** Every node's flows since `since` (ISO time), oldest first. */
export async function fetchFlows(apis: readonly FlowApi[], since: string): Promise<Flow[]> {
  const lists = await Promise.all(apis.map(async (a) => {
    const res = await fetch(`${a.url}${FLOW_API_PREFIX}/flows?since=${encodeURIComponent(since)}`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`${a.url}: HTTP ${res.status}`);
    return (await res.text()).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Flow);
  }));
  // Filtered here too: a server that ignores `since` must not lend a scenario the flows of the one before.
  const from = Date.parse(since);
  return lists.flat().filter((f) => Date.parse(f.time) >= from).sort((x, y) => x.time.localeCompare(y.time));
}

export interface FlowProbe {
  srcIp: string;
  /** Absent for a DNS name (its address is whatever the lookup answered). */
  dstIp?: string;
  name?: string;
  port: number;
  expect: Expectation;
}

export interface FlowVerdict {
  ok: boolean;
  /** Set when the log could not say (no L7 DNS events at all): the probe's own result decides alone. */
  unchecked?: string;
  /** What was wrong, e.g. "no DROPPED flow in the flow log" or "dropped by x, expected one of y". */
  problem?: string;
  /** The flows of this probe's 5-tuple (or DNS name), for the report. */
  seen: Flow[];
}

const sameName = (a: string, b: string) => a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();

function relevant(f: Flow, p: FlowProbe): boolean {
  if (p.expect === 'dns-refused') return f.type === 'L7' && f.source.ip === p.srcIp && f.l7?.dns !== undefined && sameName(f.l7.dns.query, p.name ?? '');
  if (f.type !== 'L3_L4' || f.source.ip !== p.srcIp || f.destination.port !== p.port) return false;
  if (p.dstIp) return f.destination.ip === p.dstIp;
  return (f.destination.names ?? []).some((n) => sameName(n, p.name ?? '')) || f.destination.kind === 'world';
}

/** Judge one probe against the flows seen; pure. */
export function judgeFlows(flows: readonly Flow[], p: FlowProbe, policies: ReadonlySet<string>): FlowVerdict {
  const seen = flows.filter((f) => relevant(f, p));
  if (p.expect === 'dns-refused') {
    const refused = seen.some((f) => f.l7?.dns.rcode === 'REFUSED');
    if (refused) return { ok: true, seen };
    // A flow API without DNS events (the proxy not feeding it yet) cannot confirm a refusal: said, not failed.
    if (!flows.some((f) => f.l7?.dns)) return { ok: true, unchecked: 'the flow log holds no L7 DNS events', seen };
    return { ok: false, problem: 'no REFUSED DNS event in the flow log', seen };
  }
  const drops = seen.filter((f) => f.verdict === 'DROPPED');
  // A drop of the same 5-tuple but an earlier source port (a retransmitted SYN of the previous scenario's
  // probe, read late) must not fail it: the connection counts as seen once a FORWARDED flow is there.
  if (p.expect === 'allowed') {
    const forwarded = seen.some((f) => f.verdict === 'FORWARDED');
    return drops.length && !forwarded ? { ok: false, problem: 'the flow log shows it DROPPED', seen } : { ok: true, seen };
  }
  if (drops.length === 0) return { ok: false, problem: 'no DROPPED flow in the flow log', seen };
  if (policies.size === 0) return { ok: true, seen };
  const named = drops.some((f) => f.policies.some((r) => policies.has(r.name)));
  if (named) return { ok: true, seen };
  const by = [...new Set(drops.flatMap((f) => f.policies.map((r) => r.name)))];
  return { ok: false, problem: `dropped by ${by.length ? by.join(', ') : 'no policy named'}, expected ${[...policies].join(' or ')}`, seen };
}

/**
 * Wait (up to `timeoutMs`: the reader delivers events with a small delay) until every expected drop or DNS
 * refusal is in the log, then judge every probe.
 */
export async function checkFlows(apis: readonly FlowApi[], since: string, probes: readonly FlowProbe[], policies: ReadonlySet<string>, timeoutMs = 3000): Promise<FlowVerdict[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const flows = await fetchFlows(apis, since);
    const verdicts = probes.map((p) => judgeFlows(flows, p, policies));
    // An allowed probe may still fail on a stale drop until its own FORWARDED flow arrives: wait for it too.
    const waiting = verdicts.some((v) => !v.ok || v.unchecked !== undefined);
    if (!waiting || performance.now() >= deadline) return verdicts;
    await delay(100);
  }
}

/** A flow in one line, Hubble's compact form: `10:02:33.123: ns/pod:port -> ns/pod:port DROPPED (policy)`. */
export function flowLine(f: Flow): string {
  const end = (e: Flow['source']) => `${e.pod ? `${e.namespace}/${e.pod}` : e.names?.[0] ?? e.ip}${e.port !== undefined ? `:${e.port}` : ''}`;
  const time = f.time.slice(11, 23);
  if (f.l7?.dns) return `${time}: ${end(f.source)} dns ${f.l7.dns.query} ${f.l7.dns.rcode} ${f.verdict}`;
  const pol = f.policies.map((r) => `${r.namespace ? `${r.namespace}/` : ''}${r.name}`).join(', ');
  return `${time}: ${end(f.source)} -> ${end(f.destination)} ${f.trafficDirection} ${f.verdict}${f.dropReason ? ` ${f.dropReason}` : ''}${pol ? ` by ${pol}` : ''}`;
}
