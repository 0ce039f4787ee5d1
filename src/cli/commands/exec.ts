import { Command } from 'commander';
import type { Pod } from '../../api/types.js';
import { execInPod, podLogs } from '../../lab/supervisor.js';
import { EXIT, ExitError, UsageError } from '../../shared/errors.js';
import { addStoreOption, withStore, type StoreFlags } from '../store-access.js';
import { writeOut } from '../write.js';

/** The seed writes `/agnhost` (its path in the agnhost image); in the lab agnhost is on PATH. */
export function agnhostArgv(argv: readonly string[]): string[] {
  return argv.length > 0 && argv[0] === '/agnhost' ? ['agnhost', ...argv.slice(1)] : [...argv];
}

async function findPod(opts: StoreFlags & { namespace: string }, name: string): Promise<Pod> {
  const pod = await withStore(opts, 'read', (store) => store.get({ kind: 'Pod', namespace: opts.namespace, name }));
  if (!pod || pod.kind !== 'Pod') throw new ExitError(EXIT.diagnostics, `Error from server (NotFound): pods "${name}" not found`);
  return pod;
}

export function execCommand(): Command {
  const cmd = new Command('exec')
    .description("Run a command in a pod's network namespace, agnhost on its PATH (kubectl exec)")
    .argument('<pod>', 'pod name')
    .argument('<command...>', 'the command, after --')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .option('-i, --stdin', 'pass stdin to the command')
    .option('-t, --tty', 'allocate a terminal (a real shell with -it)')
    .addHelpText('after', `
The exit code is the command's own (agnhost connect: 0 connected, 1 TIMEOUT/REFUSED/OTHER).

Examples:
  podwall exec client -n demo -- agnhost connect 10.244.0.2:80 --timeout=3s --protocol=tcp
  podwall exec -it client -n demo -- bash`)
    .action(async (name: string, argv: string[], opts: StoreFlags & { namespace: string; stdin?: boolean; tty?: boolean }) => {
      if (argv.length === 0) throw new UsageError('no command given: podwall exec POD -- COMMAND [ARGS...]');
      const pod = await findPod(opts, name);
      const code = await execInPod({ namespace: opts.namespace, name, ip: pod.status?.podIP }, agnhostArgv(argv), { stdin: opts.stdin === true, tty: opts.tty === true });
      if (code !== 0) throw new ExitError(code);
    });
  return addStoreOption(cmd);
}

export function logsCommand(): Command {
  const cmd = new Command('logs')
    .description("Print a pod's output (kubectl logs)")
    .argument('<pod>', 'pod name')
    .option('-n, --namespace <ns>', 'namespace', 'default')
    .addHelpText('after', `
Examples:
  podwall logs server -n demo`)
    .action(async (name: string, opts: StoreFlags & { namespace: string }) => {
      await findPod(opts, name);
      await writeOut(podLogs({ namespace: opts.namespace, name }));
    });
  return addStoreOption(cmd);
}
