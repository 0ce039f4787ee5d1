import { describe, it } from 'vitest';
import { expectCase, type Case } from '../../../test/support/validate-case.js';

/** Each case: a small manifest, the code it must produce, where (path), and the file position of that path. */

/** A NetworkPolicy in namespace demo; `spec` lines start at line 7, indented by two spaces. */
const np = (spec: string, meta = '  name: p\n  namespace: demo\n') =>
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n${meta}spec:\n${spec}`;

const ingressPorts = (ports: string) => np(`  ingress:\n  - ports:\n${ports}`); // first port line: 9
const fromPeer = (peer: string) => np(`  ingress:\n  - from:\n${peer}`); // first peer line: 9

const NP_CASES: Case[] = [
  { name: 'name not a DNS-1123 subdomain', code: 'PW1201', text: np('  podSelector: {}\n', '  name: Bad_Name\n'), path: ['metadata', 'name'], line: 4, col: 9 },
  { name: 'namespace not a DNS-1123 label', code: 'PW1202', text: np('  podSelector: {}\n', '  name: p\n  namespace: Demo.x\n'), path: ['metadata', 'namespace'], line: 5, col: 14 },
  { name: 'endPort before port', code: 'PW1203', text: ingressPorts('    - port: 80\n      endPort: 70\n'), path: ['spec', 'ingress', 0, 'ports', 0, 'endPort'], line: 10, col: 16 },
  { name: 'label key with two slashes', code: 'PW1204', text: np('  podSelector:\n    matchLabels:\n      a/b/c: x\n'), path: ['spec', 'podSelector', 'matchLabels', 'a/b/c'], line: 9, col: 14 },
  { name: 'matchExpressions key too long', code: 'PW1204', text: np(`  podSelector:\n    matchExpressions:\n    - key: ${'k'.repeat(64)}\n      operator: Exists\n`), path: ['spec', 'podSelector', 'matchExpressions', 0, 'key'], line: 9, col: 12 },
  { name: 'label value with a space', code: 'PW1205', text: np('  podSelector:\n    matchLabels:\n      app: a b\n'), path: ['spec', 'podSelector', 'matchLabels', 'app'], line: 9, col: 12 },
  { name: 'In without values', code: 'PW1206', text: np('  podSelector:\n    matchExpressions:\n    - key: app\n      operator: In\n'), path: ['spec', 'podSelector', 'matchExpressions', 0], line: 9, col: 7 },
  { name: 'NotIn with empty values', code: 'PW1206', text: np('  podSelector:\n    matchExpressions:\n    - key: app\n      operator: NotIn\n      values: []\n'), path: ['spec', 'podSelector', 'matchExpressions', 0, 'values'], line: 11, col: 15 },
  { name: 'Exists with values', code: 'PW1207', text: np('  podSelector:\n    matchExpressions:\n    - key: app\n      operator: Exists\n      values: [a]\n'), path: ['spec', 'podSelector', 'matchExpressions', 0, 'values'], line: 11, col: 15 },
  { name: 'port 0', code: 'PW1208', text: ingressPorts('    - port: 0\n'), path: ['spec', 'ingress', 0, 'ports', 0, 'port'], line: 9, col: 13 },
  { name: 'endPort above 65535', code: 'PW1208', text: ingressPorts('    - port: 80\n      endPort: 70000\n'), path: ['spec', 'ingress', 0, 'ports', 0, 'endPort'], line: 10, col: 16 },
  { name: 'quoted number as port', code: 'PW1209', text: ingressPorts('    - port: "80"\n'), path: ['spec', 'ingress', 0, 'ports', 0, 'port'], line: 9, col: 13 },
  { name: 'port name with underscore', code: 'PW1209', text: ingressPorts('    - port: my_port\n'), path: ['spec', 'ingress', 0, 'ports', 0, 'port'], line: 9, col: 13 },
  { name: 'endPort without port', code: 'PW1210', text: ingressPorts('    - endPort: 90\n'), path: ['spec', 'ingress', 0, 'ports', 0, 'endPort'], line: 9, col: 16 },
  { name: 'endPort with a named port', code: 'PW1210', text: ingressPorts('    - port: http\n      endPort: 90\n'), path: ['spec', 'ingress', 0, 'ports', 0, 'endPort'], line: 10, col: 16 },
  { name: 'cidr prefix too long', code: 'PW1211', text: fromPeer('    - ipBlock:\n        cidr: 10.0.0.0/33\n'), path: ['spec', 'ingress', 0, 'from', 0, 'ipBlock', 'cidr'], line: 10, col: 15 },
  { name: 'except not a CIDR', code: 'PW1211', text: fromPeer('    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [10.1.0.0]\n'), path: ['spec', 'ingress', 0, 'from', 0, 'ipBlock', 'except', 0], line: 11, col: 18 },
  { name: 'except equal to cidr', code: 'PW1212', text: fromPeer('    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: [10.0.0.0/8]\n'), path: ['spec', 'ingress', 0, 'from', 0, 'ipBlock', 'except', 0], line: 11, col: 18 },
  { name: 'except of the other family', code: 'PW1212', text: fromPeer('    - ipBlock:\n        cidr: 10.0.0.0/8\n        except: ["fd00::/64"]\n'), path: ['spec', 'ingress', 0, 'from', 0, 'ipBlock', 'except', 0], line: 11, col: 18 },
  { name: 'ipBlock with podSelector', code: 'PW1213', text: fromPeer('    - podSelector: {}\n      ipBlock:\n        cidr: 10.0.0.0/8\n'), path: ['spec', 'ingress', 0, 'from', 0, 'ipBlock'], line: 11, col: 9 },
  { name: 'empty peer', code: 'PW1214', text: fromPeer('    - {}\n'), path: ['spec', 'ingress', 0, 'from', 0], line: 9, col: 7 },
  { name: 'policyTypes twice', code: 'PW1215', text: np('  policyTypes: [Ingress, Ingress]\n'), path: ['spec', 'policyTypes', 1], line: 7, col: 26 },
];

describe('NetworkPolicy semantics (PW12xx)', () => {
  it.each(NP_CASES)('$code: $name', expectCase);
});

const OTHER_CASES: Case[] = [
  { name: 'Service name not a DNS-1035 label', code: 'PW1201', text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: 1svc\n', path: ['metadata', 'name'], line: 4, col: 9 },
  { name: 'Namespace name with a dot', code: 'PW1201', text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a.b\n', path: ['metadata', 'name'], line: 4, col: 9 },
  { name: 'metadata label key with a bad prefix', code: 'PW1204', text: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    Example.com/x: y\n', path: ['metadata', 'labels', 'Example.com/x'], line: 6, col: 20 },
  { name: 'pod IP', code: 'PW1216', text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nstatus:\n  podIP: 10.0.0.300\n', path: ['status', 'podIP'], line: 6, col: 10 },
  { name: 'container port', code: 'PW1208', text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - ports:\n    - containerPort: 0\n', path: ['spec', 'containers', 0, 'ports', 0, 'containerPort'], line: 8, col: 22 },
  { name: 'container port name', code: 'PW1209', text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - ports:\n    - containerPort: 80\n      name: Web\n', path: ['spec', 'containers', 0, 'ports', 0, 'name'], line: 9, col: 13 },
  { name: 'Service clusterIP', code: 'PW1216', text: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  clusterIP: 10.96.0\n', path: ['spec', 'clusterIP'], line: 6, col: 14 },
  { name: 'Node podCIDR', code: 'PW1211', text: 'apiVersion: v1\nkind: Node\nmetadata:\n  name: n\nspec:\n  podCIDR: 10.244.0.0\n', path: ['spec', 'podCIDR'], line: 6, col: 12 },
  { name: 'CiliumCIDRGroup externalCIDRs', code: 'PW1211', text: 'apiVersion: cilium.io/v2\nkind: CiliumCIDRGroup\nmetadata:\n  name: g\nspec:\n  externalCIDRs:\n  - 192.0.2.0/24\n  - 192.0.2.1/40\n', path: ['spec', 'externalCIDRs', 1], line: 8, col: 5 },
];

describe('other kinds (PW12xx)', () => {
  it.each(OTHER_CASES)('$code: $name', expectCase);
});
