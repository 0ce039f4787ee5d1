import type { ApiKind, ApiObject } from '../api/types.js';
import { isNamespaced, type ObjectKey } from '../store/index.js';
import { UsageError } from '../shared/errors.js';

/** A kind as kubectl names it: resource (plural), API group, singular and short names. */
export interface Resource {
  kind: ApiKind;
  plural: string;
  singular: string;
  group: string;
  short: readonly string[];
  namespaced: boolean;
}

function resource(kind: ApiKind, plural: string, group: string, short: string[]): Resource {
  return { kind, plural, singular: kind.toLowerCase(), group, short, namespaced: isNamespaced(kind) };
}

/** The kinds the store holds, with kubectl's names (`kubectl api-resources`). */
export const RESOURCES: readonly Resource[] = [
  resource('Pod', 'pods', '', ['po']),
  resource('Namespace', 'namespaces', '', ['ns']),
  resource('Node', 'nodes', '', ['no']),
  resource('Service', 'services', '', ['svc']),
  resource('NetworkPolicy', 'networkpolicies', 'networking.k8s.io', ['netpol']),
  resource('CiliumNetworkPolicy', 'ciliumnetworkpolicies', 'cilium.io', ['cnp', 'ciliumnp']),
  resource('CiliumClusterwideNetworkPolicy', 'ciliumclusterwidenetworkpolicies', 'cilium.io', ['ccnp']),
  resource('CiliumCIDRGroup', 'ciliumcidrgroups', 'cilium.io', ['ccg']),
];

export const RESOURCE_NAMES = 'pods (po), namespaces (ns), nodes (no), services (svc), networkpolicies (netpol), ' +
  'ciliumnetworkpolicies (cnp), ciliumclusterwidenetworkpolicies (ccnp), ciliumcidrgroups (ccg)';

export function resourceOf(kind: string): Resource {
  const r = RESOURCES.find((x) => x.kind === kind);
  if (!r) throw new UsageError(`podwall does not store kind ${kind}`);
  return r;
}

/** `pods`, `po`, `pod`, `pods.` , `networkpolicies.networking.k8s.io`, ... → the resource; UsageError otherwise. */
export function resolveResource(arg: string): Resource {
  const a = arg.toLowerCase();
  const r = RESOURCES.find((x) => {
    const full = x.group ? [`${x.plural}.${x.group}`, `${x.singular}.${x.group}`] : [];
    return [x.plural, x.singular, ...x.short, ...full].includes(a);
  });
  if (!r) throw new UsageError(`the server doesn't have a resource type "${arg}" (podwall knows ${RESOURCE_NAMES})`);
  return r;
}

/** `pods` or `networkpolicies.networking.k8s.io`: how kubectl names a resource in errors. */
export function qualifiedPlural(r: Resource): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** `pod` or `networkpolicy.networking.k8s.io`: the prefix of kubectl's `-o name` and apply lines. */
export function qualifiedSingular(r: Resource): string {
  return r.group ? `${r.singular}.${r.group}` : r.singular;
}

/** `pod/client`, `networkpolicy.networking.k8s.io/demo-policy`. */
export function objectRef(kind: string, name: string): string {
  return `${qualifiedSingular(resourceOf(kind))}/${name}`;
}

export function refOf(o: ApiObject | ObjectKey): string {
  return 'metadata' in o ? objectRef(o.kind, o.metadata.name) : objectRef(o.kind, o.name);
}

/** `Error from server (NotFound): pods "x" not found`. */
export function notFoundMessage(key: ObjectKey): string {
  return `Error from server (NotFound): ${qualifiedPlural(resourceOf(key.kind))} "${key.name}" not found`;
}

/** The key `kind NAME` stands for, in `namespace` for namespaced kinds. */
export function keyFor(r: Resource, name: string, namespace: string): ObjectKey {
  return r.namespaced ? { kind: r.kind, namespace, name } : { kind: r.kind, name };
}

/**
 * kubectl's resource arguments: `TYPE NAME...`, or `TYPE/NAME...` each naming its own type.
 * Returns the pairs; a bare TYPE without names gives one entry with no names.
 */
export function parseResourceArgs(args: readonly string[]): { resource: Resource; names: string[] }[] {
  if (args.length === 0) return [];
  if (args.some((a) => a.includes('/'))) {
    return args.map((a) => {
      const [type, name, extra] = a.split('/');
      if (!type || !name || extra !== undefined) throw new UsageError(`"${a}": arguments in resource/name form must all be TYPE/NAME`);
      return { resource: resolveResource(type), names: [name] };
    });
  }
  const [type, ...names] = args;
  return [{ resource: resolveResource(type!), names }];
}
