import { Command } from 'commander';
import { EXIT, ExitError, UsageError } from '../../shared/errors.js';
import { keyOf, sameKey, type DeleteOutcome, type ObjectKey, type Store } from '../../store/index.js';
import { collect } from '../load.js';
import { keyFor, notFoundMessage, parseResourceArgs, qualifiedPlural, qualifiedSingular, resourceOf } from '../resources.js';
import { addStoreOption, withStore, type StoreFlags } from '../store-access.js';
import { writeOut } from '../write.js';
import { loadForWrite } from './apply.js';

export interface DeleteHooks {
  /**
   * Runs after the store committed, with every object removed: the named ones and, for a namespace,
   * everything in it. The lab tears down the network namespaces of the Pods among `outcome.deleted`.
   */
  afterDelete?: (outcome: DeleteOutcome, store: Store) => void | Promise<void>;
}

export interface DeleteOptions extends StoreFlags {
  filename?: string[];
  namespace: string;
  ignoreNotFound?: boolean;
}

interface Target {
  key: ObjectKey;
  /** The file the object came from (`-f`), for kubectl's `error when deleting "FILE"`. */
  file?: string;
}

function targets(args: string[], opts: DeleteOptions): Target[] {
  if (opts.filename && opts.filename.length > 0) {
    if (args.length > 0) throw new UsageError('give either -f or TYPE NAME, not both');
    return loadForWrite(opts.filename, opts.namespace, 'deleted').map((l) => ({ key: keyOf(l.object), file: l.doc.file }));
  }
  const groups = parseResourceArgs(args);
  if (groups.length === 0) throw new UsageError('you must provide one or more resources by argument or filename (-f)');
  if (groups.some((g) => g.names.length === 0)) throw new UsageError('resource(s) were provided, but no name was specified');
  return groups.flatMap((g) => g.names.map((name) => ({ key: keyFor(g.resource, name, opts.namespace) })));
}

function missingMessage(t: Target): string {
  if (!t.file) return notFoundMessage(t.key);
  return `Error from server (NotFound): error when deleting "${t.file}": ${qualifiedPlural(resourceOf(t.key.kind))} "${t.key.name}" not found`;
}

/** `podwall delete`: one transaction; a namespace takes its contents along. Exit 1 if something named did not exist. */
export async function deleteObjects(args: string[], opts: DeleteOptions, hooks: DeleteHooks = {}): Promise<void> {
  const wanted = targets(args, opts);
  const outcome = await withStore(opts, 'write', async (store) => {
    const out = store.deleteDetailed(wanted.map((t) => t.key));
    const lines = wanted
      .filter((t) => out.deleted.some((o) => sameKey(keyOf(o), t.key)))
      .map((t) => `${qualifiedSingular(resourceOf(t.key.kind))} "${t.key.name}" deleted\n`);
    await writeOut(lines.join(''));
    await hooks.afterDelete?.(out, store);
    return out;
  });
  const missing = opts.ignoreNotFound ? [] : wanted.filter((t) => outcome.missing.some((k) => sameKey(k, t.key)));
  if (missing.length > 0) throw new ExitError(EXIT.diagnostics, missing.map(missingMessage).join('\n'));
}

export function deleteCommand(hooks: DeleteHooks = {}): Command {
  const cmd = new Command('delete')
    .description('Delete objects from the store by file or by TYPE NAME, as kubectl delete does')
    .argument('[resource...]', 'TYPE NAME... or TYPE/NAME... (pod, netpol, cnp, ccnp, namespace, ...)')
    .option('-f, --filename <path>', 'delete the objects these manifests name; repeatable', collect)
    .option('-n, --namespace <ns>', 'namespace of namespaced kinds', 'default')
    .option('--ignore-not-found', 'treat objects that do not exist as deleted')
    .addHelpText('after', `
Deleting a namespace deletes everything in it; default and kube-system cannot be deleted. Objects that exist
are deleted even when others named do not; those are reported as NotFound with exit 1.

Exit codes: 0 deleted, 1 NotFound or invalid input, 2 usage, 4 file or store not readable.

Examples:
  podwall delete pod client -n demo
  podwall delete netpol demo-policy -n demo
  podwall delete cnp/allow-egress ccnp/cluster-dns
  podwall delete namespace demo
  podwall delete -f examples/seed/calico-demo/demo-policy.yaml`)
    .action(async (args: string[], opts: DeleteOptions) => deleteObjects(args, opts, hooks));
  return addStoreOption(cmd);
}
