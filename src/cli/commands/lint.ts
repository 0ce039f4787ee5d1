import { Command, Option } from 'commander';
import { buildEngine } from '../../engine/engine.js';
import { lintPolicies } from '../../engine/lint.js';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../../shared/diagnostic.js';
import { EXIT, ExitError } from '../../shared/errors.js';
import { collect, loadAnswers, loadOrExit } from '../load.js';
import { paint, useColor } from '../tty.js';
import { writeOut } from '../write.js';

const FORMATS = ['txt', 'json'] as const;

function summary(ds: readonly Diagnostic[]): string {
  const n = (sev: Diagnostic['severity']) => ds.filter((d) => d.severity === sev).length;
  const parts = [[n('error'), 'error'], [n('warning'), 'warning'], [n('info'), 'note']] as const;
  const text = parts.filter(([k]) => k > 0).map(([k, w]) => `${k} ${w}${k === 1 ? '' : 's'}`).join(', ');
  return text === '' ? 'no findings' : text;
}

function formatLintTxt(ds: readonly Diagnostic[], color: boolean): string {
  const lines = ds.map((d) => paint(formatDiagnostic(d), d.severity === 'error' ? 'red' : d.severity === 'warning' ? 'yellow' : 'dim', color));
  return `${[...lines, summary(ds)].join('\n')}\n`;
}

export function lintCommand(): Command {
  return new Command('lint')
    .description('Find policy mistakes: selectors that match nothing, toFQDNs without DNS rules, shadowed rules, and more')
    .requiredOption('-f, --filename <path>', 'manifest file, directory (recursive) or - for stdin; repeatable', collect)
    .option('--dns-answers <file>', 'DNS answers for toFQDNs rules, hosts format ("198.18.0.10 example.com")')
    .option('--strict', 'exit 1 on warnings too, not only on errors')
    .option('-n, --namespace <ns>', 'namespace for objects that name none', 'default')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMATS).default('txt'))
    .addHelpText('after', `
Every finding has a stable code (PW2xxx, see src/engine/lint/README.md) and the position of the policy field
it is about. Give the pods and namespaces too: most checks compare policies with the pods they select.

Exit codes: 0 no errors (warnings allowed unless --strict), 1 invalid manifests or, with --strict, any warning,
2 usage, 4 file not readable.

Examples:
  podwall lint -f examples/seed
  podwall lint -f examples/seed-cilium --strict
  podwall lint -f cluster.yaml -f policies/ -o json
  kubectl get pods,ns,netpol,cnp -A -o yaml | podwall lint -f -`)
    .action(async (opts: { filename: string[]; dnsAnswers?: string; strict?: boolean; namespace: string; output: (typeof FORMATS)[number] }) => {
      const loaded = loadOrExit(opts.filename, opts.namespace);
      const engine = buildEngine(loaded.objects.map((o) => o.object), { answers: loadAnswers(opts.dnsAnswers) });
      const ds = lintPolicies(loaded.objects, engine);
      if (opts.output === 'json') await writeOut(`${JSON.stringify(ds, null, 2)}\n`);
      else await writeOut(formatLintTxt(ds, useColor()));
      if (hasErrors(ds)) throw new ExitError(EXIT.diagnostics);
      const warnings = ds.filter((d) => d.severity === 'warning').length;
      if (opts.strict && warnings > 0) throw new ExitError(EXIT.diagnostics, `--strict: ${warnings} warning(s)`);
    });
}
