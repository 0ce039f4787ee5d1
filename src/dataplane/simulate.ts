import {
  bounds, ipv4Number, prefixRange, PROTO_NUMBERS,
  type Chain, type Element, type Field, type Hook, type Match, type NamedSet, type Rule, type Ruleset, type Statement, type Table,
} from './ruleset.js';

/** A packet as the hook sees it. `ct`: first packet of a connection, or one of an accepted connection. */
export interface Packet {
  saddr: string;
  daddr: string;
  /** Protocol name (`tcp`, `udp`, `sctp`, `icmp`) or number. */
  proto: 'tcp' | 'udp' | 'sctp' | 'icmp' | number;
  dport: number;
  ct: 'new' | 'established';
}

export interface SimResult {
  verdict: 'accept' | 'drop';
  /** The comment of the rule that decided, or `policy <verdict> of <chain>` when none did. */
  comment: string;
  /** Chains entered, in order. */
  path: string[];
}

interface State {
  packet: Packet;
  saddr: number;
  daddr: number;
  proto: number;
  metaMark: number;
  ctMark: number;
}

const PROTOS: Record<string, number> = { tcp: PROTO_NUMBERS.TCP, udp: PROTO_NUMBERS.UDP, sctp: PROTO_NUMBERS.SCTP, icmp: 1 };
const PORT_PROTOS = new Set<number>([PROTO_NUMBERS.TCP, PROTO_NUMBERS.UDP, PROTO_NUMBERS.SCTP, 33 /* dccp */, 136 /* udplite */]);

/** A field's value, or null when the packet has none (th dport of ICMP, ct mark without conntrack). */
function field(s: State, f: Field): number | null {
  switch (f) {
    case 'ip saddr': return s.saddr;
    case 'ip daddr': return s.daddr;
    case 'meta mark': return s.metaMark;
    case 'ct mark': return s.ctMark;
    case 'meta l4proto': return s.proto;
    case 'th sport': return PORT_PROTOS.has(s.proto) ? 0 : null;
    case 'th dport': return PORT_PROTOS.has(s.proto) ? s.packet.dport : null;
  }
}

function find(set: NamedSet, key: readonly number[]): Element | undefined {
  return set.elements.find((e) => e.key.length === key.length && e.key.every((c, i) => {
    const [lo, hi] = bounds(c);
    return key[i]! >= lo && key[i]! <= hi;
  }));
}

function lookup(table: Table, name: string, key: readonly (number | null)[]): Element | undefined {
  const set = table.sets.find((x) => x.name === name);
  if (!set) throw new Error(`simulate: no set @${name} in table ${table.name}`);
  if (key.some((k) => k === null)) return undefined;
  return find(set, key as number[]);
}

function matches(table: Table, s: State, m: Match): boolean {
  switch (m.type) {
    case 'ct-state': return m.states.includes(s.packet.ct);
    case 'ct-status': return false; // simulated packets are never NATed (the DNS proxy redirect is tested on the kernel)
    case 'lookup': return lookup(table, m.set, m.fields.map((f) => field(s, f))) !== undefined;
    case 'prefix': {
      const [lo, hi] = prefixRange(m.addr, m.len);
      const v = field(s, m.field)!;
      return v >= lo && v <= hi;
    }
    case 'equals': return field(s, m.field) === m.value;
  }
}

/** Run statements; false when a map lookup failed, which ends the rule (NFT_BREAK). */
function run(table: Table, s: State, statements: readonly Statement[]): boolean {
  for (const st of statements) {
    // Counters and logs do not change the verdict; a meter is never over its rate for the one packet simulated.
    if (st.type === 'counter' || st.type === 'log') continue;
    if (st.type === 'meter-over') return false;
    let v: number;
    if (typeof st.value === 'number') v = st.value;
    else {
      const e = lookup(table, st.value.map, [field(s, st.value.key)]);
      if (e?.value === undefined) return false;
      v = e.value;
    }
    if (st.field === 'meta mark') s.metaMark = v;
    else s.ctMark = v;
  }
  return true;
}

type Outcome = { kind: 'accept' | 'drop' | 'return'; rule: Rule } | { kind: 'end' };

function runChain(table: Table, chain: Chain, s: State, path: string[], depth: number): Outcome {
  if (depth > 16) throw new Error('simulate: jump loop');
  path.push(chain.name);
  for (const r of chain.rules) {
    if (!r.match.every((m) => matches(table, s, m))) continue;
    if (!run(table, s, r.statements ?? [])) continue;
    let v = r.verdict;
    if (v?.type === 'vmap') {
      // No element for the key: no verdict, the next rule.
      const key = (field(s, v.field)! >>> v.shift) & v.mask;
      const e = lookup(table, v.map, [key]);
      if (e?.goto === undefined) continue;
      v = { type: 'goto', chain: e.goto };
    }
    if (!v) continue;
    if (v.type === 'jump' || v.type === 'goto') {
      const target = table.chains.find((c) => c.name === v.chain);
      if (!target) throw new Error(`simulate: no chain ${v.chain}`);
      const o = runChain(table, target, s, path, depth + 1);
      if (o.kind === 'accept' || o.kind === 'drop') return o;
      // After a goto, the target's return (or end) is this chain's.
      if (v.type === 'goto') return o.kind === 'end' ? { kind: 'return', rule: r } : o;
      continue;
    }
    return { kind: v.type, rule: r };
  }
  return { kind: 'end' };
}

/**
 * Evaluate a packet against a ruleset in one hook as the kernel would: each table's base chain on the
 * hook in priority order, map lookups that end a rule when they miss, interval and concatenated set
 * lookups, jumps and returns, then the chain policy. Conntrack state starts fresh for a new packet.
 *
 * @example
 * simulate(ruleset, 'forward', { saddr: '10.244.0.11', daddr: '10.244.0.12', proto: 'tcp', dport: 80, ct: 'new' }).verdict
 */
export function simulate(ruleset: Ruleset, hook: Hook, packet: Packet): SimResult {
  const saddr = ipv4Number(packet.saddr);
  const daddr = ipv4Number(packet.daddr);
  if (saddr === null || daddr === null) throw new Error(`simulate: IPv4 addresses only (${packet.saddr} -> ${packet.daddr})`);
  const proto = typeof packet.proto === 'number' ? packet.proto : PROTOS[packet.proto]!;
  const path: string[] = [];
  const bases = ruleset.tables.flatMap((table) => table.chains.filter((c) => c.hook === hook).map((chain) => ({ table, chain })))
    .sort((a, b) => (a.chain.priority ?? 0) - (b.chain.priority ?? 0));
  let last = 'no chain on this hook';
  // The packet mark and the conntrack mark are the packet's: they carry over from table to table.
  const s: State = { packet, saddr, daddr, proto, metaMark: 0, ctMark: 0 };
  for (const { table, chain } of bases) {
    const o = runChain(table, chain, s, path, 0);
    if (o.kind === 'drop') return { verdict: 'drop', comment: o.rule.comment, path };
    if (o.kind === 'accept') {
      last = o.rule.comment;
      continue;
    }
    if ((chain.policy ?? 'accept') === 'drop') return { verdict: 'drop', comment: `policy drop of ${chain.name}`, path };
    last = `policy accept of ${chain.name}`;
  }
  return { verdict: 'accept', comment: last, path };
}
