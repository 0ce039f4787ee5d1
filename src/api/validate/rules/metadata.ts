import { NAMESPACED_KINDS } from '../../types.js';
import { obj, str, type Rule } from '../context.js';
import { nameProblem, type NameFormat } from '../formats.js';
import { checkLabelMap } from './selector.js';

/**
 * Object names as the API server validates them (pkg/apis/core/validation, networking/validation):
 * Namespaces are DNS-1123 labels (ValidateNamespaceName), Services DNS-1035 labels (ValidateServiceName),
 * everything else here — Pods, Nodes, NetworkPolicies and custom resources — DNS-1123 subdomains.
 */
const NAME_FORMATS: Record<string, NameFormat> = {
  Namespace: 'dns1123-label',
  Service: 'dns1035-label',
};

export const objectName: Rule = function objectName(ctx) {
  const name = str(obj(ctx.root.metadata)?.name);
  if (name === undefined) return;
  const format = NAME_FORMATS[ctx.kind] ?? 'dns1123-subdomain';
  const problem = nameProblem(name, format);
  if (problem) ctx.report('PW1201', ['metadata', 'name'], { field: 'name', value: name, format, problem });
};

/** metadata.namespace of a namespaced kind must name a valid namespace; empty means "the default". */
export const objectNamespace: Rule = function objectNamespace(ctx) {
  if (!NAMESPACED_KINDS.has(ctx.kind)) return;
  const namespace = str(obj(ctx.root.metadata)?.namespace);
  if (namespace === undefined || namespace === '') return;
  const problem = nameProblem(namespace, 'dns1123-label');
  if (problem) ctx.report('PW1202', ['metadata', 'namespace'], { value: namespace, problem });
};

export const objectLabels: Rule = function objectLabels(ctx) {
  checkLabelMap(ctx, obj(ctx.root.metadata)?.labels, ['metadata', 'labels']);
};

export const METADATA_RULES: readonly Rule[] = [objectName, objectNamespace, objectLabels];
