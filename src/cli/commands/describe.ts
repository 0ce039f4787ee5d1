import { Command } from 'commander';
import type { ApiObject } from '../../api/types.js';
import { buildEngine, type Engine } from '../../engine/engine.js';
import { EXIT, ExitError, UsageError } from '../../shared/errors.js';
import { describePod } from '../output/describe-pod.js';
import { describeCiliumPolicy, describeGeneric, describeNetworkPolicy } from '../output/describe-policy.js';
import { notFoundMessage, parseResourceArgs } from '../resources.js';
import { addStoreOption, withStore, type StoreFlags } from '../store-access.js';
import { writeOut } from '../write.js';

export interface DescribeOptions extends StoreFlags {
  namespace: string;
  allNamespaces?: boolean;
}

function describeOne(o: ApiObject, engine: Engine): string {
  switch (o.kind) {
    case 'Pod': return describePod(o, engine);
    case 'NetworkPolicy': return describeNetworkPolicy(o, engine);
    case 'CiliumNetworkPolicy':
    case 'CiliumClusterwideNetworkPolicy': return describeCiliumPolicy(o, engine);
    default: return describeGeneric(o);
  }
}

/**
 * `podwall describe TYPE [NAME...]`: kubectl's describe, with what the engine knows about policy: for a
 * pod, which policies select it per direction and whether it is isolated; for a policy, its rules and the
 * pods it selects. Without NAME, every object of the type (in the namespace).
 */
export async function describeObjects(args: string[], opts: DescribeOptions): Promise<void> {
  const groups = parseResourceArgs(args);
  if (groups.length === 0) throw new UsageError('you must specify the type of resource to describe (pod, netpol, cnp, ccnp, namespace, node, ...)');
  const { texts, missing } = await withStore(opts, 'read', (store) => {
    const snapshot = store.list();
    const engine = buildEngine(snapshot.objects);
    const texts: string[] = [];
    const missing: string[] = [];
    for (const { resource, names } of groups) {
      const inScope = snapshot.objects.filter((o) => o.kind === resource.kind
        && (!resource.namespaced || opts.allNamespaces || o.metadata.namespace === opts.namespace));
      const chosen = names.length === 0 ? inScope : names.flatMap((n) => {
        const found = inScope.filter((o) => o.metadata.name === n);
        if (found.length === 0) missing.push(notFoundMessage({ kind: resource.kind, name: n }));
        return found;
      });
      texts.push(...chosen.map((o) => describeOne(o, engine)));
    }
    return { texts, missing };
  });
  await writeOut(texts.join('\n'));
  if (missing.length > 0) throw new ExitError(EXIT.diagnostics, missing.join('\n'));
  if (texts.length === 0) process.stderr.write(`No resources found in ${opts.namespace} namespace.\n`);
}

export function describeCommand(): Command {
  const cmd = new Command('describe')
    .description('Show a stored object in detail, with the policy view of the engine')
    .argument('<resource...>', 'TYPE [NAME...] or TYPE/NAME...')
    .option('-n, --namespace <ns>', 'namespace of namespaced kinds', 'default')
    .option('-A, --all-namespaces', 'every namespace (when no NAME is given)')
    .addHelpText('after', `
describe pod: labels, IP, node, and per direction whether the pod is isolated and by which policies, with
each selecting policy's rules. describe netpol: kubectl's view (PodSelector, Allowing ingress traffic,
To Port, From, Policy Types) and the pods it selects. describe cnp/ccnp: the same shape for Cilium policies,
deny rules and default deny included.

Exit codes: 0 ok, 1 a named object does not exist, 2 usage, 4 store not readable.

Examples:
  podwall describe pod server -n demo
  podwall describe netpol demo-policy -n demo
  podwall describe cnp allow-egress-to-specific-domain
  podwall describe pods -n demo`)
    .action(async (args: string[], opts: DescribeOptions) => describeObjects(args, opts));
  return addStoreOption(cmd);
}
