import { Command } from 'commander';
import type { LoadedObject } from '../../api/load.js';
import type { ManifestDoc } from '../../api/source.js';
import type { ApiObject } from '../../api/types.js';
import { buildEngine } from '../../engine/engine.js';
import { lintPolicies } from '../../engine/lint.js';
import { formatDiagnostic, type Diagnostic } from '../../shared/diagnostic.js';
import { placePods } from '../../lab/schedule.js';
import { EXIT, ExitError } from '../../shared/errors.js';
import { keyOf, sameKey, type ApplyOutcome, type Store } from '../../store/index.js';
import { collect, loadOrExit } from '../load.js';
import { refOf } from '../resources.js';
import { addStoreOption, withStore, type StoreFlags } from '../store-access.js';
import { paint, useColor } from '../tty.js';
import { writeOut } from '../write.js';

export interface ApplyHooks {
  /** Runs after the store committed (the lab starts the pods it created here). */
  afterApply?: (outcome: ApplyOutcome, store: Store) => void | Promise<void>;
}

/** Load `-f` input; any error stops everything before the store is opened. */
export function loadForWrite(paths: string[] | undefined, namespace: string, verb: string): LoadedObject[] {
  try {
    return loadOrExit(paths, namespace).objects;
  } catch (err) {
    if (err instanceof ExitError && err.code === EXIT.diagnostics) throw new ExitError(err.code, err.message.replace('nothing was analysed', `nothing was ${verb}`));
    throw err;
  }
}

/** A stand-in document for a policy that was stored before this apply: diagnostics name the object, not a file. */
function storedDoc(o: ApiObject): ManifestDoc {
  const file = `${refOf(o)}${o.metadata.namespace ? ` -n ${o.metadata.namespace}` : ''} (stored)`;
  return { file, doc: 0, value: o, basePath: [], pos: () => ({ file, doc: 0, line: 0, col: 0 }) };
}

/**
 * Lint the whole desired state (every stored policy against every stored pod), positioned in this
 * apply's files where the policy came from them. Warnings only; they never change the exit code.
 */
export function lintDesiredState(objects: readonly ApiObject[], applied: readonly LoadedObject[]): Diagnostic[] {
  const engine = buildEngine(objects);
  const targets = objects.map((o): LoadedObject => applied.find((a) => sameKey(keyOf(a.object), keyOf(o))) ?? { object: o, doc: storedDoc(o) });
  return lintPolicies(targets, engine).filter((d) => d.severity === 'warning');
}

function printWarnings(ds: readonly Diagnostic[]): void {
  const color = useColor(process.stderr);
  for (const d of ds) {
    const line = d.source && d.source.line === 0 ? `${d.source.file}: ${formatDiagnostic({ ...d, source: undefined })}` : formatDiagnostic(d);
    process.stderr.write(`${paint(line, 'yellow', color)}\n`);
  }
}

export interface ApplyOptions extends StoreFlags {
  filename: string[];
  namespace: string;
}

/** `podwall apply`: validate all input, write it in one transaction, print kubectl's lines, lint the result. */
export async function applyFiles(opts: ApplyOptions, hooks: ApplyHooks = {}): Promise<void> {
  const loaded = loadForWrite(opts.filename, opts.namespace, 'applied');
  if (loaded.length === 0) throw new ExitError(EXIT.diagnostics, 'error: no objects passed to apply');
  await withStore(opts, 'write', async (store) => {
    // A missing namespace is NotFound (`namespaces "demo" not found`) and nothing is written: one transaction.
    const placed = placePods(loaded.map((l) => l.object), store.list().objects);
    if (!placed.ok) throw new ExitError(EXIT.diagnostics, `error: cannot schedule pod ${placed.pod}: ${placed.message}`);
    const outcome = store.applyDetailed(placed.objects!, { keepLabFields: true });
    await writeOut(outcome.results.map((r) => `${refOf(r.object)} ${r.action}\n`).join(''));
    await hooks.afterApply?.(outcome, store);
    printWarnings(lintDesiredState(store.list().objects, loaded));
  });
}

export function applyCommand(hooks: ApplyHooks = {}): Command {
  const cmd = new Command('apply')
    .description('Create or update objects in the store from manifests, as kubectl apply does')
    .requiredOption('-f, --filename <path>', 'manifest file, directory (recursive) or - for stdin; repeatable', collect)
    .option('-n, --namespace <ns>', 'namespace for objects that name none', 'default')
    .addHelpText('after', `
Everything is validated first: any error (printed with file, line and column) and nothing is written.
Then all objects are written in one transaction and each gets kubectl's line (created, configured,
unchanged). Namespaced objects need their namespace (default and kube-system always exist). Afterwards the
policies of the whole desired state are linted; warnings go to stderr and do not change the exit code.
A re-applied Pod that omits spec.nodeName or status keeps the ones the lab set.

Exit codes: 0 applied, 1 invalid input or a missing namespace (nothing written), 2 usage, 4 file or store not readable.

Examples:
  podwall apply -f examples/seed
  podwall apply -f namespaces.yaml -f policies/
  kubectl get netpol -A -o yaml | podwall apply -f -
  podwall apply -f policy.yaml --store /tmp/lab/store.db`)
    .action(async (opts: ApplyOptions) => applyFiles(opts, hooks));
  return addStoreOption(cmd);
}
