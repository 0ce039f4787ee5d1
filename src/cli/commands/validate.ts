import { Command } from 'commander';
import { collect, loadOrExit } from '../load.js';

export function validateCommand(): Command {
  return new Command('validate')
    .description('Validate manifests as the API server would; every error with file, line and column')
    .requiredOption('-f, --filename <path>', 'manifest file, directory (recursive) or - for stdin; repeatable', collect)
    .option('-n, --namespace <ns>', 'namespace for objects that name none', 'default')
    .addHelpText('after', `
Exit codes: 0 valid, 1 errors found, 2 usage, 4 file not readable.

Examples:
  podwall validate -f policies/
  cat policy.yaml | podwall validate -f -`)
    .action((opts: { filename: string[]; namespace: string }) => {
      const res = loadOrExit(opts.filename, opts.namespace);
      const kinds = new Map<string, number>();
      for (const o of res.objects) kinds.set(o.object.kind, (kinds.get(o.object.kind) ?? 0) + 1);
      const summary = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ');
      process.stdout.write(`valid: ${res.objects.length} object(s)${summary ? ` (${summary})` : ''}\n`);
    });
}
