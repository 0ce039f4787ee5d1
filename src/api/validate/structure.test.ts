import { describe, expect, it } from 'vitest';
import { expectCase, type Case } from '../../../test/support/validate-case.js';
import { loadManifests } from '../load.js';


const np = (spec: string) => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n${spec}`;
const cnp = (spec: string) => `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: p\nspec:\n  endpointSelector: {}\n${spec}`;

const CASES: Case[] = [
  { name: 'YAML syntax (source.ts)', code: 'PW1001', text: 'apiVersion: v1\nkind: [Namespace\n', path: [], line: 3, col: 1 },
  { name: 'document is a list', code: 'PW1002', text: '- a\n- b\n', path: [], line: 1, col: 1 },
  { name: 'kind missing', code: 'PW1002', text: 'apiVersion: v1\nmetadata: {name: a}\n', path: ['kind'], line: 1, col: 1 },
  { name: 'kind podwall does not read', code: 'PW1003', text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n', path: ['kind'], line: 2, col: 7 },
  { name: 'port is a boolean', code: 'PW1101', text: np('  ingress:\n  - ports:\n    - port: true\n'), path: ['spec', 'ingress', 0, 'ports', 0, 'port'], line: 8, col: 13 },
  { name: 'label value is a number', code: 'PW1101', text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    version: 1\n', path: ['metadata', 'labels', 'version'], line: 6, col: 14 },
  { name: 'ingress is a map', code: 'PW1101', text: np('  ingress:\n    from: []\n'), path: ['spec', 'ingress'], line: 7, col: 5 },
  { name: 'empty list item', code: 'PW1101', text: np('  ingress:\n  -\n'), path: ['spec', 'ingress', 0], line: 7, col: 4 },
  { name: 'misspelt field', code: 'PW1102', text: np('  ingress:\n  - form: []\n'), path: ['spec', 'ingress', 0, 'form'], line: 7, col: 11 },
  { name: 'unknown metadata field', code: 'PW1102', text: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\n  label: {a: b}\n', path: ['metadata', 'label'], line: 5, col: 10 },
  { name: 'unknown Cilium field', code: 'PW1102', text: cnp('  egress:\n  - toFQDN: [{matchName: a.com}]\n'), path: ['spec', 'egress', 0, 'toFQDN'], line: 8, col: 13 },
  { name: 'ipBlock without cidr', code: 'PW1103', text: np('  ingress:\n  - from:\n    - ipBlock:\n        except: [10.0.0.0/8]\n'), path: ['spec', 'ingress', 0, 'from', 0, 'ipBlock'], line: 9, col: 9 },
  { name: 'metadata without name', code: 'PW1103', text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  labels: {a: b}\n', path: ['metadata'], line: 4, col: 3 },
  { name: 'Cilium port without port', code: 'PW1103', text: cnp('  egress:\n  - toPorts:\n    - ports:\n      - protocol: TCP\n'), path: ['spec', 'egress', 0, 'toPorts', 0, 'ports', 0], line: 10, col: 9 },
  { name: 'lower-case protocol', code: 'PW1104', text: np('  ingress:\n  - ports:\n    - protocol: tcp\n'), path: ['spec', 'ingress', 0, 'ports', 0, 'protocol'], line: 8, col: 17 },
  { name: 'unknown selector operator', code: 'PW1104', text: np('  podSelector:\n    matchExpressions:\n    - {key: a, operator: Equals}\n'), path: ['spec', 'podSelector', 'matchExpressions', 0, 'operator'], line: 8, col: 26 },
  { name: 'unknown policy type', code: 'PW1104', text: np('  policyTypes: [ingress]\n'), path: ['spec', 'policyTypes', 0], line: 6, col: 17 },
  { name: 'Cilium port as a YAML integer', code: 'PW1105', text: cnp('  egress:\n  - toPorts:\n    - ports:\n      - port: 80\n'), path: ['spec', 'egress', 0, 'toPorts', 0, 'ports', 0, 'port'], line: 10, col: 15 },
];

describe('structure (PW10xx, PW11xx)', () => {
  it.each(CASES)('$code: $name', expectCase);

  it('words PW1105 with the quoted form to write instead', () => {
    const res = loadManifests([{ file: 'p.yaml', text: CASES[CASES.length - 1]?.text ?? '' }]);
    expect(res.diagnostics.find((d) => d.code === 'PW1105')?.message).toContain('"80"');
  });

  it('lets unknown fields pass on the lenient kinds', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  uid: x\n  extra: 1\nspec:\n  containers:\n  - image: nginx\n    resources: {}\n';
    const res = loadManifests([{ file: 'p.yaml', text }]);
    expect(res.diagnostics).toEqual([]);
    expect(res.objects).toHaveLength(1);
  });

  it('accepts the Cilium fields podwall does not model', () => {
    const text = cnp([
      '  ingress:',
      '  - fromEndpoints: [{}]',
      '    authentication: {mode: required}',
      '    toPorts:',
      '    - ports: [{port: "443", protocol: TCP}]',
      '      terminatingTLS: {secret: {name: s}}',
      '      rules:',
      '        http: [{method: GET, path: /}]',
      '  - icmps: [{fields: [{type: 8, family: IPv4}]}]',
      '  egress:',
      '  - toServices: [{k8sService: {serviceName: s, namespace: n}}]',
      '  - toGroups: [{aws: {securityGroupsIds: [sg-1]}}]',
      '    toPorts: [{ports: [{port: "80"}], listener: {envoyConfig: {name: e}, name: l}}]',
      '  labels: [{key: a, value: b}]',
      '  log: {value: x}',
      '',
    ].join('\n'));
    const res = loadManifests([{ file: 'p.yaml', text }]);
    expect(res.diagnostics).toEqual([]);
  });
});
