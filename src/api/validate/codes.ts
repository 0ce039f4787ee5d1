import type { Severity } from '../../shared/diagnostic.js';

/**
 * Every diagnostic code of manifest loading, with its severity and a one-line summary.
 * PW10xx: documents; PW11xx: structure (types, fields, enums); PW12xx: Kubernetes semantics
 * (metadata, selectors, NetworkPolicy); PW13xx: Cilium semantics (CiliumNetworkPolicy and friends).
 * The wording lives in messages.ts; README.md documents each code with an example.
 */
export const CODES = {
  PW1001: { severity: 'error', summary: 'YAML syntax error' },
  PW1002: { severity: 'error', summary: 'document is not an object with apiVersion and kind' },
  PW1003: { severity: 'info', summary: 'kind skipped: not a kind podwall reads' },

  PW1101: { severity: 'error', summary: 'value has the wrong type' },
  PW1102: { severity: 'error', summary: 'unknown field' },
  PW1103: { severity: 'error', summary: 'required field missing' },
  PW1104: { severity: 'error', summary: 'unsupported enum value' },
  PW1105: { severity: 'error', summary: 'Cilium port given as a number (must be a string)' },

  PW1201: { severity: 'error', summary: 'invalid object name' },
  PW1202: { severity: 'error', summary: 'invalid namespace name' },
  PW1203: { severity: 'error', summary: 'endPort smaller than port' },
  PW1204: { severity: 'error', summary: 'invalid label key' },
  PW1205: { severity: 'error', summary: 'invalid label value' },
  PW1206: { severity: 'error', summary: 'In/NotIn selector requirement without values' },
  PW1207: { severity: 'error', summary: 'Exists/DoesNotExist selector requirement with values' },
  PW1208: { severity: 'error', summary: 'port number out of range' },
  PW1209: { severity: 'error', summary: 'invalid port name' },
  PW1210: { severity: 'error', summary: 'endPort without a numeric port' },
  PW1211: { severity: 'error', summary: 'invalid CIDR' },
  PW1212: { severity: 'error', summary: 'except CIDR not inside cidr' },
  PW1213: { severity: 'error', summary: 'ipBlock combined with a selector in one peer' },
  PW1214: { severity: 'error', summary: 'peer sets no field' },
  PW1215: { severity: 'error', summary: 'duplicate policyTypes entry' },
  PW1216: { severity: 'error', summary: 'invalid IP address' },

  PW1301: { severity: 'error', summary: 'rule needs exactly one of endpointSelector and nodeSelector' },
  PW1302: { severity: 'error', summary: 'policy has neither spec nor specs' },
  PW1303: { severity: 'error', summary: 'rule has no ingress, ingressDeny, egress or egressDeny' },
  PW1304: { severity: 'error', summary: 'toFQDNs combined with another L3 selector' },
  PW1305: { severity: 'error', summary: 'two L3 selector kinds combined in one rule' },
  PW1306: { severity: 'error', summary: 'FQDN selector needs exactly one of matchName and matchPattern' },
  PW1307: { severity: 'error', summary: 'invalid matchName' },
  PW1308: { severity: 'error', summary: 'invalid matchPattern' },
  PW1309: { severity: 'error', summary: 'unsupported entity' },
  PW1310: { severity: 'error', summary: 'too many ports in one toPorts entry' },
  PW1311: { severity: 'error', summary: 'DNS rules without ports' },
  PW1312: { severity: 'error', summary: 'DNS rules on ingress' },
  PW1313: { severity: 'error', summary: 'field not allowed in a deny rule' },
  PW1314: { severity: 'error', summary: 'L7 rules on a non-TCP port' },
  PW1315: { severity: 'error', summary: 'L7 rules with port 0' },
  PW1316: { severity: 'error', summary: 'invalid combination of L7 rule types' },
  PW1317: { severity: 'error', summary: 'DNS rules on a port range' },
  PW1318: { severity: 'error', summary: 'icmps and toPorts in one rule' },
  PW1319: { severity: 'error', summary: 'L7 rules in a host policy' },
  PW1320: { severity: 'error', summary: 'endpointSelector of a CiliumNetworkPolicy selects a namespace' },
  PW1321: { severity: 'error', summary: 'CIDR rule needs exactly one of cidr, cidrGroupRef and cidrGroupSelector' },
  PW1322: { severity: 'error', summary: 'listener not allowed here' },
  PW1323: { severity: 'error', summary: 'invalid serverNames' },
  PW1324: { severity: 'error', summary: 'nodeSelector in a namespaced CiliumNetworkPolicy' },
} as const satisfies Record<`PW${number}`, { severity: Severity; summary: string }>;

export type DiagnosticCode = keyof typeof CODES;
