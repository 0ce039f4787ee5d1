import { Command, Option } from 'commander';
import { labContext } from '../../lab/names.js';
import { IoError, UsageError } from '../../shared/errors.js';
import { compileFilter, FILTER_KEYS, FilterError, parseTime, type FilterKey, type FilterTerm } from '../../flows/filter.js';
import type { Flow } from '../../flows/flow.js';
import { formatFlows, OUTPUTS, type Output } from '../../flows/format/index.js';
import { tableRow } from '../../flows/format/table.js';
import { fetchFlows, flowApis, followLines } from '../../flows/relay.js';

/** Flags that become filter terms, in the order given (so `--not` applies to the next one). */
const TERM_FLAGS = new Map<string, FilterKey>([
  ...FILTER_KEYS.filter((k) => k !== 'since' && k !== 'until').map((k) => [`--${k}`, k] as [string, FilterKey]),
  ['-n', 'namespace'], ['-t', 'type'],
]);

/** The filter terms of the raw arguments after `observe`, in order, with `--not` applied to the next. */
export function termsOf(args: readonly string[]): FilterTerm[] {
  const out: FilterTerm[] = [];
  let not = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '--not') {
      not = true;
      continue;
    }
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const key = TERM_FLAGS.get(flag);
    if (!key) continue;
    const value = flag !== a ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    out.push({ key, value, ...(not ? { not: true } : {}) });
    not = false;
  }
  if (not) throw new UsageError('--not must be followed by a filter flag');
  return out;
}

interface ObserveOptions {
  last?: string;
  all?: boolean;
  follow?: boolean;
  since?: string;
  until?: string;
  namespace?: string;
  output: Output;
  printNodeName?: boolean;
  utc?: boolean;
}

function out(text: string): void {
  if (text !== '') process.stdout.write(`${text}\n`);
}

export function observeCommand(): Command {
  const cmd = new Command('observe')
    .description('Observe flows: every new connection the policy rules decided, with its verdict, the policy and rule, the reason and a fix for drops (like hubble observe)')
    .option('--last <n>', 'the last N flows (default 20 unless following or --since/--all)')
    .option('--all', 'every flow the nodes still hold')
    .option('-f, --follow', 'keep printing new flows as they arrive (Ctrl-C ends)')
    .option('--since <time>', 'flows since a time: RFC 3339, or relative like 30s, 5m, 1h')
    .option('--until <time>', 'flows until a time (same forms)')
    .option('--pod <[ns/]name>', 'flows from or to pods whose name starts with this (namespace: -n, else default; `ns/` = all of ns)')
    .option('--from-pod <[ns/]name>', 'flows from such pods')
    .option('--to-pod <[ns/]name>', 'flows to such pods')
    .option('-n, --namespace <ns>', 'flows from or to pods of this namespace')
    .option('--from-namespace <ns>', 'flows from pods of this namespace')
    .option('--to-namespace <ns>', 'flows to pods of this namespace')
    .option('--label <selector>', 'flows from or to endpoints with these labels (app=client, reserved:world)')
    .option('--from-label <selector>', 'flows from such endpoints')
    .option('--to-label <selector>', 'flows to such endpoints')
    .option('--ip <ip|cidr>', 'flows from or to this address or CIDR')
    .option('--from-ip <ip|cidr>', 'flows from it')
    .option('--to-ip <ip|cidr>', 'flows to it')
    .option('--fqdn <name>', 'flows from or to an address known under this DNS name (`*` wildcards)')
    .option('--from-fqdn <name>', 'flows from such an address')
    .option('--to-fqdn <name>', 'flows to such an address')
    .addOption(new Option('--verdict <verdict>', 'FORWARDED or DROPPED'))
    .option('--protocol <proto>', 'tcp, udp, icmp, sctp or dns')
    .option('--port <port>', 'flows from or to this port')
    .option('--from-port <port>', 'source port')
    .option('--to-port <port>', 'destination port')
    .option('-t, --type <type>', 'l7 (DNS events), drop, policy-verdict or trace')
    .option('--tcp-flags <flags>', 'TCP flags all set, e.g. syn or syn,ack')
    .option('--node-name <node>', 'flows seen by this node (a trailing * matches a prefix)')
    .option('--not', 'negate the next filter flag')
    .addOption(new Option('-o, --output <format>', 'compact, dict, json, table').choices(OUTPUTS).default('compact'))
    .option('--print-node-name', 'print the node name in compact output')
    .option('--utc', 'times in UTC (default: local time)')
    .addHelpText('after', `
Filters of the same flag are ORed, different flags ANDed; --not negates the next filter flag.
Flows come from every node's agent (127.0.0.1, ports in <state dir>/agent-<node>.json), merged by time.

Examples:
  podwall observe --last 5
  podwall observe --to-pod demo/server --verdict DROPPED
  podwall observe -n demo --not --label app=client -o json
  podwall observe -f --type drop
  podwall observe --since 2m -o table`)
    .action(async (opts: ObserveOptions, command: Command) => {
      const raw = (command.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? process.argv;
      const at = raw.indexOf('observe');
      const terms = termsOf(at >= 0 ? raw.slice(at + 1) : raw);
      await observe(opts, terms);
    });
  return cmd;
}

async function observe(opts: ObserveOptions, terms: FilterTerm[]): Promise<void> {
  const now = Date.now();
  let keep: (f: Flow) => boolean;
  let since: number | undefined;
  let until: number | undefined;
  try {
    keep = compileFilter(terms, opts.namespace);
    if (opts.since) since = parseTime('since', opts.since, now);
    if (opts.until) until = parseTime('until', opts.until, now);
  } catch (err) {
    if (err instanceof FilterError) throw new UsageError(err.message);
    throw err;
  }
  if (opts.last !== undefined && !/^\d+$/.test(opts.last)) throw new UsageError(`--last: not a count: ${opts.last}`);
  const last = opts.last !== undefined ? Number(opts.last) : opts.all || opts.follow || since !== undefined ? undefined : 20;
  const { stateDir } = labContext();
  const apis = flowApis(stateDir);
  if (apis.length === 0) throw new IoError(`no flow API found: no agent status with a port in ${stateDir} (is the lab up? podwall lab up)`);
  const fmt = { utc: opts.utc === true, nodeName: opts.printNodeName === true };
  const q = { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
  if (!opts.follow || last !== undefined || since !== undefined) {
    const { flows, errors } = await fetchFlows(apis, q);
    for (const e of errors) process.stderr.write(`warning: ${e}\n`);
    if (errors.length === apis.length) throw new IoError('no node answered');
    const matched = flows.filter(keep);
    out(formatFlows(last !== undefined ? matched.slice(Math.max(0, matched.length - last)) : matched, opts.output, fmt));
  }
  if (!opts.follow) return;
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // json without filters passes the agents' lines through unparsed: observe keeps up with the agents.
  const passThrough = (opts.output === 'json' || opts.output === 'jsonpb') && terms.length === 0;
  const errors = await followLines(apis, { ...(until !== undefined ? { until } : {}) }, (lines) => {
    if (passThrough) {
      out(lines.join('\n'));
      return;
    }
    const text: string[] = [];
    for (const l of lines) {
      const f = JSON.parse(l) as Flow;
      if (keep(f)) text.push(opts.output === 'table' ? tableRow(f, fmt).join('   ') : formatFlows([f], opts.output, fmt));
    }
    out(text.join('\n'));
  }, ac.signal);
  for (const e of errors) process.stderr.write(`warning: ${e}\n`);
}
