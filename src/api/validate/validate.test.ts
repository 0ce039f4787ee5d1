import { describe, expect, it } from 'vitest';
import { loadManifests } from '../load.js';
import { parseManifestText } from '../source.js';
import type { NetworkPolicy } from '../types.js';
import { validateDocument } from './index.js';

const load = (text: string) => loadManifests([{ file: 'p.yaml', text }]);
const errors = (text: string) => load(text).diagnostics.filter((d) => d.severity === 'error');

const SEED = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: demo-policy, namespace: demo}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 80, protocol: TCP}]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: allow-egress-to-specific-domain}
spec:
  egress:
    - toFQDNs: [{matchName: example.com}, {matchName: api.example.com}]
      toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  endpointSelector: {matchLabels: {app: client}}
`;

const FULL_NP = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: full.policy-1
  namespace: prod
  labels: {app.kubernetes.io/name: web, tier: ""}
  annotations: {note: anything goes}
  uid: 0d7c1f9e
  resourceVersion: "12"
spec:
  podSelector:
    matchLabels: {app: web}
    matchExpressions:
    - {key: tier, operator: In, values: [front, ""]}
    - {key: legacy, operator: DoesNotExist}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
      podSelector: {matchLabels: {app: prometheus}}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.3.0/24]}
    - ipBlock: {cidr: "fd00::/8", except: ["fd00:1::/32"]}
    ports:
    - {port: 8080}
    - {port: metrics, protocol: TCP}
    - {port: 30000, endPort: 32767, protocol: UDP}
    - {protocol: SCTP}
  - {}
  egress:
  - to: [{podSelector: {}}]
  - ports: [{port: 53, protocol: UDP}]
`;

const FULL_CNP = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: full, namespace: prod, labels: {team: a}}
specs:
- description: ingress and deny
  endpointSelector:
    matchLabels: {app: web, k8s:io.kubernetes.pod.namespace: prod}
    matchExpressions: [{key: "k8s:tier", operator: NotIn, values: [db]}]
  ingress:
  - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: monitoring, "any:app": prometheus}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}, {port: "9000", endPort: 9100}]}]
  - fromEntities: [cluster, host, remote-node]
  - fromCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.128/25]}, {cidrGroupRef: partners}]
  ingressDeny:
  - fromCIDR: ["198.51.100.0/24", "2001:db8::/32"]
    toPorts: [{ports: [{port: "22"}]}]
  enableDefaultDeny: {ingress: true, egress: false}
- endpointSelector: {}
  egress:
  - toEndpoints:
    - matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns}
    toPorts:
    - ports: [{port: "53", protocol: ANY}]
      rules:
        dns: [{matchPattern: "*.example.com"}, {matchName: example.com}]
  - toFQDNs: [{matchPattern: "**.example.com"}]
    toPorts: [{ports: [{port: https, protocol: TCP}]}]
  - toEntities: [world]
    toPorts: [{ports: [{port: "443", protocol: TCP}], serverNames: [example.com]}]
  - toPorts:
    - ports: [{port: "80", protocol: TCP}]
      rules: {http: [{method: GET, path: "/api/.*"}]}
  egressDeny:
  - toCIDRSet: [{cidrGroupSelector: {matchLabels: {env: bad}}}]
    toPorts: [{ports: [{port: "25"}]}]
  - icmps: [{fields: [{type: 8, family: IPv4}]}]
`;

const OTHERS = `apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: host-fw}
spec:
  nodeSelector: {matchLabels: {node-role.kubernetes.io/worker: ""}}
  ingress:
  - fromEntities: [remote-node, health]
  - toPorts: [{ports: [{port: "22", protocol: TCP}]}]
  egress:
  - toEntities: [kube-apiserver]
  - toPorts:
    - ports: [{port: "53", protocol: UDP}]
      rules: {dns: [{matchPattern: "*"}]}
---
apiVersion: cilium.io/v2alpha1
kind: CiliumCIDRGroup
metadata: {name: partners, labels: {env: ok}}
spec: {externalCIDRs: [203.0.113.0/24, "2001:db8:1::/48"]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: prod}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}, {port: 443, targetPort: 8443}]
---
apiVersion: v1
kind: Node
metadata: {name: node-1.example}
spec: {podCIDR: 10.244.0.0/24, podCIDRs: [10.244.0.0/24]}
status: {addresses: [{type: InternalIP, address: 10.0.0.1}, {type: Hostname, address: node-1}]}
`;

describe('valid manifests', () => {
  it.each([
    ['the seed examples', SEED, 2],
    ['a full-featured NetworkPolicy', FULL_NP, 1],
    ['a full-featured CiliumNetworkPolicy', FULL_CNP, 1],
    ['a host policy, a CIDR group, a Service and a Node', OTHERS, 4],
  ])('loads %s without diagnostics', (_name, text, count) => {
    const res = load(text);
    expect(res.diagnostics).toEqual([]);
    expect(res.objects).toHaveLength(count);
  });

  it('gives a NetworkPolicy without spec the empty spec, as the API server does', () => {
    const res = load('apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all}\n');
    expect((res.objects[0]?.object as NetworkPolicy).spec).toEqual({});
  });
});

describe('reporting', () => {
  it('reports every error of a document at once', () => {
    const text = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: Bad_Name, namespace: demo}
spec:
  podSelector: {matchLabels: {app: "a b"}}
  policyTyps: [Ingress]
  ingress:
  - from: [{}, {ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}, podSelector: {}}]
    ports: [{port: 80, endPort: 70, protocol: tcp}, {port: 0}]
`;
    const got = errors(text).map((d) => `${d.code} ${d.path.join('.')}`).sort();
    expect(got).toEqual([
      'PW1102 spec.policyTyps',
      'PW1104 spec.ingress.0.ports.0.protocol',
      'PW1201 metadata.name',
      'PW1203 spec.ingress.0.ports.0.endPort',
      'PW1205 spec.podSelector.matchLabels.app',
      'PW1208 spec.ingress.0.ports.1.port',
      'PW1212 spec.ingress.0.from.1.ipBlock.except.0',
      'PW1213 spec.ingress.0.from.1.ipBlock',
      'PW1214 spec.ingress.0.from.0',
    ]);
  });

  it('loads no object from a file with an error, even from its valid documents', () => {
    const res = load(`${SEED}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: Bad}\n`);
    expect(res.diagnostics.map((d) => d.code)).toEqual(['PW1201']);
    expect(res.diagnostics[0]?.source).toMatchObject({ file: 'p.yaml', doc: 2, line: 21, col: 18 });
    expect(res.objects).toEqual([]);
  });

  it('keeps the objects of other files', () => {
    const res = loadManifests([{ file: 'good.yaml', text: SEED }, { file: 'bad.yaml', text: 'apiVersion: v1\nkind: Namespace\nmetadata: {}\n' }]);
    expect(res.diagnostics.map((d) => [d.code, d.source?.file])).toEqual([['PW1103', 'bad.yaml']]);
    expect(res.objects).toHaveLength(2);
  });

  it('validates the items of a List with positions inside the list', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: ok}\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: NotOk}\n';
    const res = load(text);
    expect(res.diagnostics.map((d) => ({ code: d.code, path: d.path, line: d.source?.line, col: d.source?.col })))
      .toEqual([{ code: 'PW1201', path: ['metadata', 'name'], line: 9, col: 20 }]);
  });

  it('never throws on documents of any shape', () => {
    const shapes = ['spec: 1', 'spec: {ingress: 3}', 'spec: {ingress: [1, null, [2]]}', 'specs: {}', 'spec: {egress: [{toPorts: 7}]}',
      'spec: {egress: [{toPorts: [{ports: [null, {port: [1]}], rules: []}]}]}', 'metadata: 5', 'metadata: {labels: [1]}'];
    for (const kind of ['NetworkPolicy', 'CiliumNetworkPolicy', 'Pod', 'CiliumCIDRGroup']) {
      for (const body of shapes) {
        const apiVersion = kind.startsWith('Cilium') ? 'cilium.io/v2' : kind === 'Pod' ? 'v1' : 'networking.k8s.io/v1';
        const doc = parseManifestText(`apiVersion: ${apiVersion}\nkind: ${kind}\n${body}\n`, 'x.yaml').docs[0];
        if (!doc) throw new Error('no document');
        expect(() => validateDocument(doc)).not.toThrow();
        expect(validateDocument(doc).object).toBeUndefined();
      }
    }
  });
});
