import { portsMatch, peerMatches } from './match.js';
import type { Engine } from './engine.js';
import type { Decision, Flow } from './evaluate.js';
import type { Direction, Origin, Policy, Rule } from './policy.js';
import type { LookupOutcome } from './dns.js';

/** How one rule of a selecting policy fared against the flow. */
export interface RuleTrace {
  origin: Origin;
  direction: Direction;
  action: 'allow' | 'deny';
  index: number;
  portRule?: number;
  path: (string | number)[];
  /** Each peer with whether it matched the other end. An empty list is Cilium's empty rule. */
  peers: { text: string; matched: boolean }[];
  portsMatched: boolean;
  matched: boolean;
}

export interface PolicyTrace {
  origin: Origin;
  isolates: boolean;
  rules: RuleTrace[];
}

export interface FlowTrace {
  flow: Flow;
  decision: Decision;
  egress: PolicyTrace[];
  ingress: PolicyTrace[];
  /** For flows to an address learned through DNS: what became of the source pod's lookups of that address's names. */
  dns: LookupOutcome[];
}

function ruleTrace(engine: Engine, policy: Policy, rule: Rule, flow: Flow): RuleTrace {
  const subjectEp = rule.direction === 'egress' ? flow.src : flow.dst;
  const other = rule.direction === 'egress' ? flow.dst : flow.src;
  const subject = subjectEp.kind === 'pod' ? subjectEp.pod : undefined;
  const peers = rule.peers.map((p) => ({ text: p.text, matched: subject !== undefined && peerMatches(p, other, subject, engine.dns) }));
  const portsMatched = portsMatch(rule.ports, flow.port, flow.protocol, flow.dst);
  return {
    origin: policy.origin, direction: rule.direction, action: rule.action, index: rule.index,
    ...(rule.portRule !== undefined ? { portRule: rule.portRule } : {}),
    path: rule.path, peers, portsMatched, matched: portsMatched && peers.some((p) => p.matched),
  };
}

function sideTrace(engine: Engine, flow: Flow, dir: Direction): PolicyTrace[] {
  const ep = dir === 'egress' ? flow.src : flow.dst;
  if (ep.kind !== 'pod') return [];
  return engine.set.selecting(ep.pod).map((policy) => ({
    origin: policy.origin,
    isolates: policy.isolates[dir],
    rules: policy.rules.filter((r) => r.direction === dir).map((r) => ruleTrace(engine, policy, r, flow)),
  }));
}

/** The step-by-step account of a flow: every selecting policy's rules on both sides, and the DNS behind FQDN peers. */
export function explainFlow(engine: Engine, flow: Flow): FlowTrace {
  const decision = engine.evaluate(flow);
  const dns: LookupOutcome[] = [];
  if (flow.src.kind === 'pod' && flow.dst.kind === 'world') {
    for (const name of engine.dns.namesOf(flow.dst.ip)) dns.push(engine.dns.outcome(flow.src.pod, name));
  }
  return { flow, decision, egress: sideTrace(engine, flow, 'egress'), ingress: sideTrace(engine, flow, 'ingress'), dns };
}
