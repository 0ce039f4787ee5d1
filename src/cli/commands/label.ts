import { Command } from 'commander';
import { labelKeyProblem, labelValueProblem } from '../../api/validate/formats.js';
import { MESSAGES } from '../../api/validate/messages.js';
import { EXIT, ExitError, UsageError } from '../../shared/errors.js';
import type { LabelChange, LabelOutcome, Store } from '../../store/index.js';
import { keyFor, parseResourceArgs, refOf } from '../resources.js';
import { addStoreOption, withStore, type StoreFlags } from '../store-access.js';
import { writeOut } from '../write.js';

export interface LabelHooks {
  /** Runs after the store committed a change (e.g. wait until the agents enforce the new labels). */
  afterLabel?: (outcome: LabelOutcome, store: Store) => void | Promise<void>;
}

export interface LabelOptions extends StoreFlags {
  namespace: string;
  overwrite?: boolean;
}

/** `k=v` sets, `k-` removes; keys and values checked as the API server checks them (exit 1). */
export function parseLabelArgs(args: readonly string[]): LabelChange {
  const change: LabelChange = {};
  const problems: string[] = [];
  for (const a of args) {
    const m = /^([^=]+)=(.*)$/.exec(a) ?? /^(.+)-$/.exec(a);
    if (!m) throw new UsageError(`invalid label spec: ${a}`);
    const key = m[1]!;
    const value = a.includes('=') ? m[2]! : null;
    if (key in change && change[key] !== value) throw new UsageError(`can not both modify and remove a label in the same command (${key})`);
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) problems.push(MESSAGES.PW1204({ key, problem: keyProblem }));
    const valueProblem = value === null ? null : labelValueProblem(value);
    if (valueProblem && value !== null) problems.push(MESSAGES.PW1205({ value, problem: valueProblem }));
    change[key] = value;
  }
  if (problems.length > 0) throw new ExitError(EXIT.diagnostics, problems.map((p) => `error: ${p}`).join('\n'));
  if (Object.keys(change).length === 0) throw new UsageError('at least one label update is required');
  return change;
}

/**
 * `podwall label TYPE NAME k=v k2- [--overwrite]`, kubectl's rules: changing a label's value needs
 * --overwrite; removing a label that is not there is a note, not an error.
 */
export async function labelObject(args: string[], opts: LabelOptions, hooks: LabelHooks = {}): Promise<void> {
  const slash = args[0]?.includes('/') ?? false;
  const resourceArgs = slash ? args.slice(0, 1) : args.slice(0, 2);
  const [target] = parseResourceArgs(resourceArgs);
  if (!target || target.names.length !== 1) throw new UsageError('give one object: TYPE NAME or TYPE/NAME, then the labels');
  const change = parseLabelArgs(args.slice(resourceArgs.length));
  const key = keyFor(target.resource, target.names[0]!, opts.namespace);
  const result = await withStore(opts, 'write', async (store) => {
    const before = store.get(key);
    for (const [k, v] of Object.entries(change)) {
      if (v === null && before && !(k in (before.metadata.labels ?? {}))) process.stderr.write(`label "${k}" not found.\n`);
    }
    const out = store.setLabelsDetailed(key, change, { overwrite: !!opts.overwrite });
    const shrank = Object.keys(out.object.metadata.labels ?? {}).length < Object.keys(before?.metadata.labels ?? {}).length;
    if (out.changed) await hooks.afterLabel?.(out, store);
    return { ...out, shrank };
  });
  // kubectl's updateDataChangeMsg: "unlabeled" when labels were only taken away without --overwrite.
  const msg = !result.changed ? 'not labeled' : result.shrank && !opts.overwrite ? 'unlabeled' : 'labeled';
  await writeOut(`${refOf(result.object)} ${msg}\n`);
}

export function labelCommand(hooks: LabelHooks = {}): Command {
  const cmd = new Command('label')
    .description('Add, change or remove labels of a stored object (pod, namespace, node, ...), as kubectl label does')
    .argument('<args...>', 'TYPE NAME KEY=VALUE... KEY-...  (or TYPE/NAME ...)')
    .option('-n, --namespace <ns>', 'namespace of namespaced kinds', 'default')
    .option('--overwrite', 'allow changing the value of an existing label')
    .addHelpText('after', `
Changing the value of a label that exists is an error unless --overwrite is given; setting the value it
already has is not. KEY- removes a label. The change is one store transaction: the agents see it at once.

Exit codes: 0 ok, 1 the object does not exist, a label would be overwritten, or a key/value is invalid, 2 usage.

Examples:
  podwall label pod client -n demo app=client
  podwall label pod client -n demo app=frontend --overwrite
  podwall label pod/client -n demo app-
  podwall label namespace demo team=blue`)
    .action(async (args: string[], opts: LabelOptions) => labelObject(args, opts, hooks));
  return addStoreOption(cmd);
}
