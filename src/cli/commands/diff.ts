import { Command, Option } from 'commander';
import { diffPorts, diffVerdicts } from '../../engine/diff.js';
import { buildEngine } from '../../engine/engine.js';
import { UsageError } from '../../shared/errors.js';
import { collect, loadAnswers, loadOrExit, parsePortList } from '../load.js';
import { formatDiffCsv, formatDiffJson, formatDiffMd, formatDiffTxt } from '../output/diff-formats.js';
import { useColor } from '../tty.js';
import { writeOut } from '../write.js';

const FORMATS = ['txt', 'json', 'md', 'csv'] as const;

interface DiffOptions {
  filename?: string[];
  old?: string[];
  new?: string[];
  ports?: string;
  dnsAnswers?: string;
  namespace: string;
  output: (typeof FORMATS)[number];
}

/** `-f OLD -f NEW`, or `--old PATH --new PATH` (each repeatable), never both. */
function sides(opts: DiffOptions): [string[], string[]] {
  const f = opts.filename ?? [];
  if (f.length > 0) {
    if (opts.old || opts.new) throw new UsageError('give either -f OLD -f NEW or --old/--new, not both');
    if (f.length !== 2) throw new UsageError(`diff needs exactly two -f arguments (old, then new), got ${f.length}; use --old/--new for several paths per side`);
    return [[f[0]!], [f[1]!]];
  }
  if (!opts.old || !opts.new) throw new UsageError('give the two policy sets: -f OLD -f NEW, or --old PATH --new PATH');
  return [opts.old, opts.new];
}

function checkSides([oldPaths, newPaths]: [string[], string[]]): [string[], string[]] {
  if (oldPaths.includes('-') && newPaths.includes('-')) throw new UsageError('only one side can be read from stdin (-)');
  return [oldPaths, newPaths];
}

export function diffCommand(): Command {
  return new Command('diff')
    .description('Which pod pairs and ports change verdict between two sets of manifests (pods, namespaces, policies)')
    .option('-f, --filename <path>', 'twice: the old input, then the new one (file, directory or -)', collect)
    .option('--old <path>', 'the old input (file or directory); repeatable', collect)
    .option('--new <path>', 'the new input (file or directory); repeatable', collect)
    .option('--ports <list>', 'ports to compare, e.g. 80/TCP,53/UDP (default: every port a pod declares or a policy names, on either side)')
    .option('--dns-answers <file>', 'DNS answers for toFQDNs rules, hosts format; used for both sides')
    .option('-n, --namespace <ns>', 'namespace for objects that name none', 'default')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('txt'))
    .addHelpText('after', `
Each side is loaded on its own, so give each one its pods and namespaces too. Only pods present on both
sides (by namespace/name) are compared; pods on one side only are listed as added or removed.

Exit codes: 0 whether or not verdicts changed, 1 invalid manifests, 2 usage, 4 file not readable.

Examples:
  podwall diff -f examples/seed -f examples/seed-labelled
  podwall diff --old cluster/ --old policies-v1/ --new cluster/ --new policies-v2/ --ports 80/TCP,443/TCP
  podwall diff -f before.yaml -f after.yaml -o md > verdict-changes.md`)
    .action(async (opts: DiffOptions) => {
      const [oldPaths, newPaths] = checkSides(sides(opts));
      const ports = opts.ports ? parsePortList(opts.ports) : undefined;
      const answers = loadAnswers(opts.dnsAnswers);
      const oldEngine = buildEngine(loadOrExit(oldPaths, opts.namespace).objects.map((o) => o.object), { answers });
      const newEngine = buildEngine(loadOrExit(newPaths, opts.namespace).objects.map((o) => o.object), { answers });
      const diff = diffVerdicts(oldEngine, newEngine, ports ?? diffPorts(oldEngine, newEngine));
      switch (opts.output) {
        case 'txt': return writeOut(formatDiffTxt(diff, useColor()));
        case 'json': return writeOut(formatDiffJson(diff));
        case 'md': return writeOut(formatDiffMd(diff));
        case 'csv': return writeOut(formatDiffCsv(diff));
      }
    });
}
