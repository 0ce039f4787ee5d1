import type * as z from 'zod';
import type { Diagnostic } from '../../../shared/diagnostic.js';
import { ciliumCidrGroupSchema, ciliumPolicySchema } from './cilium.js';
import { namespaceSchema, nodeSchema, podSchema, serviceSchema } from './core.js';
import { issueDiagnostics } from './issues.js';
import { networkPolicySchema } from './networkpolicy.js';

/** The kinds podwall reads: the apiVersions served for each, and the structural schema. */
export const KINDS: Readonly<Record<string, { versions: readonly string[]; schema: z.ZodType }>> = {
  Namespace: { versions: ['v1'], schema: namespaceSchema },
  Pod: { versions: ['v1'], schema: podSchema },
  Node: { versions: ['v1'], schema: nodeSchema },
  Service: { versions: ['v1'], schema: serviceSchema },
  NetworkPolicy: { versions: ['networking.k8s.io/v1'], schema: networkPolicySchema },
  CiliumNetworkPolicy: { versions: ['cilium.io/v2'], schema: ciliumPolicySchema },
  CiliumClusterwideNetworkPolicy: { versions: ['cilium.io/v2'], schema: ciliumPolicySchema },
  CiliumCIDRGroup: { versions: ['cilium.io/v2alpha1', 'cilium.io/v2'], schema: ciliumCidrGroupSchema },
};

/** Structural check: every zod issue becomes a diagnostic at the issue's path. */
export function structuralDiagnostics(schema: z.ZodType, value: unknown): Diagnostic[] {
  const res = schema.safeParse(value, { reportInput: true });
  return res.success ? [] : res.error.issues.flatMap(issueDiagnostics);
}
