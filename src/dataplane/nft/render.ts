/**
 * The only code that knows nft's JSON schema (libnftables-json(5)): Ruleset AST → commands for
 * `nft -j -f -`, and a listing (`nft -j list table inet podwall`) back into the AST for reconciling.
 */
import { isIp } from '../../shared/ip.js';
import { InternalError } from '../../shared/errors.js';
import {
  FAMILY, ipv4Number, ipv4Text, PROTO_NAMES, prefixRange, TABLE,
  type Chain, type Component, type Element, type Field, type KeyType, type Match, type NamedSet, type Rule, type Ruleset,
  type SetFlag, type Statement, type Table, type Verdict,
} from '../ruleset.js';

export type NftCommand = Record<string, unknown>;
/** One transaction: `nft -j -f -` applies all of it or nothing. */
export interface NftJson {
  nftables: NftCommand[];
}

const FIELD_EXPR: Record<Field, unknown> = {
  'ip saddr': { payload: { protocol: 'ip', field: 'saddr' } },
  'ip daddr': { payload: { protocol: 'ip', field: 'daddr' } },
  'meta mark': { meta: { key: 'mark' } },
  'ct mark': { ct: { key: 'mark' } },
  'meta l4proto': { meta: { key: 'l4proto' } },
  'th sport': { payload: { protocol: 'th', field: 'sport' } },
  'th dport': { payload: { protocol: 'th', field: 'dport' } },
};

const WIDTH: Record<KeyType, number> = { ipv4_addr: 32, mark: 32, inet_proto: 8, inet_service: 16 };
const MAX: Record<KeyType, number> = { ipv4_addr: 0xffffffff, mark: 0xffffffff, inet_proto: 255, inet_service: 65535 };

/** A value of a key type as nft JSON; every IP is checked by src/shared/ip.ts before it reaches nft. */
function value(type: KeyType, v: number): string | number {
  if (!Number.isInteger(v) || v < 0 || v > MAX[type]) throw new InternalError(`invalid ${type} value ${v}`);
  if (type === 'ipv4_addr') {
    const text = ipv4Text(v);
    if (!isIp(text)) throw new InternalError(`invalid IPv4 address ${text}`);
    return text;
  }
  if (type === 'inet_proto') return PROTO_NAMES[v] ?? v;
  return v;
}

function comp(type: KeyType, c: Component, asRange = false): unknown {
  const [from, to] = typeof c === 'number' ? [c, c] : c;
  if (from > to) throw new InternalError(`empty range ${from}-${to}`);
  return from === to && !asRange ? value(type, from) : { range: [value(type, from), value(type, to)] };
}

/**
 * nft 1.0.6 sends an element of a concatenated interval set whose fields are all single values
 * without converting host-order fields (`mark`) to the big-endian order the kernel's pipapo set keeps:
 * adds happen to work, but `delete element` then fails with ENOENT (and a large batch of such
 * failures with ENOBUFS). An element with at least one range takes the right path, so the port field
 * of these sets is always written as a range (`80-80`); the kernel stores the same element.
 */
function alwaysRange(set: NamedSet, i: number): boolean {
  return set.type.length > 1 && set.flags.includes('interval') && set.type[i] === 'inet_service';
}

function elem1(set: NamedSet, e: Element, withValue: boolean): unknown {
  if (e.key.length !== set.type.length) throw new InternalError(`element of @${set.name} has ${e.key.length} fields, expected ${set.type.length}`);
  const parts = e.key.map((c, i) => comp(set.type[i]!, c, alwaysRange(set, i)));
  let key = parts.length === 1 ? parts[0] : { concat: parts };
  if (e.timeout !== undefined) key = { elem: { val: key, timeout: e.timeout } };
  if (!set.map || !withValue) return key;
  if (set.map === 'verdict') {
    if (e.goto === undefined) throw new InternalError(`verdict map element of @${set.name} without a chain`);
    return [key, { goto: { target: e.goto } }];
  }
  if (e.value === undefined) throw new InternalError(`map element of @${set.name} without a value`);
  return [key, value(set.map, e.value)];
}

const where = (t: Pick<Table, 'family' | 'name'>) => ({ family: t.family, table: t.name });

/**
 * Elements per command. nft 1.0.6 splits a long element list into several netlink messages and
 * stores the first element of every message after the first (element 1260, 2520, ... of a
 * concatenated interval set) with its `mark` fields in host order, so the kernel never matches it.
 * Commands of at most this many elements stay within one message.
 */
export const ELEMENTS_PER_COMMAND = 512;

/** `add element` / `delete element` commands for elements of one set (deletes name keys only), in chunks. */
export function renderElements(op: 'add' | 'delete', table: Pick<Table, 'family' | 'name'>, set: NamedSet, elements: readonly Element[]): NftCommand[] {
  const out: NftCommand[] = [];
  for (let i = 0; i < elements.length; i += ELEMENTS_PER_COMMAND) {
    const elem = elements.slice(i, i + ELEMENTS_PER_COMMAND).map((e) => elem1(set, e, op === 'add'));
    out.push({ [op]: { element: { ...where(table), name: set.name, elem } } });
  }
  return out;
}

/** `flush set` / `flush map`: every element of one set gone, in the transaction. */
export function renderFlush(table: Pick<Table, 'family' | 'name'>, set: NamedSet): NftCommand {
  return { flush: { [set.map ? 'map' : 'set']: { ...where(table), name: set.name } } };
}

function renderSet(t: Table, s: NamedSet): NftCommand {
  const type = s.type.length === 1 ? s.type[0] : [...s.type];
  const body = {
    ...where(t), name: s.name, type, ...(s.map ? { map: s.map } : {}), ...(s.flags.length ? { flags: [...s.flags] } : {}),
    ...(s.dynamic ? { timeout: s.dynamic.timeout, size: s.dynamic.size } : {}),
  };
  return { add: { [s.map ? 'map' : 'set']: body } };
}

function renderChain(t: Table, c: Chain): NftCommand {
  const base = c.hook ? { type: 'filter', hook: c.hook, prio: c.priority ?? 0, policy: c.policy ?? 'accept' } : {};
  return { add: { chain: { ...where(t), name: c.name, ...base } } };
}

function keyExpr(fields: readonly Field[]): unknown {
  return fields.length === 1 ? FIELD_EXPR[fields[0]!] : { concat: fields.map((f) => FIELD_EXPR[f]) };
}

function matchExpr(m: Match): unknown {
  switch (m.type) {
    case 'ct-state': return { match: { op: 'in', left: { ct: { key: 'state' } }, right: [...m.states] } };
    case 'ct-status': return { match: { op: 'in', left: { ct: { key: 'status' } }, right: m.status } };
    case 'lookup': return { match: { op: '==', left: keyExpr(m.fields), right: `@${m.set}` } };
    case 'prefix': {
      if (m.len < 0 || m.len > 32 || prefixRange(m.addr, m.len)[0] !== m.addr) throw new InternalError(`invalid prefix ${m.addr}/${m.len}`);
      return { match: { op: '==', left: FIELD_EXPR[m.field], right: { prefix: { addr: value('ipv4_addr', m.addr), len: m.len } } } };
    }
    case 'equals': return { match: { op: '==', left: FIELD_EXPR[m.field], right: value(m.field === 'meta l4proto' ? 'inet_proto' : 'mark', m.value) } };
  }
}

function statementExpr(s: Statement): unknown {
  switch (s.type) {
    case 'counter': return { counter: null };
    case 'log': {
      if (!/^[\x20-\x7e]{0,127}$/.test(s.prefix)) throw new InternalError(`invalid log prefix ${JSON.stringify(s.prefix)}`);
      const extra = { ...(s.snaplen !== undefined ? { snaplen: s.snaplen } : {}), ...(s.queueThreshold !== undefined ? { 'queue-threshold': s.queueThreshold } : {}) };
      return { log: { prefix: s.prefix, group: s.group, ...extra } };
    }
    case 'meter-over': return {
      set: { op: 'update', elem: keyExpr(s.fields), set: `@${s.set}`, stmt: [{ limit: { rate: s.rate, burst: s.burst, per: 'second', inv: true } }] },
    };
    case 'set': return mangleExpr(s);
  }
}

function mangleExpr(s: Extract<Statement, { type: 'set' }>): unknown {
  const v = typeof s.value === 'number' ? value('mark', s.value) : { map: { key: FIELD_EXPR[s.value.key], data: `@${s.value.map}` } };
  return { mangle: { key: FIELD_EXPR[s.field], value: v } };
}

function verdictExpr(v: Verdict): unknown {
  if (v.type === 'vmap') {
    if (!(v.shift >= 0 && v.shift < 32 && v.mask > 0 && v.mask <= 0xffffffff)) throw new InternalError(`invalid vmap key ${v.shift}/${v.mask}`);
    const shifted = v.shift > 0 ? { '>>': [FIELD_EXPR[v.field], v.shift] } : FIELD_EXPR[v.field];
    return { vmap: { key: { '&': [shifted, v.mask] }, data: `@${v.map}` } };
  }
  return v.type === 'jump' || v.type === 'goto' ? { [v.type]: { target: v.chain } } : { [v.type]: null };
}

function renderRule(t: Table, c: Chain, r: Rule): NftCommand {
  const expr = [...r.match.map(matchExpr), ...(r.statements ?? []).map(statementExpr), ...(r.verdict ? [verdictExpr(r.verdict)] : [])];
  return { add: { rule: { ...where(t), chain: c.name, comment: r.comment, expr } } };
}

/** Everything of a table, as adds: sets and maps, chains, rules, elements. */
export function renderTable(t: Table): NftCommand[] {
  return [
    { add: { table: { family: t.family, name: t.name } } },
    ...t.sets.map((s) => renderSet(t, s)),
    ...t.chains.map((c) => renderChain(t, c)),
    ...t.chains.flatMap((c) => c.rules.map((r) => renderRule(t, c, r))),
    ...t.sets.flatMap((s) => renderElements('add', t, s, s.elements)),
  ];
}

/**
 * A full, atomic replace: for each table `add table` (so that the delete cannot fail), `delete table`,
 * then the whole table again, all in one transaction: the kernel never runs half a ruleset.
 *
 * @example
 * await executor.apply(render(compile(engine, { node: 'node1', enforcement: 'podwall' })));
 */
export function render(rs: Ruleset): NftJson {
  const nftables: NftCommand[] = [];
  for (const t of rs.tables) {
    const id = { family: t.family, name: t.name };
    nftables.push({ add: { table: id } }, { delete: { table: id } }, ...renderTable(t));
  }
  return { nftables };
}

/** Serialise for nft: compact, stable key order (render builds objects in a fixed order). */
export function stringify(json: NftJson): string {
  return JSON.stringify(json);
}

// ---- listing → AST ------------------------------------------------------------------------------

type Raw = Record<string, unknown>;
const PROTO_BY_NAME = new Map(Object.entries(PROTO_NAMES).map(([n, name]) => [name, Number(n)]));

function parseValue(type: KeyType, v: unknown): number {
  if (type === 'ipv4_addr' && typeof v === 'string') {
    const n = ipv4Number(v);
    if (n !== null) return n;
  }
  if (type === 'inet_proto' && typeof v === 'string' && PROTO_BY_NAME.has(v)) return PROTO_BY_NAME.get(v)!;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) return Number(v);
  throw new InternalError(`cannot read ${type} value ${JSON.stringify(v)} from nft`);
}

function parseComp(type: KeyType, v: unknown): Component {
  if (v && typeof v === 'object' && 'range' in v) {
    const [a, b] = (v as { range: unknown[] }).range;
    const from = parseValue(type, a);
    const to = parseValue(type, b);
    return from === to ? from : [from, to];
  }
  if (v && typeof v === 'object' && 'prefix' in v) {
    const p = (v as { prefix: { addr: unknown; len: number } }).prefix;
    const width = WIDTH[type];
    const size = 2 ** (width - p.len);
    const from = Math.floor(parseValue(type, p.addr) / size) * size;
    const to = from + size - 1;
    return from === to ? from : [from, to];
  }
  return parseValue(type, v);
}

function parseElem(type: readonly KeyType[], map: KeyType | 'verdict' | undefined, raw: unknown): Element {
  let key = raw;
  let data: unknown;
  if (map && Array.isArray(raw)) [key, data] = raw;
  let timeout: number | undefined;
  if (key && typeof key === 'object' && 'elem' in key) {
    const e = (key as { elem: { val: unknown; timeout?: number } }).elem;
    key = e.val;
    timeout = e.timeout;
  }
  const parts = type.length > 1 ? (key as { concat: unknown[] }).concat : [key];
  return {
    key: parts.map((p, i) => parseComp(type[i]!, p)),
    ...(map === 'verdict' ? { goto: String((data as { goto?: { target?: unknown } }).goto?.target) } : map ? { value: parseValue(map, data) } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
  };
}

/**
 * Read a listing (`nft -j list table inet podwall`) back into the AST. Sets and maps come back whole;
 * rules come back as their comments only (match and verdict empty): the comment holds the rule's
 * content hash, which is all `diff` compares. null: no such table.
 */
export function parseListing(listing: unknown, name = TABLE): Ruleset | null {
  const items = ((listing as { nftables?: unknown[] } | null)?.nftables ?? []) as Raw[];
  const mine = (o: Raw) => o.family === FAMILY && (o.table ?? o.name) === name;
  if (!items.some((i) => i.table && mine(i.table as Raw))) return null;
  const sets: NamedSet[] = [];
  const chains: (Chain & { rules: Rule[] })[] = [];
  for (const item of items) {
    const s = (item.set ?? item.map) as Raw | undefined;
    if (s && mine(s)) {
      const type = (Array.isArray(s.type) ? s.type : [s.type]) as KeyType[];
      const map = s.map as KeyType | 'verdict' | undefined;
      sets.push({
        // nft lists `dynamic` for sets that rules update, but does not accept it as input: the AST leaves it out.
        name: String(s.name), type, ...(map ? { map } : {}), flags: ((s.flags as string[] | undefined) ?? []).filter((f): f is SetFlag => f !== 'dynamic'),
        elements: ((s.elem as unknown[] | undefined) ?? []).map((e) => parseElem(type, map, e)),
      });
    }
    const c = item.chain as Raw | undefined;
    if (c && mine(c)) {
      chains.push({
        name: String(c.name), rules: [],
        ...(c.hook ? { hook: c.hook as Chain['hook'], priority: Number(c.prio ?? 0), policy: (c.policy ?? 'accept') as Chain['policy'] } : {}),
      });
    }
    const r = item.rule as Raw | undefined;
    if (r && mine(r)) chains.find((x) => x.name === r.chain)?.rules.push({ match: [], verdict: null, comment: String(r.comment ?? '') });
  }
  return { tables: [{ family: FAMILY, name, sets, chains }] };
}
