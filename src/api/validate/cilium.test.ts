import { describe, expect, it } from 'vitest';
import { expectCase, type Case } from '../../../test/support/validate-case.js';
import { loadManifests } from '../load.js';


const HEAD = 'apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: p\n  namespace: default\n';
/** A CNP whose spec body starts at line 6 (no endpointSelector given). */
const cnpSpec = (spec: string) => `${HEAD}spec:\n${spec}`;
/** A CNP with `endpointSelector: {}` on line 7; `body` starts at line 8. */
const cnp = (body: string) => cnpSpec(`  endpointSelector: {}\n${body}`);
/** A CCNP whose spec body starts at line 6. */
const ccnp = (spec: string) => `apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: p\nspec:\n${spec}`;

const CASES: Case[] = [
  { name: 'neither endpointSelector nor nodeSelector', code: 'PW1301', text: cnpSpec('  egress: [{toEntities: [world]}]\n'), path: ['spec'], line: 7, col: 3 },
  { name: 'both selectors', code: 'PW1301', text: ccnp('  endpointSelector: {}\n  nodeSelector: {}\n  ingress: [{}]\n'), path: ['spec', 'nodeSelector'], line: 7, col: 17 },
  { name: 'both selectors in specs[1]', code: 'PW1301', text: ccnp('').replace('spec:\n', 'specs:\n- {endpointSelector: {}, ingress: [{}]}\n- {ingress: [{}]}\n'), path: ['specs', 1], line: 7, col: 3 },
  { name: 'neither spec nor specs', code: 'PW1302', text: HEAD, path: [], line: 1, col: 1 },
  { name: 'no rule section', code: 'PW1303', text: cnp(''), path: ['spec'], line: 7, col: 3 },
  { name: 'toFQDNs with toEndpoints', code: 'PW1304', text: cnp('  egress:\n  - toFQDNs: [{matchName: a.com}]\n    toEndpoints: [{}]\n'), path: ['spec', 'egress', 0, 'toEndpoints'], line: 10, col: 18 },
  { name: 'toFQDNs with toCIDR', code: 'PW1304', text: cnp('  egress:\n  - toCIDR: [10.0.0.0/8]\n    toFQDNs: [{matchName: a.com}]\n'), path: ['spec', 'egress', 0, 'toCIDR'], line: 9, col: 13 },
  { name: 'fromEndpoints with fromCIDR', code: 'PW1305', text: cnp('  ingress:\n  - fromEndpoints: [{}]\n    fromCIDR: [10.0.0.0/8]\n'), path: ['spec', 'ingress', 0, 'fromCIDR'], line: 10, col: 15 },
  { name: 'toCIDR with toCIDRSet', code: 'PW1305', text: cnp('  egressDeny:\n  - toCIDR: [10.0.0.0/8]\n    toCIDRSet: [{cidr: 11.0.0.0/8}]\n'), path: ['spec', 'egressDeny', 0, 'toCIDRSet'], line: 10, col: 16 },
  { name: 'empty FQDN selector', code: 'PW1306', text: cnp('  egress:\n  - toFQDNs:\n    - {}\n'), path: ['spec', 'egress', 0, 'toFQDNs', 0], line: 10, col: 7 },
  { name: 'matchName and matchPattern', code: 'PW1306', text: cnp('  egress:\n  - toFQDNs:\n    - {matchName: a.com, matchPattern: "*.a.com"}\n'), path: ['spec', 'egress', 0, 'toFQDNs', 0], line: 10, col: 7 },
  { name: 'matchName with a space', code: 'PW1307', text: cnp('  egress:\n  - toFQDNs:\n    - matchName: a b.com\n'), path: ['spec', 'egress', 0, 'toFQDNs', 0, 'matchName'], line: 10, col: 18 },
  { name: 'matchName too long', code: 'PW1307', text: cnp(`  egress:\n  - toFQDNs:\n    - matchName: ${'a'.repeat(256)}\n`), path: ['spec', 'egress', 0, 'toFQDNs', 0, 'matchName'], line: 10, col: 18 },
  { name: 'matchPattern with a slash', code: 'PW1308', text: cnp('  egress:\n  - toFQDNs:\n    - matchPattern: "*.a.com/x"\n'), path: ['spec', 'egress', 0, 'toFQDNs', 0, 'matchPattern'], line: 10, col: 21 },
  { name: 'matchPattern with ** inside', code: 'PW1308', text: cnp('  egress:\n  - toFQDNs:\n    - matchPattern: "a.**.com"\n'), path: ['spec', 'egress', 0, 'toFQDNs', 0, 'matchPattern'], line: 10, col: 21 },
  { name: 'DNS rule matchPattern with **', code: 'PW1308', text: cnp('  egress:\n  - toPorts:\n    - ports: [{port: "53"}]\n      rules:\n        dns:\n        - matchPattern: "**"\n'), path: ['spec', 'egress', 0, 'toPorts', 0, 'rules', 'dns', 0, 'matchPattern'], line: 13, col: 25 },
  { name: 'unknown entity', code: 'PW1309', text: cnp('  egress:\n  - toEntities: [world, internet]\n'), path: ['spec', 'egress', 0, 'toEntities', 1], line: 9, col: 25 },
  { name: 'namespace in endpointSelector matchLabels', code: 'PW1320', text: cnpSpec('  endpointSelector:\n    matchLabels:\n      k8s:io.kubernetes.pod.namespace: other\n  ingress: [{}]\n'), path: ['spec', 'endpointSelector', 'matchLabels', 'k8s:io.kubernetes.pod.namespace'], line: 9, col: 40 },
  { name: 'namespace in endpointSelector matchExpressions', code: 'PW1320', text: cnpSpec('  endpointSelector:\n    matchExpressions:\n    - {key: io.kubernetes.pod.namespace, operator: Exists}\n  ingress: [{}]\n'), path: ['spec', 'endpointSelector', 'matchExpressions', 0, 'key'], line: 9, col: 13 },
  { name: 'cidr and cidrGroupRef', code: 'PW1321', text: cnp('  egress:\n  - toCIDRSet:\n    - {cidr: 10.0.0.0/8, cidrGroupRef: g}\n'), path: ['spec', 'egress', 0, 'toCIDRSet', 0], line: 10, col: 7 },
  { name: 'CIDR rule with only except', code: 'PW1321', text: cnp('  ingress:\n  - fromCIDRSet:\n    - except: [10.0.0.0/16]\n'), path: ['spec', 'ingress', 0, 'fromCIDRSet', 0], line: 10, col: 7 },
  { name: 'nodeSelector in a CNP', code: 'PW1324', text: cnpSpec('  nodeSelector: {}\n  ingress: [{}]\n'), path: ['spec', 'nodeSelector'], line: 7, col: 17 },
  // Kubernetes-level codes on Cilium fields.
  { name: 'toCIDR entry without prefix', code: 'PW1211', text: cnp('  egress:\n  - toCIDR: [10.0.0.1]\n'), path: ['spec', 'egress', 0, 'toCIDR', 0], line: 9, col: 14 },
  { name: 'except outside cidr', code: 'PW1212', text: cnp('  egress:\n  - toCIDRSet:\n    - cidr: 10.0.0.0/8\n      except: [11.0.0.0/16]\n'), path: ['spec', 'egress', 0, 'toCIDRSet', 0, 'except', 0], line: 11, col: 16 },
  { name: 'cidrGroupRef not an object name', code: 'PW1201', text: cnp('  egress:\n  - toCIDRSet:\n    - cidrGroupRef: Bad_Group\n'), path: ['spec', 'egress', 0, 'toCIDRSet', 0, 'cidrGroupRef'], line: 10, col: 21 },
  { name: 'selector key after the source prefix', code: 'PW1204', text: cnp('  ingress:\n  - fromEndpoints:\n    - matchLabels: {"k8s:-app": x}\n'), path: ['spec', 'ingress', 0, 'fromEndpoints', 0, 'matchLabels', 'k8s:-app'], line: 10, col: 33 },
];

describe('Cilium rules and peers (PW13xx)', () => {
  it.each(CASES)('$code: $name', expectCase);
});

describe('Cilium rules that are fine', () => {
  const clean = (text: string) => {
    const res = loadManifests([{ file: 'p.yaml', text }]);
    expect(res.diagnostics).toEqual([]);
    expect(res.objects).toHaveLength(1);
  };

  it('accepts the policy namespace itself in the endpointSelector', () => {
    clean(cnpSpec('  endpointSelector:\n    matchLabels: {k8s:io.kubernetes.pod.namespace: default, app: a}\n  ingress: [{}]\n'));
  });

  it('accepts a namespace selector in a CCNP endpointSelector and in peers', () => {
    clean(ccnp('  endpointSelector: {matchLabels: {io.kubernetes.pod.namespace: x}}\n  ingress:\n  - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: y}}]\n'));
  });

  it('accepts reserved and namespace-label selector keys, **. prefixes and the all-names pattern', () => {
    clean(cnp([
      '  ingress:',
      '  - fromEndpoints: [{matchLabels: {"reserved:host": ""}}, {matchLabels: {"io.cilium.k8s.namespace.labels.team": a}}]',
      '  egress:',
      '  - toFQDNs: [{matchPattern: "**.example.com"}, {matchPattern: "*"}, {matchName: "_svc.example.com"}]',
      '  - toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.0.0.0/8]}, {cidrGroupSelector: {matchLabels: {g: a}}}]',
      '',
    ].join('\n')));
  });
});
