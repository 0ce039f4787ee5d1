/**
 * A logged packet becomes a Flow: endpoints from the desired state (pods, namespaces, labels, nodes;
 * world names through a hook onto the DNS proxy's cache), and the engine's account of the decision:
 * the policies and rule that decided, the reason line, and for drops the suggested fix. The kernel's
 * verdict comes from the log prefix; when the engine decides otherwise the flow says so.
 * Pure apart from the caches it keeps.
 */
import { DECISIONS, type DecisionCode } from '../dataplane/flow-log.js';
import { portRanges } from '../dataplane/ports.js';
import { endpointForIp, type Endpoint } from '../engine/endpoint.js';
import type { Engine } from '../engine/engine.js';
import type { Decision, Flow as EngineFlow, SideVerdict } from '../engine/evaluate.js';
import { decisionSentence, sideSentence } from '../engine/reason.js';
import { suggestFix } from '../engine/suggest.js';
import type { DropReason, Flow, FlowEndpoint, FlowPolicyRef, PolicyMatchType } from './flow.js';
import type { PacketInfo } from './packet.js';

/** Names the DNS proxy answered with for an address (world endpoints); the proxy's cache plugs in here. */
export type NameLookup = (ip: string) => string[];

export interface EnrichContext {
  node: string;
  engine: Engine | null;
  names?: NameLookup;
}

interface Verdict {
  decision: Decision | null;
  src: Endpoint | null;
  dst: Endpoint | null;
  /** Computed the first time a drop needs it (undefined: not yet; null: none exists). */
  suggestion?: string | null;
  flow?: EngineFlow;
  explained?: Partial<Record<DecisionCode, Explained>>;
  /** The endpoints without ports, shared by every flow of this key (flows are never mutated). */
  source?: FlowEndpoint;
  destination?: FlowEndpoint;
}

function withPort(e: FlowEndpoint, port: number | undefined): FlowEndpoint {
  return port === undefined ? e : { ...e, port };
}

function endpoint(e: Endpoint | null, ip: string, names: NameLookup | undefined): FlowEndpoint {
  const base = { ip };
  if (!e) return { ...base, kind: 'unknown' };
  switch (e.kind) {
    case 'pod': {
      const labels = Object.entries(e.pod.labels).map(([k, v]) => `${k}=${v}`).sort();
      return { ...base, kind: 'pod', namespace: e.pod.namespace, pod: e.pod.name, labels, ...(e.pod.node ? { node: e.pod.node } : {}) };
    }
    case 'node': return { ...base, kind: 'host', ...(e.name ? { node: e.name } : {}) };
    case 'world': {
      const known = names?.(ip) ?? e.names;
      return { ...base, kind: 'world', ...(known.length > 0 ? { names: known } : {}) };
    }
  }
}

function refs(side: SideVerdict, dropped: boolean): FlowPolicyRef[] {
  const hit = (h: SideVerdict['allowedBy'][number], action: 'allow' | 'deny'): FlowPolicyRef => ({
    kind: h.origin.kind, ...(h.origin.namespace ? { namespace: h.origin.namespace } : {}), name: h.origin.name,
    direction: side.direction, rule: h.rule.index, action,
  });
  if (!dropped) return side.allowedBy.map((h) => hit(h, 'allow'));
  if (side.reason === 'explicit-deny') return side.deniedBy.map((h) => hit(h, 'deny'));
  return side.isolatedBy.map((o) => ({
    kind: o.kind, ...(o.namespace ? { namespace: o.namespace } : {}), name: o.name, direction: side.direction, action: 'deny' as const,
  }));
}

/** Hubble's policy_match_type wording for the deciding side. */
function matchType(side: SideVerdict | null, dropped: boolean): PolicyMatchType {
  if (dropped || !side) return 'none';
  if (side.reason !== 'allowed-by-rule') return 'all';
  const r = side.allowedBy[0]?.rule;
  const l3 = r !== undefined && !r.peers.some((p) => p.type === 'any');
  const l4 = r?.ports !== null && r?.ports !== undefined;
  return l3 && l4 ? 'L3-L4' : l3 ? 'L3-Only' : l4 ? 'L4-Only' : 'all';
}

/**
 * Decisions are cached per flow key for one engine: addresses, protocol and the port's range, the
 * ranges compile.ts splits ports into (no rule tells two ports of a range apart, so neither the verdict,
 * the rules, the reason nor the fix can differ). A flood of new connections between the same pods costs
 * one evaluation (and one suggestion search). Bounded: the cache is dropped when full.
 */
export class Enricher {
  private cache = new Map<string, Verdict>();
  private cachedFor: Engine | null = null;
  /** Per protocol, the first port of each range, ascending. */
  private starts = new Map<string, number[]>();
  constructor(private readonly maxCache = 20_000) {}

  private rangeOf(proto: string, port: number): number {
    const s = this.starts.get(proto);
    if (!s) return port;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= port) lo = mid;
      else hi = mid - 1;
    }
    return s[lo]!;
  }

  private verdict(ctx: EnrichContext, p: PacketInfo, wantsFix: boolean): Verdict {
    const engine = ctx.engine;
    if (!engine) return { decision: null, src: null, dst: null };
    if (this.cachedFor !== engine) {
      this.starts = new Map(portRanges(engine.cluster, engine.policies).map((r) => [r.protocol, r.ranges.map((x) => x.from)]));
      this.cache.clear();
      this.cachedFor = engine;
    }
    if (this.cache.size >= this.maxCache) this.cache.clear();
    const key = `${p.saddr} ${p.daddr} ${p.protoNumber} ${this.rangeOf(p.proto, p.dport ?? 0)}`;
    let v = this.cache.get(key);
    if (!v) {
      const src = endpointForIp(engine.cluster, p.saddr);
      const dst = endpointForIp(engine.cluster, p.daddr, engine.dns.namesOf(p.daddr));
      v = { decision: null, src, dst };
      if (p.proto !== 'ICMP' && p.dport !== undefined) {
        v.flow = { src, dst, port: p.dport, protocol: p.proto };
        v.decision = engine.evaluate(v.flow);
      }
      this.cache.set(key, v);
    }
    if (wantsFix && v.suggestion === undefined && v.flow && v.decision && !v.decision.allowed) {
      const s = suggestFix(engine, v.flow, v.decision);
      v.suggestion = s ? `${s.command} would match ${s.matches}` : null;
    }
    return v;
  }

  /** The Flow of one logged packet (seq 0: the ring numbers it). */
  flow(ctx: EnrichContext, code: DecisionCode, p: PacketInfo, timeMs: number): Flow {
    const d = DECISIONS[code];
    const dropped = d.verdict === 'drop';
    const v = this.verdict(ctx, p, dropped);
    const side = v.decision ? v.decision[d.direction] : null;
    const explained = (v.explained ??= {})[code] ??= explain(code, v.decision, side, dropped);
    v.source ??= endpoint(v.src, p.saddr, ctx.names);
    v.destination ??= endpoint(v.dst, p.daddr, ctx.names);
    const flow: Flow = {
      seq: 0, time: isoTime(timeMs), node: ctx.node, type: 'L3_L4',
      source: withPort(v.source, p.sport),
      destination: withPort(v.destination, p.dport),
      l4: { protocol: p.proto, ...(p.tcpFlags ? { tcpFlags: p.tcpFlags } : {}) },
      trafficDirection: d.direction === 'egress' ? 'EGRESS' : 'INGRESS',
      verdict: dropped ? 'DROPPED' : 'FORWARDED',
      ...explained,
    };
    if (dropped && v.suggestion) flow.suggestion = v.suggestion;
    return flow;
  }
}

let lastMs = NaN;
let lastIso = '';
/** ISO time of an event; events come in bursts within one millisecond. */
function isoTime(ms: number): string {
  const whole = Math.floor(ms);
  if (whole !== lastMs) {
    lastMs = whole;
    lastIso = new Date(whole).toISOString();
  }
  return lastIso;
}

type Explained = Pick<Flow, 'policies' | 'policyMatchType' | 'reason' | 'dropReason' | 'disagreement'>;

/** What the engine says about one decision of the kernel; the same for every flow of a cache key. */
function explain(code: DecisionCode, decision: Decision | null, side: SideVerdict | null, dropped: boolean): Explained {
  const out: Explained = { policies: side ? refs(side, dropped) : [], policyMatchType: matchType(side, dropped), reason: reasonLine(code, decision, side) };
  if (dropped) out.dropReason = dropReason(code, side);
  const mismatch = disagreement(code, side, dropped);
  if (mismatch) out.disagreement = mismatch;
  return out;
}

function dropReason(code: DecisionCode, side: SideVerdict | null): DropReason {
  if (code === 'U0' || code === 'U1') return 'UNKNOWN_ENDPOINT';
  return side?.reason === 'explicit-deny' ? 'POLICY_DENY' : 'POLICY_DENIED';
}

function reasonLine(code: DecisionCode, decision: Decision | null, side: SideVerdict | null): string {
  if (code === 'U0') return 'egress: the source address is in the pod CIDR but no pod holds it (fail closed)';
  if (code === 'U1') return 'ingress: the destination address is in the pod CIDR but no pod holds it (fail closed)';
  if (code === 'E2') return 'egress: to an address the DNS proxy answered for an allowed name (toFQDNs)';
  if (!decision || !side) return `${DECISIONS[code].direction}: decided by the kernel rule ${code} (no engine verdict for this protocol)`;
  return side.allowed ? sideSentence(side) : decisionSentence(decision);
}

/** The kernel and the engine must agree on the deciding side; a difference is a bug worth shouting about. */
function disagreement(code: DecisionCode, side: SideVerdict | null, dropped: boolean): string | undefined {
  if (!side || code === 'E2' || code === 'U0' || code === 'U1') return undefined;
  if (side.allowed === !dropped) return undefined;
  return `kernel ${dropped ? 'dropped' : 'forwarded'} (rule ${code}) but the engine says ${side.direction} ${side.allowed ? 'allows' : 'denies'}: ${sideSentence(side)}`;
}
