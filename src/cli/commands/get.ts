import { Command, Option } from 'commander';
import type { ApiObject } from '../../api/types.js';
import { compileSelector } from '../../engine/selector.js';
import { EXIT, ExitError, UsageError } from '../../shared/errors.js';
import { parseSelectorArg } from '../label-selector.js';
import { formatGetTable } from '../output/get-columns.js';
import { formatJson } from '../output/kube-json.js';
import { formatNames } from '../output/kube-name.js';
import { formatYaml } from '../output/kube-yaml.js';
import { notFoundMessage, parseResourceArgs, qualifiedSingular, RESOURCE_NAMES, type Resource } from '../resources.js';
import { addStoreOption, withStore, type StoreFlags } from '../store-access.js';
import { writeOut } from '../write.js';

const FORMATS = ['wide', 'json', 'yaml', 'name'] as const;

export interface GetOptions extends StoreFlags {
  namespace: string;
  allNamespaces?: boolean;
  output?: (typeof FORMATS)[number];
  showLabels?: boolean;
  selector?: string;
}

interface Group {
  resource: Resource;
  names: string[];
  objects: ApiObject[];
  missing: string[];
}

/** The stored objects each resource argument asks for, in kubectl's order (namespace, then name). */
function select(objects: readonly ApiObject[], groups: { resource: Resource; names: string[] }[], opts: GetOptions): Group[] {
  const selector = opts.selector !== undefined ? compileSelector(parseSelectorArg(opts.selector)) : undefined;
  return groups.map(({ resource, names }) => {
    const scoped = objects.filter((o) => o.kind === resource.kind
      && (!resource.namespaced || opts.allNamespaces || o.metadata.namespace === opts.namespace)
      && (!selector || selector.matches(o.metadata.labels ?? {})));
    if (names.length === 0) return { resource, names, objects: scoped, missing: [] };
    const found = names.map((n) => scoped.filter((o) => o.metadata.name === n));
    return { resource, names, objects: found.flat(), missing: names.filter((_, i) => found[i]!.length === 0) };
  });
}

function render(groups: Group[], opts: GetOptions, single: boolean): string {
  const objects = groups.flatMap((g) => g.objects);
  switch (opts.output) {
    case 'json': return formatJson(objects, single);
    case 'yaml': return formatYaml(objects, single);
    case 'name': return formatNames(objects);
    default: {
      const now = new Date();
      const prefix = groups.length > 1;
      return groups.filter((g) => g.objects.length > 0).map((g) => {
        const shown = prefix ? g.objects.map((o) => ({ ...o, metadata: { ...o.metadata, name: `${qualifiedSingular(g.resource)}/${o.metadata.name}` } }) as ApiObject) : g.objects;
        return formatGetTable(g.resource.kind, shown, {
          wide: opts.output === 'wide', namespaceColumn: g.resource.namespaced && !!opts.allNamespaces, showLabels: !!opts.showLabels, now,
        });
      }).join('\n');
    }
  }
}

/** `podwall get`: list stored objects as kubectl does. Exit 1 when a named object does not exist. */
export async function getObjects(args: string[], opts: GetOptions): Promise<void> {
  if (args.length === 0) throw new UsageError(`you must specify the type of resource to get: ${RESOURCE_NAMES}`);
  if (args[0]!.includes(',')) throw new UsageError('one resource type at a time (or TYPE/NAME arguments)');
  const requested = parseResourceArgs(args);
  const groups = await withStore(opts, 'read', (store) => select(store.list().objects, requested, opts));
  const objects = groups.flatMap((g) => g.objects);
  const single = requested.length === 1 && requested[0]!.names.length === 1;
  if (objects.length > 0 || opts.output === 'json' || opts.output === 'yaml') {
    if (!(single && objects.length === 0)) await writeOut(render(groups, opts, single));
  }
  const missing = groups.flatMap((g) => g.missing.map((name) => notFoundMessage({ kind: g.resource.kind, name })));
  if (missing.length > 0) throw new ExitError(EXIT.diagnostics, missing.join('\n'));
  if (objects.length === 0 && !opts.output?.match(/json|yaml/)) {
    const namespaced = requested.some((r) => r.resource.namespaced) && !opts.allNamespaces;
    process.stderr.write(namespaced ? `No resources found in ${opts.namespace} namespace.\n` : 'No resources found\n');
  }
}

export function getCommand(): Command {
  const cmd = new Command('get')
    .description(`List stored objects as kubectl does: ${RESOURCE_NAMES}`)
    .argument('[resource...]', 'TYPE [NAME...] or TYPE/NAME...')
    .option('-n, --namespace <ns>', 'namespace of namespaced kinds', 'default')
    .option('-A, --all-namespaces', 'every namespace (adds a NAMESPACE column)')
    .addOption(new Option('-o, --output <format>', 'output format (default: a table)').choices(FORMATS))
    .option('--show-labels', 'add a LABELS column')
    .option('-l, --selector <selector>', 'label selector, e.g. app=server,tier!=db or "env in (a,b)"')
    .addHelpText('after', `
Columns are kubectl's: pods NAME READY STATUS RESTARTS AGE (-o wide adds IP NODE NOMINATED NODE READINESS GATES),
networkpolicies NAME POD-SELECTOR AGE, ciliumnetworkpolicies NAME AGE, nodes NAME STATUS ROLES AGE VERSION.
-o json|yaml prints a List, or the object itself for one NAME.

Exit codes: 0 ok (also when nothing matches), 1 a named object does not exist, 2 usage, 4 the store cannot be read.

Examples:
  podwall get pods -n demo
  podwall get po -A -o wide --show-labels
  podwall get netpol demo-policy -n demo -o yaml
  podwall get cnp -A
  podwall get pods -l app=server -o name
  podwall get nodes`)
    .action(async (args: string[], opts: GetOptions) => getObjects(args, opts));
  return addStoreOption(cmd);
}
