import { Command, Option } from 'commander';
import { buildEngine, type Engine } from '../../engine/engine.js';
import { podEndpoint } from '../../engine/endpoint.js';
import { flowText } from '../../engine/evaluate.js';
import { buildMatrix, type Matrix } from '../../engine/matrix.js';
import { decisionSentence } from '../../engine/reason.js';
import { suggestFix } from '../../engine/suggest.js';
import { defaultPorts } from '../../engine/ports.js';
import { collect, loadAnswers, loadOrExit, parsePortList } from '../load.js';
import { formatCsv, formatDot, formatJson, formatMd, formatTxt } from '../output/matrix-formats.js';
import type { MatrixReport } from '../output/matrix-report.js';
import { progress, useColor } from '../tty.js';
import { writeOut } from '../write.js';

const FORMATS = ['txt', 'json', 'md', 'csv', 'dot'] as const;
/** Above this many pods the txt output shows the matrix only, not every denied pair. */
const DENIED_LIST_MAX_PODS = 40;

function deniedPairs(engine: Engine, matrices: Matrix[]): NonNullable<MatrixReport['denied']> {
  const pods = engine.cluster.pods;
  const out: NonNullable<MatrixReport['denied']> = [];
  for (const m of matrices) {
    for (let i = 0; i < pods.length; i++) {
      for (let j = 0; j < pods.length; j++) {
        if (m.allowed(i, j)) continue;
        const flow = { src: podEndpoint(pods[i]!), dst: podEndpoint(pods[j]!), port: m.port, protocol: m.protocol };
        const d = engine.evaluate(flow);
        const fix = suggestFix(engine, flow, d);
        out.push({ flow: flowText(flow), explanation: decisionSentence(d), ...(fix ? { fix: `${fix.command}   # would match ${fix.matches}` } : {}) });
      }
    }
  }
  return out;
}

export function analyzeCommand(): Command {
  return new Command('analyze')
    .description('Connectivity matrix between all pods, for the given ports')
    .requiredOption('-f, --filename <path>', 'manifest file, directory (recursive) or - for stdin; repeatable', collect)
    .option('--ports <list>', 'ports to probe, e.g. 80/TCP,81/UDP (default: every port a pod declares or a policy names)')
    .option('--dns-answers <file>', 'DNS answers for toFQDNs rules, hosts format ("198.18.0.10 example.com")')
    .option('-n, --namespace <ns>', 'namespace for objects that name none', 'default')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('txt'))
    .addHelpText('after', `
Examples:
  podwall analyze -f examples/seed
  podwall analyze -f cluster.yaml -f policies/ --ports 80/TCP,53/UDP -o json
  kubectl get pods,netpol -A -o yaml | podwall analyze -f - -o md
  podwall analyze -f examples/seed -o dot | dot -Tsvg > matrix.svg`)
    .action(async (opts: { filename: string[]; ports?: string; dnsAnswers?: string; namespace: string; output: (typeof FORMATS)[number] }) => {
      const loaded = loadOrExit(opts.filename, opts.namespace);
      const engine = buildEngine(loaded.objects.map((o) => o.object), { answers: loadAnswers(opts.dnsAnswers) });
      const ports = opts.ports ? parsePortList(opts.ports) : defaultPorts(engine.cluster, engine.policies);
      const bar = engine.cluster.pods.length > 500 ? progress('analyze') : undefined;
      const matrices = ports.map((pp) => {
        bar?.step(`${pp.port}/${pp.protocol}`);
        return buildMatrix(engine, pp);
      });
      bar?.done();
      const report: MatrixReport = {
        pods: engine.cluster.pods.map((p) => ({ id: p.id, namespace: p.namespace, name: p.name, ip: p.ips[0] ?? '' })),
        matrices,
        denied: engine.cluster.pods.length <= DENIED_LIST_MAX_PODS ? deniedPairs(engine, matrices) : undefined,
      };
      switch (opts.output) {
        case 'txt': return writeOut(formatTxt(report, useColor()));
        case 'md': return writeOut(formatMd(report));
        case 'csv': return writeOut(formatCsv(report));
        case 'dot': return writeOut(formatDot(report));
        case 'json': return writeOut(formatJson(report));
      }
    });
}
