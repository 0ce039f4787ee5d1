import * as z from 'zod';
import { K8S_PROTOCOLS, POLICY_TYPES } from '../../types.js';
import { labelSelector, opt, strictMeta, typeMeta } from './common.js';

/**
 * networking.k8s.io/v1 NetworkPolicy, strict like `kubectl apply` (field validation Strict):
 * every field of the OpenAPI schema, nothing else. Value rules (ports, CIDRs, peers) are in rules/networkpolicy.ts.
 */

const port = z.strictObject({
  protocol: opt(z.enum(K8S_PROTOCOLS)),
  // IntOrString: a number, or an IANA port name (a quoted "80" is a string and fails the name check).
  port: opt(z.union([z.int(), z.string()])),
  endPort: opt(z.int()),
});

const ipBlock = z.strictObject({
  cidr: z.string(),
  except: opt(z.array(z.string())),
});

const peer = z.strictObject({
  podSelector: opt(labelSelector),
  namespaceSelector: opt(labelSelector),
  ipBlock: opt(ipBlock),
});

export const networkPolicySchema = z.strictObject({
  ...typeMeta,
  metadata: strictMeta,
  spec: opt(z.strictObject({
    podSelector: opt(labelSelector),
    policyTypes: opt(z.array(z.enum(POLICY_TYPES))),
    ingress: opt(z.array(z.strictObject({ from: opt(z.array(peer)), ports: opt(z.array(port)) }))),
    egress: opt(z.array(z.strictObject({ to: opt(z.array(peer)), ports: opt(z.array(port)) }))),
  })),
});
