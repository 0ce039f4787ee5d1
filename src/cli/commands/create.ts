import { Command } from 'commander';
import type { Namespace } from '../../api/types.js';
import { nameProblem } from '../../api/validate/formats.js';
import { MESSAGES } from '../../api/validate/messages.js';
import { EXIT, ExitError } from '../../shared/errors.js';
import { addStoreOption, withStore, type StoreFlags } from '../store-access.js';
import { refOf } from '../resources.js';
import { writeOut } from '../write.js';

/** `podwall create namespace NAME`: AlreadyExists (exit 1) when it exists, as kubectl create. */
export async function createNamespace(name: string, opts: StoreFlags): Promise<void> {
  const problem = nameProblem(name, 'dns1123-label');
  if (problem) {
    const why = MESSAGES.PW1201({ field: 'name', value: name, format: 'dns1123-label', problem });
    throw new ExitError(EXIT.diagnostics, `The Namespace "${name}" is invalid: metadata.name: ${why}`);
  }
  const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
  const { results } = await withStore(opts, 'write', (store) => store.applyDetailed([ns], { createOnly: true }));
  await writeOut(results.map((r) => `${refOf(r.object)} created\n`).join(''));
}

function namespaceCommand(): Command {
  const cmd = new Command('namespace')
    .alias('ns')
    .description('Create a namespace')
    .argument('<name>', 'the namespace (a DNS-1123 label)')
    .exitOverride()
    .addHelpText('after', `
Exit codes: 0 created, 1 it exists already or the name is invalid, 2 usage, 4 store not writable.

Examples:
  podwall create namespace demo
  podwall create ns demo --store /tmp/lab/store.db`)
    .action(async (name: string, opts: StoreFlags) => createNamespace(name, opts));
  return addStoreOption(cmd);
}

export function createCommand(): Command {
  return new Command('create')
    .description('Create an object in the store (kubectl create)')
    .addCommand(namespaceCommand())
    .addHelpText('after', `
Examples:
  podwall create namespace demo`);
}
