import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/api/load.js';
import type { ApiObject } from '../../src/api/types.js';
import { buildEngine } from '../../src/engine/engine.js';
import { lintPolicies, LINT_CODES } from '../../src/engine/lint.js';
import { buildMatrix } from '../../src/engine/matrix.js';
import { defaultPorts } from '../../src/engine/ports.js';
import type { Diagnostic } from '../../src/shared/diagnostic.js';
import { rng } from '../../src/shared/random.js';
import { BASE_CLUSTER, cnp, docs, netpol } from '../support/engine-fixture.js';
import { randomCluster } from '../support/random-cluster.js';

/** Lint `policies` (file policies.yaml) against the fixture cluster (file cluster.yaml, or none with `cluster: ''`). */
function lint(policies: string, cluster = BASE_CLUSTER): Diagnostic[] {
  const sources = [{ file: 'cluster.yaml', text: cluster }, { file: 'policies.yaml', text: policies }].filter((s) => s.text.trim() !== '');
  const loaded = loadManifests(sources);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`fixture does not load: ${JSON.stringify(errors)}`);
  return lintPolicies(loaded.objects, buildEngine(loaded.objects.map((o) => o.object)));
}

/** 1-based line of the `nth` (0-based) line of `text` that contains `needle`. */
function lineOf(text: string, needle: string, nth = 0): number {
  const hits = text.split('\n').map((l, i) => (l.includes(needle) ? i + 1 : 0)).filter((n) => n > 0);
  const line = hits[nth];
  if (line === undefined) throw new Error(`"${needle}" (#${nth}) not in the text`);
  return line;
}

const only = (ds: Diagnostic[], code: string) => ds.filter((d) => d.code === code);
const brief = (ds: Diagnostic[]) => ds.map((d) => ({ code: d.code, path: d.path, line: d.source?.line }));

const KUBE_DNS = '{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s:k8s-app: kube-dns}}';
const SEED_FQDN = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: allow-egress-to-specific-domain, namespace: x}
spec:
  egress:
    - toFQDNs: [{matchName: example.com}, {matchName: api.example.com}, {matchName: google.com}]
      toPorts: [{ports: [{port: "443", protocol: TCP}]}]
  endpointSelector: {matchLabels: {app: a}}
`;

describe('lintPolicies', () => {
  it('finds nothing in a policy that matches what it names', () => {
    const text = netpol('x', 'ok', `
      podSelector: {matchLabels: {app: a}}
      ingress:
      - from: [{podSelector: {matchLabels: {app: b}}}]
        ports: [{port: http}]`);
    expect(lint(text)).toEqual([]);
  });

  it('documents every code with a severity', () => {
    for (const [code, c] of Object.entries(LINT_CODES)) {
      expect(code).toMatch(/^PW2\d{3}$/);
      expect(['warning', 'info']).toContain(c.severity);
    }
  });
});

describe('PW2001/PW2002 policies that select no pod', () => {
  it('PW2001: a NetworkPolicy podSelector that matches no pod', () => {
    const text = netpol('x', 'nobody', `
      podSelector: {matchLabels: {app: nope}}
      policyTypes: [Ingress]`);
    expect(brief(lint(text))).toEqual([{ code: 'PW2001', path: ['spec', 'podSelector'], line: lineOf(text, 'matchLabels: {app: nope}') }]);
  });

  it('PW2001: per specs[i] entry of a Cilium policy', () => {
    const text = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: two, namespace: x}
specs:
  - endpointSelector: {matchLabels: {app: a}}
    ingress: [{fromEntities: [cluster]}]
  - endpointSelector: {matchLabels: {app: nope}}
    ingress: [{fromEntities: [cluster]}]
`;
    expect(brief(only(lint(text), 'PW2001'))).toEqual([{ code: 'PW2001', path: ['specs', 1, 'endpointSelector'], line: 7 }]);
  });

  it('PW2001: a selector that matches only host-network pods', () => {
    const text = netpol('x', 'host', `
      podSelector: {matchLabels: {app: h}}
      policyTypes: [Ingress]`);
    const [d] = only(lint(text), 'PW2001');
    expect(d?.message).toContain('host-network');
  });

  it('PW2002: a host policy is a note, not a warning', () => {
    const text = `apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: host}
spec:
  nodeSelector: {matchLabels: {zone: one}}
  ingress: [{fromEntities: [cluster]}]
`;
    const ds = lint(text);
    expect(brief(ds)).toEqual([{ code: 'PW2002', path: ['spec', 'nodeSelector'], line: 5 }]);
    expect(ds[0]!.severity).toBe('info');
  });

  it('PW2000: without pods, pod-based checks are skipped with one note', () => {
    const text = netpol('x', 'nobody', `
      podSelector: {matchLabels: {app: nope}}
      ingress: [{from: [{podSelector: {matchLabels: {app: zzz}}}]}]`);
    const ds = lint(text, '');
    expect(ds.map((d) => d.code)).toEqual(['PW2000']);
    expect(ds[0]).toMatchObject({ severity: 'info', path: [] });
    expect(ds[0]!.source).toBeUndefined();
  });
});

describe('PW2011-PW2015 peers that match nothing', () => {
  it('PW2011: a podSelector peer that matches no pod', () => {
    const text = netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      ingress:
      - from: [{podSelector: {matchLabels: {app: b}}}, {podSelector: {matchLabels: {app: zzz}}}]`);
    expect(brief(lint(text))).toEqual([{ code: 'PW2011', path: ['spec', 'ingress', 0, 'from', 1], line: lineOf(text, 'app: zzz') }]);
  });

  it('PW2011: a namespaceSelector+podSelector peer whose namespaces have no such pod', () => {
    const text = netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      egress:
      - to:
        - namespaceSelector: {matchLabels: {ns: y}}
          podSelector: {matchLabels: {app: c}}`);
    expect(brief(lint(text))).toEqual([{ code: 'PW2011', path: ['spec', 'egress', 0, 'to', 0], line: lineOf(text, 'namespaceSelector') }]);
  });

  it('PW2012: a namespaceSelector that matches no namespace', () => {
    const text = netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      ingress:
      - from:
        - namespaceSelector: {matchLabels: {team: nobody}}`);
    const ds = lint(text);
    expect(brief(ds)).toEqual([{ code: 'PW2012', path: ['spec', 'ingress', 0, 'from', 0, 'namespaceSelector'], line: lineOf(text, 'team: nobody') }]);
    expect(ds[0]!.message).toContain('kube-system');
  });

  it('PW2013: a Cilium endpoint selector that matches no pod, judged once for all toPorts entries', () => {
    const text = cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      egress:
      - toEndpoints: [{matchLabels: {app: b}}, {matchLabels: {app: zzz}}]
        toPorts: [{ports: [{port: '80', protocol: TCP}]}, {ports: [{port: '81', protocol: TCP}]}]`);
    expect(brief(lint(text))).toEqual([{ code: 'PW2013', path: ['spec', 'egress', 0, 'toEndpoints', 1], line: lineOf(text, 'toEndpoints') }]);
  });

  it('PW2013: not for selectors that may match reserved identities', () => {
    const text = cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      ingress:
      - fromEndpoints: [{matchLabels: {'reserved:host': ''}}]`);
    expect(only(lint(text), 'PW2013')).toEqual([]);
  });

  it('PW2014/PW2015: cidrGroupRef and cidrGroupSelector that name no CiliumCIDRGroup', () => {
    const groups = `apiVersion: cilium.io/v2alpha1
kind: CiliumCIDRGroup
metadata: {name: partners, labels: {kind: partner}}
spec: {externalCIDRs: [198.51.100.0/24]}
---
`;
    const text = groups + cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      egress:
      - toCIDRSet: [{cidrGroupRef: partners}, {cidrGroupRef: vendors}, {cidrGroupSelector: {matchLabels: {kind: vendor}}}]`);
    const line = lineOf(text, 'toCIDRSet');
    expect(brief(lint(text))).toEqual([
      { code: 'PW2014', path: ['spec', 'egress', 0, 'toCIDRSet', 1, 'cidrGroupRef'], line },
      { code: 'PW2015', path: ['spec', 'egress', 0, 'toCIDRSet', 2, 'cidrGroupSelector'], line },
    ]);
  });
});

describe('PW2021-PW2023 toFQDNs without a DNS rule', () => {
  it('PW2021: the seed policy drops its own lookups; positioned at the toFQDNs list', () => {
    const ds = lint(SEED_FQDN);
    expect(brief(ds)).toEqual([{ code: 'PW2021', path: ['spec', 'egress', 0, 'toFQDNs'], line: 6 }]);
    expect(ds[0]!.message).toContain('x/a');
    expect(ds[0]!.message).toContain('toPorts.rules.dns');
  });

  it('PW2021: with no Pod in the input, judged on a stand-in pod with the selector labels', () => {
    const ds = lint(SEED_FQDN, '');
    expect(brief(ds)).toEqual([{ code: 'PW2000', path: [], line: undefined }, { code: 'PW2021', path: ['spec', 'egress', 0, 'toFQDNs'], line: 6 }]);
    expect(ds[1]!.message).toContain('app=a');
  });

  it('PW2022: DNS allowed, but without an L7 DNS rule the proxy never sees the lookups', () => {
    const text = cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      egress:
      - toEndpoints: [${KUBE_DNS}]
        toPorts: [{ports: [{port: '53', protocol: ANY}]}]
      - toFQDNs: [{matchName: example.com}]
        toPorts: [{ports: [{port: '443', protocol: TCP}]}]`);
    expect(brief(lint(text))).toEqual([{ code: 'PW2022', path: ['spec', 'egress', 1, 'toFQDNs'], line: lineOf(text, 'toFQDNs') }]);
  });

  it('PW2023: the DNS rules do not admit a toFQDNs name', () => {
    const text = cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      egress:
      - toEndpoints: [${KUBE_DNS}]
        toPorts: [{ports: [{port: '53', protocol: ANY}], rules: {dns: [{matchPattern: '*.example.com'}]}}]
      - toFQDNs:
        - matchName: api.example.com
        - matchName: google.com
        toPorts: [{ports: [{port: '443', protocol: TCP}]}]`);
    expect(brief(lint(text))).toEqual([{ code: 'PW2023', path: ['spec', 'egress', 1, 'toFQDNs', 1], line: lineOf(text, 'google.com') }]);
  });

  it('is quiet with the DNS rule the Cilium docs give', () => {
    const text = cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      egress:
      - toEndpoints: [${KUBE_DNS}]
        toPorts: [{ports: [{port: '53', protocol: ANY}], rules: {dns: [{matchPattern: '*'}]}}]
      - toFQDNs: [{matchName: example.com}]
        toPorts: [{ports: [{port: '443', protocol: TCP}]}]`);
    expect(lint(text)).toEqual([]);
  });
});

describe('PW2031 shadowed rules', () => {
  it('reports the later of two identical rules, naming the earlier', () => {
    const text = netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      ingress:
      - from: [{podSelector: {matchLabels: {app: b}}}]
        ports: [{port: 80}]
      - from: [{podSelector: {matchLabels: {app: b}}}]
        ports: [{port: 80}]`);
    const ds = lint(text);
    expect(brief(ds)).toEqual([{ code: 'PW2031', path: ['spec', 'ingress', 1], line: lineOf(text, '- from', 1) }]);
    expect(ds[0]!.message).toContain('x/p spec.ingress[0] (policies.yaml:');
  });

  it('specific peers under a rule that allows any peer on a superset of ports', () => {
    const text = netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      ingress:
      - from: [{podSelector: {matchLabels: {app: b}}}]
        ports: [{port: 80}]
      - ports: [{port: 80}, {port: 443}]`);
    expect(brief(lint(text))).toEqual([{ code: 'PW2031', path: ['spec', 'ingress', 0], line: lineOf(text, '- from') }]);
  });

  it('a port range inside another rule\'s range', () => {
    const text = netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      ingress:
      - ports: [{port: 80, endPort: 90}]
      - ports: [{port: 80, endPort: 85}, {port: 87}]`);
    expect(brief(lint(text))).toEqual([{ code: 'PW2031', path: ['spec', 'ingress', 1], line: lineOf(text, '- ports', 1) }]);
  });

  it('specific ports under a rule that allows the same peers on all ports, across policies with the same selector', () => {
    const text = docs(
      netpol('x', 'web', `
        podSelector: {matchLabels: {app: a}}
        ingress:
        - from: [{podSelector: {matchLabels: {app: b}}}]
          ports: [{port: 8000, endPort: 8080}]`),
      netpol('x', 'all-from-b', `
        podSelector: {matchLabels: {app: a}}
        ingress:
        - from: [{podSelector: {matchLabels: {app: b}}}]`),
    );
    const ds = lint(text);
    expect(brief(ds)).toEqual([{ code: 'PW2031', path: ['spec', 'ingress', 0], line: lineOf(text, '- from', 0) }]);
    expect(ds[0]!.message).toContain('x/all-from-b spec.ingress[0]');
  });

  it('covers a Cilium rule by the union of other rules, pair by pair', () => {
    const text = cnp('x', 'p', `
      endpointSelector: {matchLabels: {app: a}}
      egress:
      - toEndpoints: [{matchLabels: {app: b}}]
        toPorts: [{ports: [{port: '80', protocol: TCP}]}]
      - toEndpoints: [{}]
        toPorts: [{ports: [{port: '80', protocol: TCP}, {port: '443', protocol: TCP}]}]
      - toEndpoints: [{matchLabels: {app: b}}, {matchLabels: {app: c}}]
        toPorts: [{ports: [{port: '443', protocol: TCP}]}]`);
    expect(brief(only(lint(text), 'PW2031'))).toEqual([
      { code: 'PW2031', path: ['spec', 'egress', 0], line: lineOf(text, '- toEndpoints', 0) },
      { code: 'PW2031', path: ['spec', 'egress', 2], line: lineOf(text, '- toEndpoints', 2) },
    ]);
  });

  it('never claims shadowing that is not there', () => {
    const cases = [
      // Different ports, protocols or peers.
      netpol('x', 'p', `
        podSelector: {matchLabels: {app: a}}
        ingress:
        - from: [{podSelector: {matchLabels: {app: b}}}]
          ports: [{port: 80}]
        - from: [{podSelector: {matchLabels: {app: b}}}]
          ports: [{port: 80, protocol: UDP}]
        - from: [{podSelector: {matchLabels: {app: c}}}]
          ports: [{port: 80}]`),
      // Same peers and ports, but another policy selecting other pods.
      docs(
        netpol('x', 'p', `
          podSelector: {matchLabels: {app: a}}
          ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]`),
        netpol('x', 'q', `
          podSelector: {}
          ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]`),
      ),
      // An L7 rule is not modelled: never a shadow, never shadowed.
      cnp('x', 'p', `
        endpointSelector: {matchLabels: {app: a}}
        ingress:
        - fromEndpoints: [{matchLabels: {app: b}}]
          toPorts: [{ports: [{port: '80', protocol: TCP}], rules: {http: [{method: GET}]}}]
        - fromEndpoints: [{matchLabels: {app: b}}]
          toPorts: [{ports: [{port: '80', protocol: TCP}]}]`),
      // A selector that can match the host is not covered by an empty selector (which matches only pods).
      cnp(null, 'p', `
        endpointSelector: {matchLabels: {app: a}}
        ingress:
        - fromEndpoints: [{}]
        - fromEndpoints: [{matchExpressions: [{key: app, operator: DoesNotExist}]}]`),
      // Port ranges that overlap without one containing the other.
      netpol('x', 'p', `
        podSelector: {matchLabels: {app: a}}
        ingress:
        - ports: [{port: 80, endPort: 90}]
        - ports: [{port: 80, endPort: 85}, {port: 87, endPort: 95}]`),
    ];
    for (const text of cases) expect(only(lint(text), 'PW2031')).toEqual([]);
  });
});

describe('PW2041 ipBlock covering pod IPs', () => {
  it('names how many pods and which', () => {
    const text = netpol('x', 'p', `
      podSelector: {matchLabels: {app: a}}
      egress:
      - to: [{ipBlock: {cidr: 10.0.1.0/24}}, {ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/16]}}]`);
    const ds = lint(text);
    expect(brief(ds)).toEqual([{ code: 'PW2041', path: ['spec', 'egress', 0, 'to', 0, 'ipBlock'], line: lineOf(text, 'ipBlock') }]);
    expect(ds[0]!.message).toContain('4 pods (x/a, x/b, y/a and 1 more)');
  });
});

describe('PW2051 named ports no pod declares', () => {
  it('ingress: among the selected pods; egress: among all pods, protocol included', () => {
    const text = netpol('x', 'p', `
      podSelector: {matchLabels: {app: c}}
      ingress:
      - ports: [{port: http}]
      egress:
      - ports:
        - {port: http}
        - {port: dns, protocol: TCP}
        - {port: nothere, protocol: UDP}`);
    const ds = lint(text);
    expect(brief(ds)).toEqual([
      { code: 'PW2051', path: ['spec', 'ingress', 0, 'ports', 0, 'port'], line: lineOf(text, '{port: http}', 0) },
      { code: 'PW2051', path: ['spec', 'egress', 0, 'ports', 1, 'port'], line: lineOf(text, 'port: dns') },
      { code: 'PW2051', path: ['spec', 'egress', 0, 'ports', 2, 'port'], line: lineOf(text, 'nothere') },
    ]);
    expect(ds[1]!.message).toContain('declares it as 53/UDP');
  });
});

describe('PW2061 deny-only Cilium policies', () => {
  it('warns at the deny list, unless enableDefaultDeny turns default deny off', () => {
    const text = docs(
      cnp('x', 'deny', `
        endpointSelector: {matchLabels: {app: a}}
        egressDeny: [{toEndpoints: [{matchLabels: {app: b}}]}]`),
      cnp('x', 'deny-ok', `
        endpointSelector: {matchLabels: {app: a}}
        enableDefaultDeny: {egress: false}
        egressDeny: [{toEndpoints: [{matchLabels: {app: c}}]}]`),
    );
    expect(brief(lint(text))).toEqual([{ code: 'PW2061', path: ['spec', 'egressDeny'], line: lineOf(text, 'egressDeny') }]);
  });
});

describe('output order', () => {
  it('is sorted by file, line, column and code', () => {
    const text = docs(
      netpol('x', 'late', `
        podSelector: {matchLabels: {app: nope}}
        ingress: [{from: [{podSelector: {matchLabels: {app: zzz}}}]}]`),
      SEED_FQDN,
    );
    const ds = lint(text);
    const keys = ds.map((d) => [d.source!.line, d.source!.col, d.code] as const);
    expect(keys).toEqual([...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2].localeCompare(b[2])));
    expect(ds.map((d) => d.code)).toEqual(['PW2001', 'PW2011', 'PW2021']);
  });
});

type Json = Record<string, unknown>;
const RULE_LISTS = ['ingress', 'egress'] as const;

/** Add near-copies of existing allow rules (exact, without ports, without peers) so that shadowing happens. */
function withCopies(objects: ApiObject[], seed: number): ApiObject[] {
  const r = rng(seed * 7919);
  return objects.map((o) => {
    if (o.kind !== 'NetworkPolicy' && o.kind !== 'CiliumNetworkPolicy' && o.kind !== 'CiliumClusterwideNetworkPolicy') return o;
    const copy = structuredClone(o) as unknown as { kind: string; spec: Json };
    const np = copy.kind === 'NetworkPolicy';
    for (const list of RULE_LISTS) {
      const rules = copy.spec[list] as Json[] | undefined;
      if (!rules?.length || r() < 0.3) continue;
      const extra = structuredClone(rules[Math.floor(r() * rules.length)]!);
      const roll = r();
      if (roll < 0.33) delete extra[np ? 'ports' : 'toPorts'];
      else if (roll < 0.66) for (const k of Object.keys(extra)) if (k !== 'ports' && k !== 'toPorts') delete extra[k];
      if (Object.keys(extra).length === 0 && !np) continue;
      rules.splice(Math.floor(r() * (rules.length + 1)), 0, extra);
    }
    return copy as unknown as ApiObject;
  });
}

/** Replace the rule at `path` by one that allows nothing but keeps its policy's isolation. */
function neutralise(object: ApiObject, path: readonly (string | number)[]): void {
  let list: unknown = object;
  for (const k of path.slice(0, -1)) list = (list as Record<string | number, unknown>)[k];
  const dir = String(path[path.length - 2]);
  const none = { matchLabels: { 'podwall.test/none': 'x' } };
  const rule = object.kind === 'NetworkPolicy'
    ? { [dir === 'ingress' ? 'from' : 'to']: [{ podSelector: none }] }
    : { [dir === 'ingress' ? 'fromEndpoints' : 'toEndpoints']: [none] };
  (list as unknown[])[path[path.length - 1] as number] = rule;
}

describe('PW2031 is sound on random clusters', () => {
  // Neutralising every reported rule (so it allows nothing, isolation kept) must not change any verdict.
  for (let seed = 1; seed <= 60; seed++) {
    it(`random cluster ${seed}`, () => {
      const objects = withCopies(randomCluster(seed), seed);
      // One document per object, so a diagnostic's doc index is the object's index.
      const text = objects.map((o) => stringify(o)).join('---\n');
      const loaded = loadManifests([{ file: 'random.yaml', text }]);
      // A few random CNPs are invalid (a spec without rules): nothing to lint there.
      if (loaded.diagnostics.some((d) => d.severity === 'error')) return;
      const before = buildEngine(loaded.objects.map((o) => o.object));
      const shadowed = only(lintPolicies(loaded.objects, before), 'PW2031');
      if (shadowed.length === 0) return;
      expect(loaded.objects).toHaveLength(objects.length);
      const changed = loaded.objects.map((o) => structuredClone(o.object));
      for (const d of shadowed) neutralise(changed[d.source!.doc]!, d.path);
      const after = buildEngine(changed);
      const wrong: string[] = [];
      for (const pp of defaultPorts(before.cluster, before.policies)) {
        const m1 = buildMatrix(before, pp);
        const m2 = buildMatrix(after, pp);
        const n = before.cluster.pods.length;
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (m1.allowed(i, j) !== m2.allowed(i, j)) wrong.push(`${i}->${j} ${pp.port}`);
      }
      expect({ shadowed: shadowed.map((d) => d.path), wrong }).toEqual({ shadowed: shadowed.map((d) => d.path), wrong: [] });
    });
  }
});
