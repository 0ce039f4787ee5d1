import { Command, Option } from 'commander';
import { buildEngine } from '../../engine/engine.js';
import { explainFlow } from '../../engine/explain.js';
import { suggestFix } from '../../engine/suggest.js';
import { resolveTarget } from '../../engine/target.js';
import { EXIT, ExitError, UsageError } from '../../shared/errors.js';
import { collect, loadAnswers, loadOrExit, parsePort } from '../load.js';
import { liveTraceInput } from '../live-trace.js';
import { formatTraceTxt, traceJson } from '../output/trace-txt.js';
import { useColor } from '../tty.js';
import { writeOut } from '../write.js';

function traceCommand(): Command {
  return new Command('trace')
    .description('Walk one flow through the egress side of the source and the ingress side of the destination')
    .option('-f, --filename <path>', 'manifest file, directory (recursive) or - for stdin; repeatable (none: the live lab, with the DNS proxies\' real cache)', collect)
    .requiredOption('--from <src>', 'source: NAMESPACE/POD, an IP, or "host" (the node of the destination pod)')
    .requiredOption('--to <dst>', 'destination: NAMESPACE/POD, an IP (a ClusterIP stands for its backends), a DNS name, or "host"')
    .requiredOption('--port <port>', 'destination port and protocol, e.g. 80/TCP or 53/UDP')
    .option('--dns-answers <file>', 'DNS answers for toFQDNs rules and DNS names, hosts format')
    .option('-n, --namespace <ns>', 'namespace for objects that name none', 'default')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['txt', 'json']).default('txt'))
    .addHelpText('after', `
Exit codes: 0 the flow is allowed, 3 the flow is denied, 1 invalid input, 2 usage.

Examples:
  podwall policy trace -f examples/seed --from demo/client --to demo/server --port 80/TCP
  podwall policy trace -f examples/seed --from demo/curl --to example.com --port 443/TCP --dns-answers examples/seed/world.hosts
  podwall policy trace -f cluster.yaml --from 198.18.0.10 --to default/server --port 80 -o json
  podwall policy trace --from demo/curl --to example.com --port 443/TCP     # the live lab: what its DNS proxy learned`)
    .action(async (opts: { filename?: string[]; from: string; to: string; port: string; dnsAnswers?: string; namespace: string; output: 'txt' | 'json' }) => {
      const pp = parsePort(opts.port);
      const live = opts.filename ? null : await liveTraceInput();
      const loaded = live?.loaded ?? loadOrExit(opts.filename, opts.namespace);
      const engine = live
        ? buildEngine(loaded.objects.map((o) => o.object), { answers: live.answers, lookups: (pod) => live.lookups.get(pod.id) ?? [] })
        : buildEngine(loaded.objects.map((o) => o.object), { answers: loadAnswers(opts.dnsAnswers) });
      const fromPod = engine.cluster.podById.get(opts.from);
      const toPod = engine.cluster.podById.get(opts.to);
      const src = resolveTarget(engine.cluster, opts.from, engine.answers, toPod);
      const dst = resolveTarget(engine.cluster, opts.to, engine.answers, fromPod, pp.port, pp.protocol);
      const err = src.error ?? dst.error;
      if (err) throw new UsageError(err);
      const traces = dst.endpoints.map((d) => explainFlow(engine, { src: src.endpoints[0]!.endpoint, dst: d.endpoint, port: d.port ?? pp.port, protocol: pp.protocol }));
      const fixes = traces.map((t) => suggestFix(engine, t.flow, t.decision));
      if (opts.output === 'json') {
        const body = traces.length === 1 ? traceJson(traces[0]!, fixes[0]) : { allowed: traces.every((t) => t.decision.allowed), flows: traces.map((t, i) => traceJson(t, fixes[i])) };
        await writeOut(`${JSON.stringify(body, null, 2)}\n`);
      } else {
        const color = useColor();
        await writeOut(traces.map((t, i) => `${dst.endpoints[i]?.via ? `(via ${dst.endpoints[i]!.via})\n` : ''}${formatTraceTxt(t, loaded.objects, color, fixes[i])}`).join('\n'));
      }
      if (!traces.every((t) => t.decision.allowed)) throw new ExitError(EXIT.checkFailed);
    });
}

export function policyCommand(): Command {
  return new Command('policy')
    .description('Inspect policies: trace a flow')
    .addCommand(traceCommand())
    .addHelpText('after', `
Examples:
  podwall policy trace -f examples/seed --from demo/client --to demo/server --port 80/TCP`);
}
