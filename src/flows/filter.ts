/**
 * Flow filters with `hubble observe`'s flags and meanings, shared by `podwall observe`, the relay and
 * the web UI (pure, no Node modules). A filter is a list of terms (flag, value, negated):
 *  - terms of the same flag are ORed (`--pod a --pod b`), different flags ANDed (`--pod a --verdict DROPPED`);
 *  - `--not` negates the next term: a flow matching any negated term is left out (Hubble's denylist);
 *  - `--pod`, `--ip`, `--label`, `--fqdn`, `-n`, `--port` match either end; `--from-*`/`--to-*` one end.
 * Values as Hubble reads them: pods `[namespace/]name-prefix` (namespace from `-n`, else `default`; `ns/`
 * alone is the whole namespace), IPs exact or CIDR, labels in selector syntax (`k8s:` prefixes ignored,
 * `reserved:world`/`reserved:host` for non-pods), FQDNs with `*` wildcards, verdict FORWARDED|DROPPED,
 * protocol tcp|udp|icmp|sctp|dns, type l7|drop|policy-verdict|trace|l3_l4.
 */
import type { Labels } from '../api/types.js';
import { compileSelector } from '../engine/selector.js';
import { parseSelectorArg } from '../cli/label-selector.js';
import { cidrContainsIp, parseCidr } from '../shared/ip.js';
import type { Flow, FlowEndpoint } from './flow.js';

export const FILTER_KEYS = [
  'pod', 'from-pod', 'to-pod', 'namespace', 'from-namespace', 'to-namespace', 'label', 'from-label', 'to-label',
  'ip', 'from-ip', 'to-ip', 'fqdn', 'from-fqdn', 'to-fqdn', 'verdict', 'protocol', 'port', 'from-port', 'to-port',
  'type', 'node-name', 'tcp-flags', 'since', 'until',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export interface FilterTerm {
  key: FilterKey;
  value: string;
  not?: boolean;
}

/** A value a flag cannot take; the CLI turns it into a usage error, the UI into a field message. */
export class FilterError extends Error {
  constructor(readonly key: FilterKey, message: string) {
    super(`--${key}: ${message}`);
  }
}

type Pred = (f: Flow) => boolean;
type EndPred = (e: FlowEndpoint) => boolean;

const either = (p: EndPred): Pred => (f) => p(f.source) || p(f.destination);
const from = (p: EndPred): Pred => (f) => p(f.source);
const to = (p: EndPred): Pred => (f) => p(f.destination);

function podPred(value: string, namespace: string | undefined): EndPred {
  const slash = value.indexOf('/');
  const ns = slash >= 0 ? value.slice(0, slash) : (namespace ?? 'default');
  const prefix = slash >= 0 ? value.slice(slash + 1) : value;
  return (e) => e.kind === 'pod' && e.namespace === ns && (e.pod ?? '').startsWith(prefix);
}

/** Labels as Hubble shows them: the pod's, its namespace, and reserved identities for non-pods. */
export function endpointLabels(e: FlowEndpoint): Labels {
  const out: Labels = {};
  for (const l of e.labels ?? []) {
    const i = l.indexOf('=');
    if (i < 0) out[l] = '';
    else out[l.slice(0, i)] = l.slice(i + 1);
  }
  if (e.namespace) out['io.kubernetes.pod.namespace'] = e.namespace;
  if (e.kind === 'world') out['reserved:world'] = '';
  if (e.kind === 'host') out['reserved:host'] = '';
  if (e.kind === 'unknown') out['reserved:unknown'] = '';
  return out;
}

function labelPred(key: FilterKey, value: string): EndPred {
  let sel;
  try {
    sel = compileSelector(parseSelectorArg(value), (k) => k.replace(/^(k8s|any|container):/, ''));
  } catch (err) {
    throw new FilterError(key, (err as Error).message);
  }
  return (e) => sel.matches(endpointLabels(e));
}

function ipPred(key: FilterKey, value: string): EndPred {
  const cidr = parseCidr(value.includes('/') ? value : `${value}/${value.includes(':') ? 128 : 32}`);
  if (!cidr) throw new FilterError(key, `not an IP address or CIDR: ${value}`);
  return (e) => cidrContainsIp(cidr, e.ip);
}

function fqdnPred(key: FilterKey, value: string): EndPred {
  if (!/^[-a-zA-Z0-9_.*]+$/.test(value)) throw new FilterError(key, `not a DNS name pattern: ${value}`);
  const body = value.toLowerCase().replace(/\.$/, '').split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[-a-z0-9_.]*');
  const re = new RegExp(`^${body}$`);
  return (e) => (e.names ?? []).some((n) => re.test(n.toLowerCase().replace(/\.$/, '')));
}

function portPred(key: FilterKey, value: string): EndPred {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new FilterError(key, `not a port: ${value}`);
  const n = Number(value);
  return (e) => e.port === n;
}

function pred(t: FilterTerm, namespace: string | undefined): Pred {
  const v = t.value;
  switch (t.key) {
    case 'pod': return either(podPred(v, namespace));
    case 'from-pod': return from(podPred(v, namespace));
    case 'to-pod': return to(podPred(v, namespace));
    case 'namespace': return either((e) => e.namespace === v);
    case 'from-namespace': return from((e) => e.namespace === v);
    case 'to-namespace': return to((e) => e.namespace === v);
    case 'label': return either(labelPred(t.key, v));
    case 'from-label': return from(labelPred(t.key, v));
    case 'to-label': return to(labelPred(t.key, v));
    case 'ip': return either(ipPred(t.key, v));
    case 'from-ip': return from(ipPred(t.key, v));
    case 'to-ip': return to(ipPred(t.key, v));
    case 'fqdn': return either(fqdnPred(t.key, v));
    case 'from-fqdn': return from(fqdnPred(t.key, v));
    case 'to-fqdn': return to(fqdnPred(t.key, v));
    case 'port': return either(portPred(t.key, v));
    case 'from-port': return from(portPred(t.key, v));
    case 'to-port': return to(portPred(t.key, v));
    case 'verdict': {
      const up = v.toUpperCase();
      if (up !== 'FORWARDED' && up !== 'DROPPED') throw new FilterError(t.key, `expected FORWARDED or DROPPED, got ${v}`);
      return (f) => f.verdict === up;
    }
    case 'protocol': {
      const p = v.toLowerCase();
      if (p === 'dns') return (f) => f.l7?.dns !== undefined;
      if (!['tcp', 'udp', 'icmp', 'sctp'].includes(p)) throw new FilterError(t.key, `expected tcp, udp, icmp, sctp or dns, got ${v}`);
      return (f) => f.l4.protocol.toLowerCase() === p;
    }
    case 'type': {
      const ty = v.toLowerCase();
      if (ty === 'l7') return (f) => f.type === 'L7';
      if (ty === 'drop') return (f) => f.verdict === 'DROPPED';
      if (ty === 'policy-verdict' || ty === 'l3_l4') return (f) => f.type === 'L3_L4';
      if (ty === 'trace') return (f) => f.type === 'L3_L4' && f.verdict === 'FORWARDED';
      throw new FilterError(t.key, `expected l7, drop, policy-verdict or trace, got ${v}`);
    }
    case 'node-name': return (f) => f.node === v || (v.endsWith('*') && f.node.startsWith(v.slice(0, -1)));
    case 'tcp-flags': {
      const want = v.toUpperCase().split(',').filter((x) => x !== '');
      return (f) => want.every((w) => f.l4.tcpFlags?.includes(w) ?? false);
    }
    case 'since':
    case 'until': {
      const ms = parseTime(t.key, v, Date.now());
      return t.key === 'since' ? (f) => Date.parse(f.time) >= ms : (f) => Date.parse(f.time) <= ms;
    }
  }
}

/** `--since`/`--until` values: RFC 3339 / ISO 8601, or relative like `3s`, `4m`, `1h30m` (before `now`). */
export function parseTime(key: FilterKey, v: string, now: number): number {
  const rel = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(v);
  if (rel && v !== '') {
    const [, h, m, s, ms] = rel;
    return now - (Number(h ?? 0) * 3600_000 + Number(m ?? 0) * 60_000 + Number(s ?? 0) * 1000 + Number(ms ?? 0));
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new FilterError(key, `not a time (RFC 3339, or relative like 30s, 5m, 1h): ${v}`);
  return t;
}

/**
 * Compile terms into one predicate; throws FilterError on a bad value. `namespace` is `-n`, the default
 * namespace of `--pod` values without one.
 *
 * @example
 * const keep = compileFilter([{ key: 'to-pod', value: 'demo/server' }, { key: 'verdict', value: 'DROPPED' }]);
 * flows.filter(keep)
 */
export function compileFilter(terms: readonly FilterTerm[], namespace?: string): (f: Flow) => boolean {
  const allow = new Map<FilterKey, Pred[]>();
  const deny: Pred[] = [];
  for (const t of terms) {
    const p = pred(t, namespace);
    if (t.not) deny.push(p);
    else allow.set(t.key, [...(allow.get(t.key) ?? []), p]);
  }
  const groups = [...allow.values()];
  return (f) => groups.every((g) => g.some((p) => p(f))) && !deny.some((p) => p(f));
}

/** One-off form of compileFilter. */
export function matchFlow(flow: Flow, terms: readonly FilterTerm[], namespace?: string): boolean {
  return compileFilter(terms, namespace)(flow);
}
