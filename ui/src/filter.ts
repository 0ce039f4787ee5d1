import type { Flow, FlowEndpoint } from '../../src/flows/flow.js';

/**
 * The flow table's filter box takes `podwall observe`'s filter flags, with their meaning, so what a user types
 * here works on the command line and back: `--from-pod demo/client --verdict DROPPED`, `--not --namespace kube-system`.
 * Values of one flag are alternatives (OR); different flags must all hold (AND); `--not` negates the next flag.
 */

type Side = 'either' | 'from' | 'to';
type Test = (f: Flow) => boolean;

export interface CompiledFilter {
  match: Test;
  /** Normalised text of what is applied, for the UI's summary. */
  terms: string[];
}

export type FilterResult = { ok: true; filter: CompiledFilter } | { ok: false; error: string };

const sides = (side: Side, f: Flow): FlowEndpoint[] =>
  side === 'from' ? [f.source] : side === 'to' ? [f.destination] : [f.source, f.destination];

function podTest(value: string, side: Side, namespace: string | undefined): Test {
  // Hubble: `--pod [namespace/]name-prefix`; without a namespace, the one of -n, else any.
  const slash = value.indexOf('/');
  const ns = slash >= 0 ? value.slice(0, slash) : namespace;
  const prefix = slash >= 0 ? value.slice(slash + 1) : value;
  return (f) => sides(side, f).some((e) => e.pod !== undefined && (ns === undefined || e.namespace === ns) && e.pod.startsWith(prefix));
}

function labelTest(value: string, side: Side): Test {
  const wanted = value.split(',').map((s) => s.trim()).filter(Boolean).map((kv) => {
    const eq = kv.indexOf('=');
    return eq < 0 ? { key: kv.replace(/^k8s:/, ''), value: undefined } : { key: kv.slice(0, eq).replace(/^k8s:/, ''), value: kv.slice(eq + 1) };
  });
  return (f) => sides(side, f).some((e) => wanted.every((w) => (e.labels ?? []).some((l) => {
    const eq = l.indexOf('=');
    return l.slice(0, eq) === w.key && (w.value === undefined || l.slice(eq + 1) === w.value);
  })));
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.toLowerCase().replace(/\.$/, '').split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*');
  return new RegExp(`^${body}$`);
}

function fqdnTest(value: string, side: Side): Test {
  const re = globToRegExp(value);
  return (f) => sides(side, f).some((e) => (e.names ?? []).some((n) => re.test(n.toLowerCase().replace(/\.$/, '')))
    || (f.l7?.dns !== undefined && side !== 'from' && re.test(f.l7.dns.query.toLowerCase().replace(/\.$/, ''))));
}

function portTest(value: string, side: Side): Test | string {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) return `expected a port number, got "${value}"`;
  return (f) => sides(side, f).some((e) => e.port === n);
}

interface FlagSpec {
  names: string[];
  build(value: string, ctx: { namespace: string | undefined }): Test | string;
}

const FLAGS: FlagSpec[] = [
  { names: ['--pod'], build: (v, c) => podTest(v, 'either', c.namespace) },
  { names: ['--from-pod'], build: (v, c) => podTest(v, 'from', c.namespace) },
  { names: ['--to-pod'], build: (v, c) => podTest(v, 'to', c.namespace) },
  { names: ['-n', '--namespace'], build: (v) => (f) => f.source.namespace === v || f.destination.namespace === v },
  { names: ['--from-namespace'], build: (v) => (f) => f.source.namespace === v },
  { names: ['--to-namespace'], build: (v) => (f) => f.destination.namespace === v },
  { names: ['-l', '--label'], build: (v) => labelTest(v, 'either') },
  { names: ['--from-label'], build: (v) => labelTest(v, 'from') },
  { names: ['--to-label'], build: (v) => labelTest(v, 'to') },
  { names: ['--ip'], build: (v) => (f) => f.source.ip === v || f.destination.ip === v },
  { names: ['--from-ip'], build: (v) => (f) => f.source.ip === v },
  { names: ['--to-ip'], build: (v) => (f) => f.destination.ip === v },
  { names: ['--fqdn'], build: (v) => fqdnTest(v, 'either') },
  { names: ['--from-fqdn'], build: (v) => fqdnTest(v, 'from') },
  { names: ['--to-fqdn'], build: (v) => fqdnTest(v, 'to') },
  { names: ['--port'], build: (v) => portTest(v, 'either') },
  { names: ['--from-port'], build: (v) => portTest(v, 'from') },
  { names: ['--to-port'], build: (v) => portTest(v, 'to') },
  { names: ['--node', '--node-name'], build: (v) => (f) => f.node === v },
  {
    names: ['--verdict'], build: (v) => {
      const want = v.toUpperCase();
      return want === 'FORWARDED' || want === 'DROPPED' ? (f) => f.verdict === want : `--verdict: expected FORWARDED or DROPPED, got "${v}"`;
    },
  },
  { names: ['--protocol'], build: (v) => (f) => f.l4.protocol === v.toUpperCase() },
  {
    names: ['--traffic-direction'], build: (v) => {
      const want = v.toUpperCase();
      return want === 'INGRESS' || want === 'EGRESS' ? (f) => f.trafficDirection === want : `--traffic-direction: expected ingress or egress, got "${v}"`;
    },
  },
  {
    names: ['-t', '--type'], build: (v) => {
      const want = v.toLowerCase();
      if (want === 'l7') return (f) => f.type === 'L7';
      if (want === 'policy-verdict' || want === 'l3_l4' || want === 'drop') return (f) => f.type === 'L3_L4' && (want !== 'drop' || f.verdict === 'DROPPED');
      return `--type: expected l7, policy-verdict or drop, got "${v}"`;
    },
  },
];

const BY_NAME = new Map(FLAGS.flatMap((s) => s.names.map((n) => [n, s] as const)));

/** Split like a shell would for simple quoting: `--label "app=a b"` keeps the space. */
function tokens(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

export function compileFilter(text: string): FilterResult {
  const toks = tokens(text);
  const groups = new Map<FlagSpec, Test[]>();
  const negated: Test[] = [];
  const terms: string[] = [];
  let namespace: string | undefined;
  // -n qualifies --pod values without a namespace, wherever it stands.
  for (let i = 0; i < toks.length; i++) if (toks[i] === '-n' || toks[i] === '--namespace') namespace = toks[i + 1];
  let not = false;
  for (let i = 0; i < toks.length; i++) {
    let tok = toks[i]!;
    if (tok === '--not') { not = true; continue; }
    let value: string | undefined;
    const eq = tok.indexOf('=');
    if (tok.startsWith('--') && eq > 0) { value = tok.slice(eq + 1); tok = tok.slice(0, eq); }
    const spec = BY_NAME.get(tok);
    if (!spec) return { ok: false, error: tok.startsWith('-') ? `unknown filter flag ${tok}` : `expected a flag such as --pod, got "${tok}"` };
    value ??= toks[++i];
    if (value === undefined || value === '') return { ok: false, error: `${tok} needs a value` };
    const test = spec.build(value, { namespace });
    if (typeof test === 'string') return { ok: false, error: test };
    terms.push(`${not ? '--not ' : ''}${tok} ${value}`);
    if (not) negated.push(test);
    else groups.set(spec, [...(groups.get(spec) ?? []), test]);
    not = false;
  }
  if (not) return { ok: false, error: '--not must be followed by a filter flag' };
  const all = [...groups.values()];
  const match: Test = (f) => all.every((alts) => alts.some((t) => t(f))) && !negated.some((t) => t(f));
  return { ok: true, filter: { match, terms } };
}
