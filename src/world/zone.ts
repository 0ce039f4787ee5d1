import { readFileSync } from 'node:fs';
import { parseManifestText, type ManifestDoc, type Path } from '../api/source.js';
import type { Diagnostic } from '../shared/diagnostic.js';
import { cidrContainsIp, parseCidr, parseIp } from '../shared/ip.js';

/**
 * The simulated internet's zone (lab/world.yaml, docs/lab.md "The simulated internet and cluster DNS"):
 * names with A / AAAA records, CNAMEs, per-name TTLs and addresses that rotate with the clock. Parsing is
 * pure; every error names file, line and column, and a zone with any error is not used at all.
 */

export const WORLD_V4 = '198.18.0.0/15';
/** AAAA records come from the IPv6 benchmarking range (RFC 5180), the v6 sibling of 198.18.0.0/15. */
export const WORLD_V6 = '2001:2::/48';
export const DEFAULT_TTL = 300;
const MAX_TTL = 86_400;
const MAX_CHAIN = 8;

export interface ZoneName {
  name: string;
  ttl: number;
  a: string[];
  aaaa: string[];
  cname?: string;
  /** The A record changes with the clock: `a[floor(now / seconds) % a.length]`. */
  rotate?: { seconds: number; a: string[] };
}

export interface Zone {
  file: string;
  names: Map<string, ZoneName>;
}

/** A DNS name as the zone keeps it: lower case, no trailing dot. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

const LABEL_RE = /^[a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?$/;

export function isDnsName(name: string): boolean {
  const n = canonicalName(name);
  return n.length > 0 && n.length <= 253 && n.split('.').every((l) => LABEL_RE.test(l));
}

type Report = (path: Path, code: string, message: string) => void;

const NAME_KEYS = new Set(['a', 'aaaa', 'cname', 'ttl', 'rotate']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ttlOf(v: unknown, path: Path, report: Report): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_TTL) {
    report(path, 'PW1503', `expected a TTL in seconds, an integer 0 … ${MAX_TTL}`);
    return undefined;
  }
  return v;
}

function addresses(v: unknown, family: 4 | 6, path: Path, report: Report): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length === 0) {
    report(path, 'PW1502', `expected a non-empty list of IPv${family} addresses`);
    return [];
  }
  const range = parseCidr(family === 4 ? WORLD_V4 : WORLD_V6)!;
  const out: string[] = [];
  v.forEach((item, i) => {
    const ip = typeof item === 'string' ? parseIp(item) : null;
    if (!ip || ip.family !== family) report([...path, i], 'PW1502', `expected an IPv${family} address, got ${JSON.stringify(item)}`);
    else if (!cidrContainsIp(range, item as string)) report([...path, i], 'PW1504', `${String(item)} is outside the simulated internet (${family === 4 ? WORLD_V4 : WORLD_V6})`);
    else if (out.includes(item as string)) report([...path, i], 'PW1505', `duplicate address ${String(item)}`);
    else out.push(item as string);
  });
  return out;
}

function rotateOf(v: unknown, path: Path, report: Report): ZoneName['rotate'] {
  if (v === undefined) return undefined;
  if (!isObject(v)) {
    report(path, 'PW1501', 'expected a mapping {seconds, a}');
    return undefined;
  }
  for (const k of Object.keys(v)) if (k !== 'seconds' && k !== 'a') report([...path, k], 'PW1501', `unknown field "${k}" (expected seconds, a)`);
  const seconds = v.seconds;
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) {
    report([...path, 'seconds'], 'PW1503', 'expected how often the address changes, in whole seconds >= 1');
  }
  const a = addresses(v.a, 4, [...path, 'a'], report);
  if (v.a !== undefined && a.length < 2 && Array.isArray(v.a) && v.a.length < 2) report([...path, 'a'], 'PW1502', 'a rotating name needs at least two addresses');
  return typeof seconds === 'number' ? { seconds, a } : undefined;
}

function nameEntry(name: string, v: unknown, defaultTtl: number, report: Report): ZoneName | undefined {
  const path: Path = ['names', name];
  if (!isDnsName(name)) report(path, 'PW1506', `"${name}" is not a DNS name`);
  if (!isObject(v)) {
    report(path, 'PW1501', 'expected a mapping of records (a, aaaa, cname, ttl, rotate)');
    return undefined;
  }
  for (const k of Object.keys(v)) if (!NAME_KEYS.has(k)) report([...path, k], 'PW1501', `unknown field "${k}" (expected a, aaaa, cname, ttl, rotate)`);
  const entry: ZoneName = {
    name: canonicalName(name),
    ttl: ttlOf(v.ttl, [...path, 'ttl'], report) ?? defaultTtl,
    a: addresses(v.a, 4, [...path, 'a'], report),
    aaaa: addresses(v.aaaa, 6, [...path, 'aaaa'], report),
  };
  const rotate = rotateOf(v.rotate, [...path, 'rotate'], report);
  if (rotate) entry.rotate = rotate;
  if (v.cname !== undefined) {
    if (typeof v.cname !== 'string' || !isDnsName(v.cname)) report([...path, 'cname'], 'PW1506', `expected a DNS name, got ${JSON.stringify(v.cname)}`);
    else entry.cname = canonicalName(v.cname);
    if (v.a !== undefined || v.aaaa !== undefined || v.rotate !== undefined) report([...path, 'cname'], 'PW1507', 'a CNAME cannot have other records (RFC 1034 3.6.2)');
  }
  if (v.a !== undefined && v.rotate !== undefined) report([...path, 'rotate'], 'PW1507', 'give either a or rotate, not both');
  if (v.cname === undefined && v.a === undefined && v.aaaa === undefined && v.rotate === undefined) report(path, 'PW1508', 'a name needs at least one of a, aaaa, cname, rotate');
  return entry;
}

function checkChains(names: Map<string, ZoneName>, report: Report): void {
  for (const start of names.values()) {
    const seen = [start.name];
    let cur = start;
    while (cur.cname !== undefined) {
      if (seen.includes(cur.cname)) {
        report(['names', start.name, 'cname'], 'PW1509', `CNAME loop: ${[...seen, cur.cname].join(' -> ')}`);
        break;
      }
      if (seen.length > MAX_CHAIN) {
        report(['names', start.name, 'cname'], 'PW1509', `CNAME chain longer than ${MAX_CHAIN}`);
        break;
      }
      seen.push(cur.cname);
      const next = names.get(cur.cname);
      if (!next) break;
      cur = next;
    }
  }
}

/** Parse zone text. The zone is returned only when there is no error. */
export function parseZone(text: string, file: string): { zone?: Zone; diagnostics: Diagnostic[] } {
  const parsed = parseManifestText(text, file);
  const diagnostics = [...parsed.diagnostics];
  if (diagnostics.length) return { diagnostics };
  const doc: ManifestDoc | undefined = parsed.docs[0];
  const report = (d: ManifestDoc | undefined): Report => (path, code, message) => {
    diagnostics.push({ code, severity: 'error', message, path, ...(d ? { source: d.pos(path) } : {}) });
  };
  if (!doc || parsed.docs.length !== 1 || !isObject(doc.value)) {
    report(doc)([], 'PW1501', 'expected one YAML document: a mapping with `names` (and optionally `ttl`)');
    return { diagnostics };
  }
  const r = report(doc);
  const top = doc.value;
  for (const k of Object.keys(top)) if (k !== 'ttl' && k !== 'names') r([k], 'PW1501', `unknown field "${k}" (expected ttl, names)`);
  const defaultTtl = ttlOf(top.ttl, ['ttl'], r) ?? DEFAULT_TTL;
  const names = new Map<string, ZoneName>();
  if (!isObject(top.names) || Object.keys(top.names).length === 0) r(['names'], 'PW1501', 'expected a mapping of DNS names to their records');
  else {
    for (const [name, v] of Object.entries(top.names)) {
      const e = nameEntry(name, v, defaultTtl, r);
      if (!e) continue;
      if (names.has(e.name)) r(['names', name], 'PW1505', `"${name}" is given twice (names are case-insensitive)`);
      names.set(e.name, e);
    }
    checkChains(names, r);
  }
  return diagnostics.length ? { diagnostics } : { zone: { file, names }, diagnostics };
}

/** Read and parse a zone file; throws with the formatted diagnostics when it has errors. */
export function loadZone(file: string): { zone?: Zone; diagnostics: Diagnostic[] } {
  return parseZone(readFileSync(file, 'utf8'), file);
}

/** The A addresses a name has at `nowMs` (a rotating name has one, chosen by the clock). */
export function addressesAt(entry: ZoneName, nowMs: number): string[] {
  if (!entry.rotate) return entry.a;
  const { seconds, a } = entry.rotate;
  return [a[Math.floor(nowMs / 1000 / seconds) % a.length]!];
}

/** Every IPv4 address the zone can ever answer (the world's `lo` holds them all, the web servers answer on them). */
export function zoneAddresses(zone: Zone): string[] {
  const ips = new Set<string>();
  for (const e of zone.names.values()) for (const ip of [...e.a, ...(e.rotate?.a ?? [])]) ips.add(ip);
  return [...ips];
}

export type RecordType = 'A' | 'AAAA' | 'CNAME';
export interface ZoneRecord {
  name: string;
  type: RecordType;
  ttl: number;
  data: string;
}

/**
 * Pure: the authoritative answer for `qname`/`qtype`. CNAMEs are followed inside the zone and every link of
 * the chain is in the answer, before the final name's records (RFC 1034 4.3.2). A name the zone does not
 * hold is NXDOMAIN; a name that exists without records of the type is NOERROR with no answer (NODATA).
 */
export function lookup(zone: Zone, qname: string, qtype: string, nowMs: number): { rcode: 'NOERROR' | 'NXDOMAIN'; answers: ZoneRecord[] } {
  let entry = zone.names.get(canonicalName(qname));
  if (!entry) return { rcode: 'NXDOMAIN', answers: [] };
  const answers: ZoneRecord[] = [];
  // The owner of each record is the name as asked at the first step (case preserved, RFC 4343), then the targets.
  let owner = qname.replace(/\.$/, '');
  for (let hops = 0; entry.cname !== undefined && qtype !== 'CNAME' && hops <= MAX_CHAIN; hops++) {
    answers.push({ name: owner, type: 'CNAME', ttl: entry.ttl, data: entry.cname });
    owner = entry.cname;
    const next = zone.names.get(entry.cname);
    if (!next) return { rcode: 'NOERROR', answers };
    entry = next;
  }
  if (qtype === 'CNAME' && entry.cname) answers.push({ name: owner, type: 'CNAME', ttl: entry.ttl, data: entry.cname });
  if (qtype === 'A' || qtype === 'ANY') for (const ip of addressesAt(entry, nowMs)) answers.push({ name: owner, type: 'A', ttl: entry.ttl, data: ip });
  if (qtype === 'AAAA' || qtype === 'ANY') for (const ip of entry.aaaa) answers.push({ name: owner, type: 'AAAA', ttl: entry.ttl, data: ip });
  return { rcode: 'NOERROR', answers };
}
