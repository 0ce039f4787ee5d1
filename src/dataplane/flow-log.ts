/**
 * Flow events from the dataplane (issue 6): every rule of the enforcing chains that decides a new
 * connection also sends its packet to NFLOG, with a prefix naming the decision. The chains' first rule
 * accepts established and related packets, so only the first packet of a connection (or of a UDP flow)
 * reaches these rules. Repeated drops of the same flow (SYN retries, a UDP flood from one socket) are
 * cut by a per-flow meter: packets over its rate are dropped without a log and counted.
 *
 * Pure: a transformation of the chains `compile` builds, so the compiler stays as it is and the
 * decisions are found by what the rules look up (the sets of compile.ts), not by their position.
 */
import { rule, type Chain, type Field, type NamedSet, type Rule, type Statement } from './ruleset.js';

/** What each logging rule decided, as the log prefix carries it (`pw:E1`). */
export const DECISIONS = {
  /** Source pod not isolated for egress. */
  E0: { direction: 'egress', verdict: 'accept', what: 'open' },
  /** Allowed by a policy's egress rule. */
  E1: { direction: 'egress', verdict: 'accept', what: 'rule' },
  /** Allowed to an address the DNS proxy learned (toFQDNs). */
  E2: { direction: 'egress', verdict: 'accept', what: 'fqdn' },
  /** Egress default deny (or a deny rule: the engine tells which). */
  E3: { direction: 'egress', verdict: 'drop', what: 'deny' },
  /** An explicit egress deny rule, checked before the toFQDNs addresses. */
  E4: { direction: 'egress', verdict: 'drop', what: 'explicit-deny' },
  I0: { direction: 'ingress', verdict: 'accept', what: 'open' },
  I1: { direction: 'ingress', verdict: 'accept', what: 'rule' },
  I3: { direction: 'ingress', verdict: 'drop', what: 'deny' },
  /** A source address in the pod CIDR that no pod holds (fail closed). */
  U0: { direction: 'egress', verdict: 'drop', what: 'unknown-source' },
  /** A destination address in the pod CIDR that no pod holds. */
  U1: { direction: 'ingress', verdict: 'drop', what: 'unknown-destination' },
} as const;
export type DecisionCode = keyof typeof DECISIONS;
export type DecisionInfo = (typeof DECISIONS)[DecisionCode];

/** Every prefix starts with this, so the reader can ignore other logs sent to the same group. */
export const PREFIX_TAG = 'pw:';
/** One meter per side: a flow decided on both sides of one node (E0 then I3) is metered once on each. */
export const METER_SETS = { egress: 'flowlog_egress', ingress: 'flowlog_ingress' } as const;

export interface FlowLogOptions {
  /** NFLOG group (per network namespace). */
  group: number;
  /** Logs per flow (5-tuple) and second before the meter suppresses them, and the burst. */
  rate: number;
  burst: number;
  /**
   * Seconds a flow stays in the meter after its last packet, and the meter's size. Small on purpose:
   * nft 1.0.6 reads every set element into its cache for any listing or transaction, so each element costs
   * the control plane (30,000 elements: 1.8 s per `nft list`). A full meter meters no new flow: they are logged.
   */
  meterTimeout: number;
  meterSize: number;
  /** Bytes of each packet sent to the reader: IPv4 and TCP/UDP headers are enough. */
  snaplen: number;
  /**
   * Packets the kernel gathers into one netlink message before sending it (nflog `queue-threshold`), or
   * sends after the listener's flush timeout (1 s by default). One message per packet costs a whole
   * skb of the log's buffer size (~4 KiB) in the reader's socket buffer for ~150 bytes of data: under load
   * the buffer overflows and events are lost (measured: 1/3 of 50,000/s). Batches of 16 fit one skb.
   */
  queueThreshold: number;
}

export const DEFAULT_FLOW_LOG: FlowLogOptions = { group: 100, rate: 5, burst: 10, meterTimeout: 5, meterSize: 8192, snaplen: 64, queueThreshold: 16 };

/** The 5-tuple: one meter entry per flow. */
const FLOW_KEY: readonly Field[] = ['ip saddr', 'ip daddr', 'meta l4proto', 'th sport', 'th dport'];

export function prefixOf(code: DecisionCode): string {
  return `${PREFIX_TAG}${code}`;
}

/** The decision of a log prefix, or null for someone else's log. */
export function decisionOf(prefix: string): DecisionCode | null {
  if (!prefix.startsWith(PREFIX_TAG)) return null;
  const code = prefix.slice(PREFIX_TAG.length).replace(/\0.*$/s, '').trim();
  return Object.hasOwn(DECISIONS, code) ? (code as DecisionCode) : null;
}

/** The chains whose rules decide: the rest of the egress and ingress checks, and the base chains' fail-closed drops. */
export interface FlowLogChains {
  /** Chains whose drop without a lookup is the egress (E3) or ingress (I3) default deny. */
  egress: string;
  ingress: string;
  bases: readonly string[];
  /** The direction whose policy-allowed flows a set holds, or null. */
  allowSet(set: string): 'egress' | 'ingress' | null;
}

const prefixOn = (r: Rule, field: 'ip saddr' | 'ip daddr') => r.match.some((m) => m.type === 'prefix' && m.field === field);

/** Which decision a rule of the enforcing chains makes, or null for a rule that decides nothing. */
export function classify(chain: string, r: Rule, names: FlowLogChains): DecisionCode | null {
  const v = r.verdict?.type;
  const lookup = r.match.find((m) => m.type === 'lookup');
  const set = lookup?.type === 'lookup' ? lookup.set : null;
  if (v === 'return' && set !== null) {
    if (set === 'egress_open') return 'E0';
    if (set === 'ingress_open') return 'I0';
    if (set === 'fqdn') return 'E2';
    const dir = names.allowSet(set);
    if (dir) return dir === 'egress' ? 'E1' : 'I1';
    return null;
  }
  if (v !== 'drop') return null;
  if (set === 'egress_deny') return 'E4';
  if (chain === names.egress && set === null) return 'E3';
  if (chain === names.ingress && set === null) return 'I3';
  if (names.bases.includes(chain)) {
    if (prefixOn(r, 'ip saddr')) return 'U0';
    if (prefixOn(r, 'ip daddr')) return 'U1';
  }
  return null;
}

function text(r: Rule): string {
  return r.comment.replace(/ #[^ ]*$/, '');
}

/** The chain a deciding rule goes to (`goto`): it logs the flow, then decides as the rule would have. */
export const logChainName = (code: DecisionCode): string => `log_${code}`;

const TCP = 6;

/**
 * One decision's log chain: the packet counted and sent to NFLOG, then the rule's verdict (a `return`
 * here returns from the chain that went to it). Flows over the per-flow meter's rate are counted, not
 * logged. Allowed TCP connections skip the meter: conntrack makes their first packet once per
 * connection (SYN retries back off to well under the rate), and a meter entry per connection would cost
 * every new connection a set insert.
 */
function logChain(code: DecisionCode, text: string, verdict: Rule['verdict'], o: FlowLogOptions): Chain {
  const log: Statement = { type: 'log', group: o.group, prefix: prefixOf(code), snaplen: o.snaplen, queueThreshold: o.queueThreshold };
  const meter: Statement = { type: 'meter-over', set: METER_SETS[DECISIONS[code].direction], fields: FLOW_KEY, rate: o.rate, burst: o.burst };
  const rules = [
    rule(`one flow over ${o.rate}/s: not logged; flow log ${code} suppressed`, [], verdict, [meter, { type: 'counter' }]),
    rule(`${text}; flow log ${code}`, [], verdict, [{ type: 'counter' }, log]),
  ];
  if (DECISIONS[code].verdict === 'accept') {
    rules.unshift(rule(`${text}; TCP, not metered; flow log ${code}`, [{ type: 'equals', field: 'meta l4proto', value: TCP }], verdict, [{ type: 'counter' }, log]));
  }
  return { name: logChainName(code), rules };
}

/**
 * The chains with flow logging: each deciding rule keeps its match but goes to its decision's log chain,
 * which logs (or meters) and decides: one set lookup per decision. `names` are the egress and ingress check chains.
 *
 * @example
 * const chains = withFlowLog(enforcingChains(ids), DEFAULT_FLOW_LOG, { egress: 'egress_rest', ingress: 'ingress_rest', bases: ['forward', 'input'], allowSet: shardSetDirection });
 */
export function withFlowLog(chains: readonly Chain[], o: FlowLogOptions, names: FlowLogChains): Chain[] {
  const logChains = new Map<DecisionCode, Chain>();
  const out = chains.map((c) => ({
    ...c,
    rules: c.rules.map((r) => {
      const code = classify(c.name, r, names);
      if (!code) return r;
      const known = logChains.get(code);
      if (known && JSON.stringify(known.rules.at(-1)!.verdict) !== JSON.stringify(r.verdict)) throw new Error(`flow log: two rules decide ${code} differently`);
      if (!known) logChains.set(code, logChain(code, text(r), r.verdict, o));
      return rule(`${text(r)}; flow log ${code}`, r.match, { type: 'goto', chain: logChainName(code) }, r.statements);
    }),
  }));
  return [...out, ...[...logChains.values()].sort((a, b) => (a.name < b.name ? -1 : 1))];
}

/** The meters' sets: filled by the kernel, so their elements are never diffed. */
export function flowLogSets(o: FlowLogOptions): NamedSet[] {
  return Object.values(METER_SETS).map((name) => ({
    name, type: ['ipv4_addr', 'ipv4_addr', 'inet_proto', 'inet_service', 'inet_service'], flags: ['timeout'], elements: [],
    external: true, dynamic: { timeout: o.meterTimeout, size: o.meterSize },
  }));
}
