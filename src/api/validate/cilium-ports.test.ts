import { describe, expect, it } from 'vitest';
import { expectCase, type Case } from '../../../test/support/validate-case.js';
import { loadManifests } from '../load.js';


/** A CNP with `endpointSelector: {}`; `body` starts at line 8. */
const cnp = (body: string) =>
  `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: p\n  namespace: default\nspec:\n  endpointSelector: {}\n${body}`;
/** One egress toPorts entry; its `ports` list items start at line 11. */
const egressPorts = (ports: string) => cnp(`  egress:\n  - toPorts:\n    - ports:\n${ports}`);
/** One toPorts entry in `section` with a flow-style ports list on line 10 and `rest` from line 11. */
const portRule = (section: string, ports: string, rest: string) => cnp(`  ${section}:\n  - toPorts:\n    - ports: ${ports}\n${rest}`);
const P = ['spec', 'egress', 0, 'toPorts', 0];
const manyPorts = `[${Array.from({ length: 41 }, (_, i) => `{port: "${i + 1}"}`).join(', ')}]`;

const CASES: Case[] = [
  { name: 'endPort before port', code: 'PW1203', text: egressPorts('      - port: "80"\n        endPort: 70\n'), path: [...P, 'ports', 0, 'endPort'], line: 12, col: 18 },
  { name: 'port above 65535', code: 'PW1208', text: egressPorts('      - port: "70000"\n'), path: [...P, 'ports', 0, 'port'], line: 11, col: 15 },
  { name: 'port name with underscore', code: 'PW1209', text: egressPorts('      - port: "my_port"\n'), path: [...P, 'ports', 0, 'port'], line: 11, col: 15 },
  { name: 'endPort with a named port', code: 'PW1210', text: egressPorts('      - port: http\n        endPort: 90\n'), path: [...P, 'ports', 0, 'endPort'], line: 12, col: 18 },
  { name: '41 ports', code: 'PW1310', text: portRule('egress', manyPorts, ''), path: [...P, 'ports'], line: 10, col: 14 },
  { name: 'DNS rules without ports', code: 'PW1311', text: cnp('  egress:\n  - toPorts:\n    - rules:\n        dns: [{matchName: a.com}]\n'), path: P, line: 10, col: 7 },
  { name: 'DNS rules on ingress', code: 'PW1312', text: portRule('ingress', '[{port: "53"}]', '      rules:\n        dns: [{matchPattern: "*"}]\n'), path: ['spec', 'ingress', 0, 'toPorts', 0, 'rules', 'dns'], line: 12, col: 14 },
  { name: 'L7 rules in a deny rule', code: 'PW1313', text: portRule('egressDeny', '[{port: "80", protocol: TCP}]', '      rules: {http: [{}]}\n'), path: ['spec', 'egressDeny', 0, 'toPorts', 0, 'rules'], line: 11, col: 14 },
  { name: 'toFQDNs in a deny rule', code: 'PW1313', text: cnp('  egressDeny:\n  - toFQDNs: [{matchName: a.com}]\n'), path: ['spec', 'egressDeny', 0, 'toFQDNs'], line: 9, col: 14 },
  { name: 'HTTP rules on UDP', code: 'PW1314', text: portRule('egress', '[{port: "80", protocol: UDP}]', '      rules: {http: [{}]}\n'), path: [...P, 'ports', 0, 'protocol'], line: 10, col: 38 },
  { name: 'HTTP rules without protocol (ANY)', code: 'PW1314', text: portRule('egress', '[{port: "80"}]', '      rules: {http: [{}]}\n'), path: [...P, 'ports', 0], line: 10, col: 15 },
  { name: 'HTTP rules on port 0', code: 'PW1315', text: portRule('egress', '[{port: "0", protocol: TCP}]', '      rules: {http: [{}]}\n'), path: [...P, 'ports', 0, 'port'], line: 10, col: 22 },
  { name: 'HTTP and Kafka rules together', code: 'PW1316', text: portRule('egress', '[{port: "80", protocol: TCP}]', '      rules: {http: [{}], kafka: [{}]}\n'), path: [...P, 'rules'], line: 11, col: 14 },
  { name: 'l7 without l7proto', code: 'PW1316', text: portRule('egress', '[{port: "80", protocol: TCP}]', '      rules: {l7: [{}]}\n'), path: [...P, 'rules', 'l7'], line: 11, col: 19 },
  { name: 'DNS rules on a port range', code: 'PW1317', text: portRule('egress', '[{port: "53", endPort: 54}]', '      rules: {dns: [{matchPattern: "*"}]}\n'), path: [...P, 'ports', 0, 'endPort'], line: 10, col: 37 },
  { name: 'icmps with toPorts', code: 'PW1318', text: cnp('  egress:\n  - icmps: [{fields: [{type: 8}]}]\n    toPorts: [{ports: [{port: "80"}]}]\n'), path: ['spec', 'egress', 0, 'icmps'], line: 9, col: 12 },
  {
    name: 'HTTP rules in a host policy',
    code: 'PW1319',
    text: 'apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: p\nspec:\n  nodeSelector: {}\n  ingress:\n  - toPorts:\n    - ports: [{port: "80", protocol: TCP}]\n      rules: {http: [{}]}\n',
    path: ['spec', 'ingress', 0, 'toPorts', 0, 'rules', 'http'], line: 10, col: 21,
  },
  { name: 'listener on ingress', code: 'PW1322', text: portRule('ingress', '[{port: "80"}]', '      listener: {envoyConfig: {name: e}, name: l}\n'), path: ['spec', 'ingress', 0, 'toPorts', 0, 'listener'], line: 11, col: 17 },
  { name: 'empty server name', code: 'PW1323', text: portRule('egress', '[{port: "443"}]', '      serverNames: [""]\n'), path: [...P, 'serverNames', 0], line: 11, col: 21 },
  { name: 'serverNames with HTTP rules, no TLS termination', code: 'PW1323', text: portRule('egress', '[{port: "443", protocol: TCP}]', '      serverNames: [a.com]\n      rules: {http: [{}]}\n'), path: [...P, 'serverNames'], line: 11, col: 20 },
];

describe('Cilium ports and L7 (PW13xx)', () => {
  it.each(CASES)('$code: $name', expectCase);

  it('accepts named ports in any case, port 0 without L7, endPort 0 and DNS on ports 53', () => {
    const text = portRule('egress', '[{port: "53", protocol: UDP}, {port: "53", protocol: TCP}, {port: HTTPS}, {port: "0", endPort: 0}]', '');
    const dns = portRule('egress', '[{port: "53", protocol: ANY}]', '      rules:\n        dns: [{matchPattern: "*"}, {matchName: a.com}]\n');
    for (const t of [text, dns]) expect(loadManifests([{ file: 'p.yaml', text: t }]).diagnostics).toEqual([]);
  });
});
