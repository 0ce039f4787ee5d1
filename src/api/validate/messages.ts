import type { DiagnosticCode } from './codes.js';
import type { KeyProblem, NameFormat, NameProblem, PortNameProblem, ValueProblem } from './formats.js';

/** Parameters of each code's message; detection code fills them, this file alone words them. */
export interface MessageParams {
  PW1001: { detail: string };
  PW1002: { missing?: 'apiVersion' | 'kind' };
  PW1003: { apiVersion: string; kind: string };
  PW1101: { expected: string; received: string };
  PW1102: { field: string };
  PW1103: { field: string };
  PW1104: { value: string; allowed: readonly string[] };
  PW1105: { value: number };
  PW1201: { field: string; value: string; format: NameFormat; problem: NameProblem };
  PW1202: { value: string; problem: NameProblem };
  PW1203: { port: number; endPort: number };
  PW1204: { key: string; problem: KeyProblem };
  PW1205: { value: string; problem: ValueProblem };
  PW1206: { operator: string };
  PW1207: { operator: string };
  PW1208: { field: string; value: number; min: number; max: number };
  PW1209: { value: string; problem: PortNameProblem };
  PW1210: { reason: 'no-port' | 'named-port' };
  PW1211: { value: string };
  PW1212: { except: string; cidr: string; strict: boolean };
  PW1213: Record<string, never>;
  PW1214: Record<string, never>;
  PW1215: { value: string };
  PW1216: { value: string };
  PW1301: { problem: 'neither' | 'both' };
  PW1302: Record<string, never>;
  PW1303: Record<string, never>;
  PW1304: { other: string };
  PW1305: { first: string; second: string };
  PW1306: { problem: 'neither' | 'both' };
  PW1307: { value: string; problem: 'chars' | 'too-long' };
  PW1308: { value: string; problem: 'chars' | 'too-long' | 'double-star' };
  PW1309: { value: string; allowed: readonly string[] };
  PW1310: { count: number; max: number };
  PW1311: Record<string, never>;
  PW1312: Record<string, never>;
  PW1313: { field: string };
  PW1314: { protocol: string };
  PW1315: Record<string, never>;
  PW1316: { problem: 'multiple' | 'l7-needs-l7proto' };
  PW1317: Record<string, never>;
  PW1318: Record<string, never>;
  PW1319: { kind: string; direction: 'ingress' | 'egress' };
  PW1320: { key: string };
  PW1321: { count: number };
  PW1322: { problem: 'ingress' | 'l7' };
  PW1323: { problem: 'with-l7' | 'empty' };
  PW1324: Record<string, never>;
}

const NAME_FORMATS: Record<NameFormat, string> = {
  'dns1123-subdomain': 'a lowercase RFC 1123 subdomain (lowercase letters, digits, \'-\' and \'.\', alphanumeric at both ends, at most 253 characters)',
  'dns1123-label': 'a lowercase RFC 1123 label (lowercase letters, digits and \'-\', alphanumeric at both ends, at most 63 characters)',
  'dns1035-label': 'an RFC 1035 label (lowercase letters, digits and \'-\', starting with a letter, ending alphanumeric, at most 63 characters)',
};

const KEY_PROBLEMS: Record<KeyProblem, string> = {
  'slashes': 'a key has at most one \'/\' (prefix/name)',
  'prefix-too-long': 'the prefix must be at most 253 characters',
  'prefix-chars': 'the prefix must be a lowercase RFC 1123 subdomain',
  'name-empty': 'the name part must not be empty',
  'name-too-long': 'the name part must be at most 63 characters',
  'name-chars': 'the name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and start and end with an alphanumeric character',
};

const PORT_NAME_PROBLEMS: Record<PortNameProblem, string> = {
  'empty': 'must not be empty',
  'too-long': 'must be at most 15 characters',
  'chars': 'must contain only lowercase letters, digits and \'-\'',
  'no-letter': 'must contain at least one letter (write a port number as a number, not a quoted string)',
  'hyphens': 'must not start or end with \'-\' or contain \'--\'',
};

const q = (s: string) => JSON.stringify(s);

/** One message function per code, like zod's locales/en.ts. */
export const MESSAGES: { [C in DiagnosticCode]: (p: MessageParams[C]) => string } = {
  PW1001: (p) => `invalid YAML: ${p.detail}`,
  PW1002: (p) => (p.missing ? `expected a string ${p.missing}` : 'expected an object with apiVersion and kind'),
  PW1003: (p) => `skipped ${p.apiVersion} ${p.kind}: not a kind podwall reads`,
  PW1101: (p) => `expected ${p.expected}, got ${p.received}`,
  PW1102: (p) => `unknown field ${q(p.field)}`,
  PW1103: (p) => `required field ${q(p.field)} is missing`,
  PW1104: (p) => `unsupported value ${q(p.value)}: must be one of ${p.allowed.map(q).join(', ')}`,
  PW1105: (p) => `port must be a string in Cilium policies: write port: "${p.value}"`,
  PW1201: (p) => `invalid ${p.field} ${q(p.value)}: must be ${NAME_FORMATS[p.format]}`,
  PW1202: (p) => `invalid namespace ${q(p.value)}: must be ${NAME_FORMATS['dns1123-label']}`,
  PW1203: (p) => `endPort ${p.endPort} must be >= port (${p.port})`,
  PW1204: (p) => `invalid label key ${q(p.key)}: ${KEY_PROBLEMS[p.problem]}`,
  PW1205: (p) => `invalid label value ${q(p.value)}: ${p.problem === 'too-long'
    ? 'must be at most 63 characters'
    : 'must be empty or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and start and end with an alphanumeric character'}`,
  PW1206: (p) => `values must be given (non-empty) when operator is ${p.operator}`,
  PW1207: (p) => `values must not be given when operator is ${p.operator}`,
  PW1208: (p) => `${p.field} ${p.value} is out of range: must be between ${p.min} and ${p.max}`,
  PW1209: (p) => `invalid port name ${q(p.value)}: ${PORT_NAME_PROBLEMS[p.problem]}`,
  PW1210: (p) => (p.reason === 'no-port'
    ? 'endPort may not be given without port'
    : 'endPort may not be given when port is a name'),
  PW1211: (p) => `invalid CIDR ${q(p.value)}: expected an IPv4 or IPv6 prefix such as 10.0.0.0/8 or fd00::/64`,
  PW1212: (p) => `except ${q(p.except)} must lie ${p.strict ? 'strictly ' : ''}inside cidr ${q(p.cidr)}${p.strict ? ' (same family, longer prefix)' : ''}`,
  PW1213: () => 'ipBlock may not be combined with podSelector or namespaceSelector in the same peer',
  PW1214: () => 'a peer must set at least one of podSelector, namespaceSelector and ipBlock',
  PW1215: (p) => `policyTypes lists ${q(p.value)} more than once`,
  PW1216: (p) => `invalid IP address ${q(p.value)}`,
  PW1301: (p) => (p.problem === 'neither'
    ? 'a rule must have one of endpointSelector and nodeSelector'
    : 'a rule cannot have both endpointSelector and nodeSelector'),
  PW1302: () => 'a Cilium policy must have spec or specs',
  PW1303: () => 'a rule must have at least one of ingress, ingressDeny, egress and egressDeny',
  PW1304: (p) => `toFQDNs may not be combined with ${p.other} in the same rule (toPorts is fine): write a separate rule`,
  PW1305: (p) => `combining ${p.first} and ${p.second} in one rule is not supported: write a separate rule`,
  PW1306: (p) => (p.problem === 'neither'
    ? 'an FQDN selector must set matchName or matchPattern'
    : 'an FQDN selector may set only one of matchName and matchPattern'),
  PW1307: (p) => `invalid matchName ${q(p.value)}: ${p.problem === 'too-long'
    ? 'must be at most 255 characters'
    : 'only letters, digits, \'-\', \'_\' and \'.\' are allowed'}`,
  PW1308: (p) => `invalid matchPattern ${q(p.value)}: ${{
    'too-long': 'must be at most 255 characters',
    'chars': 'only letters, digits, \'-\', \'_\', \'.\' and \'*\' are allowed',
    'double-star': '\'**\' is only allowed as a leading \'**.\' prefix',
  }[p.problem]}`,
  PW1309: (p) => `unsupported entity ${q(p.value)}: must be one of ${p.allowed.join(', ')}`,
  PW1310: (p) => `too many ports (${p.count}): at most ${p.max} per toPorts entry`,
  PW1311: () => 'DNS rules need ports: give port 53 explicitly',
  PW1312: () => 'DNS rules are not allowed on ingress',
  PW1313: (p) => `${p.field} is not allowed in ingressDeny/egressDeny rules`,
  PW1314: (p) => `L7 rules other than DNS apply only to TCP, not ${p.protocol}`,
  PW1315: () => 'L7 rules cannot be used when a port is 0',
  PW1316: (p) => (p.problem === 'multiple'
    ? 'a rules section may hold only one L7 protocol (dns, http, kafka or l7proto)'
    : 'l7 may only be given together with l7proto'),
  PW1317: () => 'DNS rules do not support port ranges (endPort)',
  PW1318: () => 'icmps may only be given without toPorts: write a separate rule for toPorts',
  PW1319: (p) => `host policies (nodeSelector) do not support ${p.kind} rules on ${p.direction}`,
  PW1320: (p) => `the endpointSelector of a CiliumNetworkPolicy may not select a namespace (${q(p.key)}): it always applies in the policy's own namespace`,
  PW1321: (p) => (p.count === 0
    ? 'one of cidr, cidrGroupRef and cidrGroupSelector is required'
    : 'only one of cidr, cidrGroupRef and cidrGroupSelector may be given'),
  PW1322: (p) => (p.problem === 'ingress' ? 'listener is not allowed on ingress' : 'listener is not allowed together with L7 rules'),
  PW1323: (p) => (p.problem === 'empty'
    ? 'an empty server name is not allowed'
    : 'serverNames are not allowed with L7 rules unless terminatingTLS is given'),
  PW1324: () => 'a CiliumNetworkPolicy cannot have nodeSelector: host policies must be CiliumClusterwideNetworkPolicies',
};
