import type { Engine } from '../engine/engine.js';
import { identMap } from './allocate.js';
import { rowElements, rowGroups, runs } from './elements.js';
import { DEFAULT_FLOW_LOG, flowLogSets, withFlowLog, type FlowLogOptions } from './flow-log.js';
import { identities, type Identities } from './identity.js';
import { delta, incrementalSides, universeKey, type CompileMemo } from './incremental.js';
import { sideContext } from './sides.js';
import { portRanges, type ProtocolRanges } from './ports.js';
import { component, FAMILY, rule, TABLE, type Chain, type Element, type Field, type NamedSet, type Rule, type Ruleset, type Table } from './ruleset.js';
import { PROXY_PORTS } from './dns-redirect.js';
import { SHARD_BLOCK_BITS, SHARD_COUNT, SHARD_MASK, shardChainName, shardGroups, shardMapElements, shardMapName, shardSetDirection, shardSetName } from './shards.js';
import type { Direction } from '../engine/policy.js';

export const ENFORCEMENTS = ['podwall', 'none'] as const;
export type Enforcement = (typeof ENFORCEMENTS)[number];

export interface CompileOptions {
  /** The node whose firewall this is (its pods are the ones it enforces). */
  node: string;
  /** `none`: network policy off, the table only accepts. */
  enforcement: Enforcement;
  /** Addresses in it that no pod holds are dropped (fail closed). Default 10.244.0.0/16. */
  podCidr?: string;
  /** Flow events to NFLOG (src/dataplane/flow-log.ts); null: none. Default DEFAULT_FLOW_LOG. */
  flowLog?: FlowLogOptions | null;
  /**
   * The ruleset in force: the last pass's `Compiled`, or the kernel's table read back. Identities keep
   * the ids they have there (allocate.ts), and a `Compiled` also lets this pass reuse every side it
   * cannot have changed (incremental.ts). The result equals a compile from scratch with the same ids.
   */
  previous?: Compiled | Ruleset | null;
}

/** What compile decided, besides the ruleset: for explanations, tests and size reports. */
export interface Compiled {
  ruleset: Ruleset;
  ids: Identities;
  ranges: ProtocolRanges[];
  /** For the next pass (incremental.ts); absent with enforcement `none`. */
  memo?: CompileMemo;
  /** Local pod class sides computed afresh in this pass (the others were reused, or patched: `patched`). */
  recomputed?: number;
  patched?: number;
}

/** The policy-allowed flows are in the shard sets `egress_<k>` and `ingress_<k>` (shards.ts). */
export const SET_NAMES = {
  ident: 'ident', localPods: 'local_pods',
  egressOpen: 'egress_open', ingressOpen: 'ingress_open', egressDeny: 'egress_deny', fqdn: 'fqdn', dnsProxy: 'dns_proxy',
} as const;
export const CHAIN_NAMES = {
  forward: 'forward', input: 'input', egress: 'egress_check', ingress: 'ingress_check', egressRest: 'egress_rest', ingressRest: 'ingress_rest',
} as const;

const FLOW: readonly Field[] = ['meta mark', 'ct mark', 'meta l4proto', 'th dport'];
const FQDN_FLOW: readonly Field[] = ['ip saddr', 'ip daddr', 'meta l4proto', 'th dport'];
/** nft's `filter` priority. */
const FILTER = 0;

type Shards = readonly (readonly Element[])[];
const NO_SHARDS: Shards = Array.from({ length: SHARD_COUNT }, () => []);

/** The shard sets and the verdict map to their chains (empty with enforcement `none`, which has no such chains). */
function shardSets(dir: Direction, shards: Shards, enforcing: boolean): NamedSet[] {
  const flow = ['mark', 'mark', 'inet_proto', 'inet_service'] as const;
  return [
    { name: shardMapName(dir), type: ['mark'], map: 'verdict', flags: [], elements: enforcing ? shardMapElements(dir) : [] },
    ...shards.map((elements, k): NamedSet => ({ name: shardSetName(dir, k), type: flow, flags: ['interval'], elements })),
  ];
}

function sets(ids: Identities | null, egress: Shards, ingress: Shards, open: { egress: number[]; ingress: number[] }, egressDeny: readonly Element[] = []): NamedSet[] {
  const flow = ['mark', 'mark', 'inet_proto', 'inet_service'] as const;
  return [
    {
      name: SET_NAMES.ident, type: ['ipv4_addr'], map: 'mark', flags: ['interval'],
      elements: (ids?.intervals ?? []).map((i) => ({ key: [component(i.from, i.to)], value: i.id })),
    },
    { name: SET_NAMES.localPods, type: ['ipv4_addr'], flags: ['interval'], elements: runs(ids?.localPodIps ?? []) },
    ...shardSets('egress', egress, ids !== null),
    ...shardSets('ingress', ingress, ids !== null),
    { name: SET_NAMES.egressOpen, type: ['mark'], flags: ['interval'], elements: runs(open.egress) },
    { name: SET_NAMES.ingressOpen, type: ['mark'], flags: ['interval'], elements: runs(open.ingress) },
    { name: SET_NAMES.egressDeny, type: flow, flags: ['interval'], elements: egressDeny },
    { name: SET_NAMES.fqdn, type: ['ipv4_addr', 'ipv4_addr', 'inet_proto', 'inet_service'], flags: ['timeout'], elements: [], external: true },
    { name: SET_NAMES.dnsProxy, type: ['inet_service'], flags: ['interval'], elements: [{ key: [component(...PROXY_PORTS)] }] },
  ];
}

function enforcingChains(ids: Identities): Chain[] {
  const pod = { addr: ids.podCidr.addr, len: ids.podCidr.len };
  const established: Rule = rule('replies and related packets of allowed connections', [{ type: 'ct-state', states: ['established', 'related'] }], { type: 'accept' });
  const unknownSrc = rule(`unknown source in the pod CIDR ${ids.podCidr.text}: fail closed`,
    [{ type: 'prefix', field: 'ip saddr', ...pod }, { type: 'equals', field: 'meta mark', value: 0 }], { type: 'drop' });
  const forward: Chain = {
    name: CHAIN_NAMES.forward, hook: 'forward', priority: FILTER, policy: 'accept',
    rules: [
      established,
      rule('identities: source into the packet mark, destination into the conntrack mark', [], null, [
        { type: 'set', field: 'meta mark', value: { map: SET_NAMES.ident, key: 'ip saddr' } },
        { type: 'set', field: 'ct mark', value: { map: SET_NAMES.ident, key: 'ip daddr' } },
      ]),
      unknownSrc,
      rule(`unknown destination in the pod CIDR ${ids.podCidr.text}: fail closed`,
        [{ type: 'prefix', field: 'ip daddr', ...pod }, { type: 'equals', field: 'ct mark', value: 0 }], { type: 'drop' }),
      rule('egress is enforced on the source pod\'s node', [{ type: 'lookup', fields: ['ip saddr'], set: SET_NAMES.localPods }], { type: 'jump', chain: CHAIN_NAMES.egress }),
      rule('ingress is enforced on the destination pod\'s node', [{ type: 'lookup', fields: ['ip daddr'], set: SET_NAMES.localPods }], { type: 'jump', chain: CHAIN_NAMES.ingress }),
    ],
  };
  const input: Chain = {
    name: CHAIN_NAMES.input, hook: 'input', priority: FILTER, policy: 'accept',
    rules: [
      established,
      rule('identity of the source into the packet mark', [], null, [{ type: 'set', field: 'meta mark', value: { map: SET_NAMES.ident, key: 'ip saddr' } }]),
      unknownSrc,
      rule('pods\' DNS redirected to the node\'s DNS proxy (dns-redirect.ts)',
        [{ type: 'ct-status', status: 'dnat' }, { type: 'lookup', fields: ['th dport'], set: SET_NAMES.dnsProxy }], { type: 'accept' }),
      rule('pods to their own node: egress with the node (host) as destination', [{ type: 'lookup', fields: ['ip saddr'], set: SET_NAMES.localPods }],
        { type: 'jump', chain: CHAIN_NAMES.egress }, [{ type: 'set', field: 'ct mark', value: ids.hostId }]),
    ],
  };
  const egress: Chain = {
    name: CHAIN_NAMES.egress,
    rules: [
      rule('source pod not isolated for egress', [{ type: 'lookup', fields: ['meta mark'], set: SET_NAMES.egressOpen }], { type: 'return' }),
      rule('to the shard of the source\'s identity', [], { type: 'vmap', field: 'meta mark', shift: SHARD_BLOCK_BITS, mask: SHARD_MASK, map: shardMapName('egress') }),
    ],
  };
  const egressRest: Chain = {
    name: CHAIN_NAMES.egressRest,
    rules: [
      rule('explicit egress deny: before toFQDNs addresses, which the DNS proxy adds unaware of denies', [{ type: 'lookup', fields: FLOW, set: SET_NAMES.egressDeny }], { type: 'drop' }),
      rule('egress to an address the DNS proxy learned for the pod (toFQDNs)', [{ type: 'lookup', fields: FQDN_FLOW, set: SET_NAMES.fqdn }], { type: 'return' }),
      rule('egress default deny', [], { type: 'drop' }),
    ],
  };
  const ingress: Chain = {
    name: CHAIN_NAMES.ingress,
    rules: [
      rule('destination pod not isolated for ingress', [{ type: 'lookup', fields: ['ct mark'], set: SET_NAMES.ingressOpen }], { type: 'return' }),
      rule('to the shard of the destination\'s identity', [], { type: 'vmap', field: 'ct mark', shift: SHARD_BLOCK_BITS, mask: SHARD_MASK, map: shardMapName('ingress') }),
    ],
  };
  const ingressRest: Chain = { name: CHAIN_NAMES.ingressRest, rules: [rule('ingress default deny', [], { type: 'drop' })] };
  const shardChains = (dir: Direction, rest: string): Chain[] => Array.from({ length: SHARD_COUNT }, (_, k) => ({
    name: shardChainName(dir, k),
    rules: [
      rule(`${dir} allowed by policy`, [{ type: 'lookup', fields: FLOW, set: shardSetName(dir, k) }], { type: 'return' }),
      rule(`not allowed by policy: the rest of the ${dir} check`, [], { type: 'goto', chain: rest }),
    ],
  }));
  return [forward, input, egress, ingress, egressRest, ingressRest, ...shardChains('egress', CHAIN_NAMES.egressRest), ...shardChains('ingress', CHAIN_NAMES.ingressRest)];
}

function acceptingChains(): Chain[] {
  const accept = rule('network policy enforcement is off', [], { type: 'accept' });
  return [
    { name: CHAIN_NAMES.forward, hook: 'forward', priority: FILTER, policy: 'accept', rules: [accept] },
    { name: CHAIN_NAMES.input, hook: 'input', priority: FILTER, policy: 'accept', rules: [accept] },
  ];
}

/**
 * Compile the engine's policies into one node's firewall (docs/lab.md, "The dataplane"): an identity
 * map, the allowed (source id . destination id . protocol . port range) flows per direction, and fixed
 * chains. Sorted throughout: the same engine and options (`previous` included: its identity map
 * decides the ids) give a byte-identical ruleset.
 *
 * @example
 * const { ruleset } = compileDetailed(engine, { node: 'node1', enforcement: 'podwall' });
 * render(ruleset) // {"nftables": [...]} for `nft -j -f -`
 */
export function compileDetailed(engine: Engine, opts: CompileOptions): Compiled {
  const prev = opts.previous ?? null;
  const prevCompiled = prev && 'ruleset' in prev ? prev : null;
  const previous = prev ? identMap('ruleset' in prev ? prev.ruleset : prev) : undefined;
  const ids = identities(engine.cluster, engine.policies, { node: opts.node, podCidr: opts.podCidr, previous });
  const ranges = portRanges(engine.cluster, engine.policies);
  if (opts.enforcement === 'none') {
    return { ids, ranges, ruleset: { tables: [{ family: FAMILY, name: TABLE, sets: sets(null, NO_SHARDS, NO_SHARDS, { egress: [], ingress: [] }), chains: acceptingChains() }] } };
  }
  const universe = universeKey(engine, ids, ranges);
  const memo = prevCompiled?.memo?.universe === universe ? prevCompiled.memo : undefined;
  const changed = memo ? delta(engine, ids, memo) : null;
  // One context for all three: peer bits do not depend on the direction.
  const ctx = sideContext(engine, ids, ranges);
  const egress = incrementalSides(engine, ids, ranges, 'egress', memo?.sides.egress ?? null, changed, 'allowed', ctx);
  const ingress = incrementalSides(engine, ids, ranges, 'ingress', memo?.sides.ingress ?? null, changed, 'allowed', ctx);
  // What explicit egress deny rules refuse, for `egress_deny`: the `egress` set has denies subtracted already, but the DNS
  // proxy adds toFQDNs addresses unaware of denies, so this set is looked up before theirs (deny takes precedence, as in Cilium).
  const egressDeny = incrementalSides(engine, ids, ranges, 'egress', memo?.sides.egressDeny ?? null, changed, 'denied', ctx);
  const open = { egress: egress.tables.filter((t) => t.open).map((t) => t.subject), ingress: ingress.tables.filter((t) => t.open).map((t) => t.subject) };
  const groups = { egress: new Map<string, Element[]>(), ingress: new Map<string, Element[]>(), egressDeny: new Map<string, Element[]>() };
  const log = opts.flowLog === undefined ? DEFAULT_FLOW_LOG : opts.flowLog;
  const shards = {
    egress: shardGroups(rowGroups(egress.rows, 'egress', memo?.groups.egress, groups.egress, SHARD_BLOCK_BITS), memo?.shards.egress),
    ingress: shardGroups(rowGroups(ingress.rows, 'ingress', memo?.groups.ingress, groups.ingress, SHARD_BLOCK_BITS), memo?.shards.ingress),
  };
  const table: Table = {
    family: FAMILY, name: TABLE,
    sets: [
      ...sets(ids, shards.egress.elements, shards.ingress.elements, open, rowElements(egressDeny.rows, 'egress', memo?.groups.egressDeny, groups.egressDeny)),
      ...(log ? flowLogSets(log) : []),
    ],
    chains: chainsOf(ids, log),
  };
  const next: CompileMemo = {
    universe, maxId: ids.maxId, policies: engine.policies, keys: new Map(ids.list.map((i) => [i.id, i.key])),
    sides: { egress: egress.entries, ingress: ingress.entries, egressDeny: egressDeny.entries }, groups, shards,
  };
  return { ids, ranges, ruleset: { tables: [table] }, memo: next, recomputed: egress.recomputed + ingress.recomputed, patched: egress.patched + ingress.patched };
}

let lastChains: { key: string; chains: Chain[] } | null = null;

/** The enforcing chains (with flow logging), the same objects while what they depend on is the same: building them hashes every rule. */
function chainsOf(ids: Identities, log: FlowLogOptions | null): Chain[] {
  const key = JSON.stringify([ids.podCidr.text, ids.hostId, log]);
  if (lastChains?.key !== key) {
    const chains = enforcingChains(ids);
    lastChains = {
      key,
      chains: log ? withFlowLog(chains, log, { egress: CHAIN_NAMES.egressRest, ingress: CHAIN_NAMES.ingressRest, bases: [CHAIN_NAMES.forward, CHAIN_NAMES.input], allowSet: shardSetDirection }) : chains,
    };
  }
  return lastChains.chains;
}

/** The ruleset of `compileDetailed`. */
export function compile(engine: Engine, opts: CompileOptions): Ruleset {
  return compileDetailed(engine, opts).ruleset;
}
