import * as z from 'zod';
import { CILIUM_PROTOCOLS } from '../../types.js';
import { anything, codeTag, labelSelector, opt, strictMeta, typeMeta } from './common.js';

/**
 * cilium.io/v2 CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy and CiliumCIDRGroup, strict like the CRD
 * schemas under kubectl's strict field validation (pkg/k8s/apis/cilium.io/client/crds/v2/*.yaml, generated from
 * pkg/policy/api). Fields podwall does not model (authentication, icmps, *Requires, toServices, *Groups, L7 http/
 * kafka/l7, TLS contexts, listener, labels, log) are accepted as they are, so real policies load.
 */

/** PortProtocol.port is a string in the CRD: `port: 80` is rejected ("must be of type string"). */
const portString = z.string({ error: (iss) => (typeof iss.input === 'number' ? codeTag('PW1105') : undefined) });

const portProtocol = z.strictObject({
  // Required: PortProtocol.Validate fails with "port must be specified" (extended IP protocols aside).
  port: portString,
  endPort: opt(z.int()),
  protocol: opt(z.enum(CILIUM_PROTOCOLS)),
});

const fqdnSelector = z.strictObject({
  matchName: opt(z.string()),
  matchPattern: opt(z.string()),
});

const l7Rules = z.strictObject({
  dns: opt(z.array(fqdnSelector)),
  http: opt(z.array(z.unknown())),
  kafka: opt(z.array(z.unknown())),
  l7proto: opt(z.string()),
  l7: opt(z.array(z.unknown())),
});

const portRuleFields = {
  ports: opt(z.array(portProtocol)),
  rules: opt(l7Rules),
  serverNames: opt(z.array(z.string())),
  originatingTLS: anything,
  terminatingTLS: anything,
  listener: anything,
};

const portRule = z.strictObject(portRuleFields);

/**
 * PortDenyRule has only `ports`. The allow-only fields are accepted here and reported by
 * rules/cilium-deny.ts with a clearer code (PW1313) than "unknown field".
 */
const portDenyRule = z.strictObject({ ...portRuleFields, rules: anything });

const cidrRule = z.strictObject({
  cidr: opt(z.string()),
  cidrGroupRef: opt(z.string()),
  cidrGroupSelector: opt(labelSelector),
  except: opt(z.array(z.string())),
});

const selectors = opt(z.array(labelSelector));
const strings = opt(z.array(z.string()));

const ingressCommon = {
  fromEndpoints: selectors, fromRequires: anything, fromCIDR: strings, fromCIDRSet: opt(z.array(cidrRule)),
  fromEntities: strings, fromGroups: anything, fromNodes: selectors, icmps: anything, authentication: anything,
};

const egressCommon = {
  toEndpoints: selectors, toRequires: anything, toCIDR: strings, toCIDRSet: opt(z.array(cidrRule)),
  toEntities: strings, toServices: anything, toGroups: anything, toNodes: selectors, icmps: anything,
  authentication: anything,
};

const fqdns = opt(z.array(fqdnSelector));

const rule = z.strictObject({
  endpointSelector: opt(labelSelector),
  nodeSelector: opt(labelSelector),
  ingress: opt(z.array(z.strictObject({ ...ingressCommon, toPorts: opt(z.array(portRule)) }))),
  ingressDeny: opt(z.array(z.strictObject({ ...ingressCommon, toPorts: opt(z.array(portDenyRule)) }))),
  egress: opt(z.array(z.strictObject({ ...egressCommon, toFQDNs: fqdns, toPorts: opt(z.array(portRule)) }))),
  // toFQDNs is not part of EgressDenyRule: accepted here, reported as PW1313.
  egressDeny: opt(z.array(z.strictObject({ ...egressCommon, toFQDNs: anything, toPorts: opt(z.array(portDenyRule)) }))),
  labels: anything,
  enableDefaultDeny: opt(z.strictObject({ ingress: opt(z.boolean()), egress: opt(z.boolean()) })),
  description: opt(z.string()),
  log: anything,
});

export const ciliumPolicySchema = z.strictObject({
  ...typeMeta,
  metadata: strictMeta,
  spec: opt(rule),
  specs: opt(z.array(rule)),
  status: anything,
});

export const ciliumCidrGroupSchema = z.strictObject({
  ...typeMeta,
  metadata: strictMeta,
  spec: z.strictObject({ externalCIDRs: z.array(z.string()) }),
});
