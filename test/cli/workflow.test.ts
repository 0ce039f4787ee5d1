import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { formatLabelSelector, parseSelectorArg } from '../../src/cli/label-selector.js';
import { humanDuration } from '../../src/cli/output/age.js';
import { tabwrite } from '../../src/cli/output/describe-text.js';
import { formatTable } from '../../src/cli/output/kube-table.js';
import { openStore } from '../../src/store/index.js';
import { podwall } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'podwall-workflow-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let stores = 0;
/** A fresh store path: every describe block works on its own store. */
const newStore = () => join(tmp, `store${stores++}`, 'store.db');

function write(rel: string, text: string): string {
  const p = join(tmp, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

/** Rows of a kubectl table, split on runs of 2+ spaces (cells never contain those). */
const table = (out: string) => out.trimEnd().split('\n').map((l) => l.split(/ {2,}/));

describe('podwall apply', () => {
  const store = newStore();
  const pw = (...args: string[]) => podwall([...args, '--store', store]);

  it('applies the seed in one go with kubectl lines, and lints the result to stderr', () => {
    const r = pw('apply', '-f', 'examples/seed');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain('networkpolicy.networking.k8s.io/demo-policy created');
    expect(lines).toContain('pod/client created');
    expect(lines).toContain('namespace/demo created');
    expect(lines).toContain('namespace/default unchanged'); // always exists
    expect(lines).toContain('node/node1 created');
    expect(r.stderr).toMatch(/demo-policy\.yaml:\d+:\d+: warning PW2011/); // from app=client matches no pod yet
  });

  it('re-applying says unchanged; a change says configured', () => {
    expect(pw('apply', '-f', 'examples/seed/calico-demo').stdout).toBe(
      'pod/client unchanged\nnetworkpolicy.networking.k8s.io/demo-policy unchanged\npod/server unchanged\n');
    const changed = write('apply/demo-policy.yaml', `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: demo-policy, namespace: demo}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 8080, protocol: TCP}]
`);
    const r = pw('apply', '-f', changed);
    expect(r).toMatchObject({ code: 0, stdout: 'networkpolicy.networking.k8s.io/demo-policy configured\n' });
  });

  it('invalid input: exit 1, the position in the message, nothing written', () => {
    const good = write('invalid/good.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: fresh}\n');
    const bad = write('invalid/bad.yaml', `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: demo}
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 90
      endPort: 80
`);
    const r = pw('apply', '-f', good, '-f', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${bad}:9:16: error PW1203`);
    expect(r.stderr).toContain('nothing was applied');
    expect(pw('get', 'ns', 'fresh').code).toBe(1);
  });

  it('a namespace that does not exist: kubectl NotFound, exit 1, nothing written', () => {
    const f = write('nons/pods.yaml', `apiVersion: v1
kind: Pod
metadata: {name: ok, namespace: default}
---
apiVersion: v1
kind: Pod
metadata: {name: lost, namespace: nowhere}
`);
    const r = pw('apply', '-f', f);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Error from server (NotFound): namespaces "nowhere" not found');
    expect(pw('get', 'pod', 'ok').code).toBe(1);
  });

  it('warns about toFQDNs without a DNS rule, without changing the exit code', () => {
    const r = podwall(['apply', '-f', 'examples/seed-cilium', '--store', newStore()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ciliumnetworkpolicy.cilium.io/allow-egress-to-specific-domain created\n');
    expect(r.stderr).toMatch(/allow-egress-to-specific-domain\.yaml:\d+:\d+: warning PW2021/);
  });
});

describe('podwall create namespace', () => {
  const store = newStore();
  it('creates, then AlreadyExists with exit 1; invalid names exit 1', () => {
    expect(podwall(['create', 'namespace', 'demo', '--store', store])).toMatchObject({ code: 0, stdout: 'namespace/demo created\n' });
    const again = podwall(['create', 'ns', 'demo', '--store', store]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe('Error from server (AlreadyExists): namespaces "demo" already exists');
    const bad = podwall(['create', 'namespace', 'Not_Valid', '--store', store]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('The Namespace "Not_Valid" is invalid');
  });
});

describe('podwall get', () => {
  const store = newStore();
  const pw = (...args: string[]) => podwall([...args, '--store', store]);
  pw('apply', '-f', 'examples/seed', '-f', 'examples/seed-cilium/allow-egress-to-specific-domain.yaml');

  it('pods: kubectl columns, AGE from the creation time', () => {
    const rows = table(pw('get', 'pods', '-n', 'demo').stdout);
    expect(rows[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(rows.slice(1).map((r) => r.slice(0, 4))).toEqual([['client', '1/1', 'Running', '0'], ['server', '1/1', 'Running', '0']]);
    expect(rows[1]![4]).toMatch(/^\d+s$/);
  });

  it('-A adds NAMESPACE, -o wide the IP and NODE columns, --show-labels LABELS', () => {
    const rows = table(pw('get', 'po', '-A', '-o', 'wide', '--show-labels').stdout);
    expect(rows[0]).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES', 'LABELS']);
    const server = rows.find((r) => r[1] === 'server')!;
    expect(server[0]).toBe('demo');
    expect(server.slice(6)).toEqual(['10.244.0.107', 'node1', '<none>', '<none>', 'app=server']);
    expect(rows.find((r) => r[1] === 'client')![10]).toBe('<none>');
  });

  it('netpol NAME POD-SELECTOR AGE; cnp -A NAMESPACE NAME AGE; nodes; namespaces', () => {
    const np = table(pw('get', 'netpol', '-n', 'demo').stdout);
    expect(np[0]).toEqual(['NAME', 'POD-SELECTOR', 'AGE']);
    expect(np[1]!.slice(0, 2)).toEqual(['demo-policy', 'app=server']);
    const cnp = table(pw('get', 'cnp', '-A').stdout);
    expect(cnp[0]).toEqual(['NAMESPACE', 'NAME', 'AGE']);
    expect(cnp[1]!.slice(0, 2)).toEqual(['demo', 'allow-egress-to-specific-domain']);
    expect(table(pw('get', 'nodes').stdout)[0]).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    expect(table(pw('get', 'ns').stdout).map((r) => r[0])).toEqual(['NAME', 'default', 'demo', 'kube-system']);
  });

  it('-l selects by label; -o name prints kind/name', () => {
    expect(pw('get', 'pods', '-A', '-l', 'app in (server,frontend)', '-o', 'name').stdout).toBe('pod/frontend\npod/server\n');
    expect(pw('get', 'pods', '-n', 'demo', '-l', '!app', '-o', 'name').stdout).toBe('pod/client\n');
    expect(pw('get', 'netpol', '-A', '-o', 'name').stdout).toContain('networkpolicy.networking.k8s.io/demo-policy\n');
  });

  it('-o json: the object for one NAME, a List otherwise; -o yaml the same', () => {
    const one = JSON.parse(pw('get', 'pod', 'server', '-n', 'demo', '-o', 'json').stdout);
    expect(one).toMatchObject({ kind: 'Pod', metadata: { name: 'server', namespace: 'demo', labels: { app: 'server' } } });
    expect(one.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const list = JSON.parse(pw('get', 'pods', '-n', 'demo', '-o', 'json').stdout);
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['client', 'server']);
    const yaml = parse(pw('get', 'netpol', '-n', 'demo', '-o', 'yaml').stdout);
    expect(yaml.kind).toBe('List');
    expect(yaml.items[0].spec.podSelector).toEqual({ matchLabels: { app: 'server' } });
    expect(parse(pw('get', 'netpol', 'demo-policy', '-n', 'demo', '-o', 'yaml').stdout).kind).toBe('NetworkPolicy');
  });

  it('NotFound exits 1 with kubectl\'s message; nothing found is not an error', () => {
    const r = pw('get', 'pod', 'nope', '-n', 'demo');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Error from server (NotFound): pods "nope" not found');
    expect(pw('get', 'pods', '-n', 'empty')).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in empty namespace.\n' });
    expect(pw('get', 'widgets').code).toBe(2);
  });

  it('a store that does not exist reads as empty and is not created', () => {
    const path = join(tmp, 'never', 'store.db');
    expect(podwall(['get', 'pods', '-A', '--store', path])).toMatchObject({ code: 0, stderr: 'No resources found\n' });
    expect(podwall(['get', 'pods', '-A', '--store', path]).code).toBe(0);
  });
});

describe('podwall label', () => {
  const store = newStore();
  const pw = (...args: string[]) => podwall([...args, '--store', store]);
  pw('apply', '-f', 'examples/seed/calico-demo', '-f', 'examples/seed/namespaces.yaml');

  it('adds a label; changing it needs --overwrite; the same value is fine', () => {
    expect(pw('label', 'pod', 'client', '-n', 'demo', 'app=client')).toMatchObject({ code: 0, stdout: 'pod/client labeled\n' });
    const conflict = pw('label', 'pod', 'client', '-n', 'demo', 'app=other');
    expect(conflict.code).toBe(1);
    expect(conflict.stderr.trim()).toBe("error: 'app' already has a value (client), and --overwrite is false");
    expect(pw('label', 'pod', 'client', '-n', 'demo', 'app=client').stdout).toBe('pod/client not labeled\n');
    expect(pw('label', 'pod', 'client', '-n', 'demo', 'app=other', '--overwrite').stdout).toBe('pod/client labeled\n');
    expect(JSON.parse(pw('get', 'pod', 'client', '-n', 'demo', '-o', 'json').stdout).metadata.labels).toEqual({ app: 'other' });
  });

  it('KEY- removes; TYPE/NAME works; namespaces too; bad keys and missing objects exit 1', () => {
    expect(pw('label', 'pod/client', '-n', 'demo', 'app-').stdout).toBe('pod/client unlabeled\n');
    expect(pw('label', 'namespace', 'demo', 'team=blue').stdout).toBe('namespace/demo labeled\n');
    expect(table(pw('get', 'ns', 'demo', '--show-labels').stdout)[1]![3]).toBe('kubernetes.io/metadata.name=demo,team=blue');
    expect(pw('label', 'pod', 'client', '-n', 'demo', 'b@d=x').code).toBe(1);
    const missing = pw('label', 'pod', 'ghost', '-n', 'demo', 'a=b');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): pods "ghost" not found');
  });
});

describe('podwall describe', () => {
  const store = newStore();
  const pw = (...args: string[]) => podwall([...args, '--store', store]);
  pw('apply', '-f', 'examples/seed');

  it("netpol: kubectl's layout, and the seed's demo-policy selects demo/server, not the unlabelled client", () => {
    const r = pw('describe', 'netpol', 'demo-policy', '-n', 'demo');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Name:         demo-policy\nNamespace:    demo\n');
    expect(r.stdout).toContain([
      'Spec:',
      '  PodSelector:     app=server',
      '  Allowing ingress traffic:',
      '    To Port: 80/TCP',
      '    From:',
      '      PodSelector: app=client',
      '  Not affecting egress traffic',
      '  Policy Types: Ingress',
      'Selected pods:  demo/server',
    ].join('\n'));
    expect(r.stdout).not.toContain('demo/client');
  });

  it('pod: isolation per direction from the engine, with the selecting policy\'s rules', () => {
    const server = pw('describe', 'pod', 'server', '-n', 'demo').stdout;
    expect(server).toMatch(/^Name: +server$/m);
    expect(server).toMatch(/^IP: +10\.244\.0\.107$/m);
    expect(server).toMatch(/^Node: +node1\/10\.0\.0\.1$/m);
    expect(server).toContain('  Ingress:  isolated by networkpolicy.networking.k8s.io/demo-policy (default deny)');
    expect(server).toContain('        From:\n          namespace demo and podSelector {app=client}');
    expect(server).toContain('  Egress:   not isolated');
    const client = pw('describe', 'pod', 'client', '-n', 'demo').stdout;
    expect(client).toMatch(/^Labels: +<none>$/m);
    expect(client).toContain('  Ingress:  not isolated: no policy selects the pod for ingress');
    expect(client).not.toContain('demo-policy');
  });

  it('cnp: the rules from the engine and the pods selected', () => {
    const s = newStore();
    podwall(['apply', '-f', 'examples/seed-cilium', '--store', s]);
    const r = podwall(['describe', 'cnp', 'allow-egress-to-specific-domain', '-n', 'demo', '--store', s]);
    expect(r.stdout).toContain('  Allowing egress traffic:');
    expect(r.stdout).toContain('toFQDNs matchName: example.com');
    expect(r.stdout).toContain('  Default Deny: Egress');
    expect(r.stdout).toContain('Selected pods:  demo/curl');
  });

  it('a missing object is NotFound, exit 1', () => {
    expect(pw('describe', 'pod', 'ghost', '-n', 'demo')).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): pods "ghost" not found\n' });
  });
});

describe('podwall delete', () => {
  const store = newStore();
  const pw = (...args: string[]) => podwall([...args, '--store', store]);
  pw('apply', '-f', 'examples/seed');

  it('deletes by TYPE NAME with kubectl\'s line; NotFound exits 1 after deleting the rest', () => {
    expect(pw('delete', 'pod', 'frontend')).toMatchObject({ code: 0, stdout: 'pod "frontend" deleted\n' });
    const r = pw('delete', 'pod', 'backend', 'frontend');
    expect(r).toMatchObject({ code: 1, stdout: 'pod "backend" deleted\n' });
    expect(r.stderr.trim()).toBe('Error from server (NotFound): pods "frontend" not found');
    expect(pw('delete', 'netpol', 'backend-policy')).toMatchObject({ code: 0, stdout: 'networkpolicy.networking.k8s.io "backend-policy" deleted\n' });
  });

  it('deleting a namespace deletes everything in it; default cannot be deleted', () => {
    expect(pw('delete', 'namespace', 'demo')).toMatchObject({ code: 0, stdout: 'namespace "demo" deleted\n' });
    expect(pw('get', 'pods', '-n', 'demo').stdout).toBe('');
    expect(pw('get', 'netpol', '-A', '-o', 'name').stdout).not.toContain('demo-policy');
    const forbidden = pw('delete', 'ns', 'default');
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('Error from server (Forbidden): namespaces "default" is forbidden');
  });

  it('-f deletes what the manifests name', () => {
    const r = pw('delete', '-f', 'examples/seed/kube-dns.yaml');
    expect(r).toMatchObject({ code: 0, stdout: 'pod "coredns" deleted\nservice "kube-dns" deleted\n' });
    const again = pw('delete', '-f', 'examples/seed/kube-dns.yaml');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Error from server (NotFound): error when deleting "examples/seed/kube-dns.yaml": pods "coredns" not found');
  });
});

describe('podwall lab update', () => {
  it('stores the network policy setting', () => {
    const store = newStore();
    const r = podwall(['lab', 'update', '--network-policy', 'none', '--store', store]);
    expect(r).toMatchObject({ code: 0, stdout: 'network policy enforcement: none\n' });
    const s = openStore(store);
    expect(s.settings().networkPolicy).toBe('none');
    s.close();
    expect(podwall(['lab', 'update', '--network-policy', 'off', '--store', store]).code).toBe(2);
  });
});

describe('--help', () => {
  it.each([['apply'], ['get'], ['describe'], ['label'], ['delete'], ['create', 'namespace'], ['lab', 'update']])('%s has examples', (...verb) => {
    const r = podwall([...verb, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
  });
});

describe('kubectl formatting helpers', () => {
  it('AGE as kubectl prints it (HumanDuration)', () => {
    const s = 1000;
    const cases: [number, string][] = [
      [17 * s, '17s'], [119 * s, '119s'], [260 * s, '4m20s'], [300 * s, '5m'], [11 * 60 * s, '11m'], [179 * 60 * s, '179m'],
      [3 * 3600 * s, '3h'], [3.5 * 3600 * s, '3h30m'], [20 * 3600 * s, '20h'], [5 * 86400 * s, '5d'], [5.5 * 86400 * s, '5d12h'],
      [30 * 86400 * s, '30d'], [800 * 86400 * s, '2y70d'], [-1500, '0s'], [-5 * s, '<invalid>'],
    ];
    for (const [ms, text] of cases) expect([ms, humanDuration(ms)]).toEqual([ms, text]);
  });

  it('label selectors: parse -l, format like metav1.FormatLabelSelector', () => {
    const sel = parseSelectorArg('tier notin (db),app=web,env in (a, b),!debug,x!=y,owner');
    expect(formatLabelSelector(sel)).toBe('app=web,!debug,env in (a,b),owner,tier notin (db),x notin (y)');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(() => parseSelectorArg('a=(b')).toThrow();
  });

  it('tables pad three spaces; describe aligns each run of tabbed lines with two', () => {
    expect(formatTable(['NAME', 'AGE'], [['a', '1s'], ['long-name', '2m']])).toBe('NAME        AGE\na           1s\nlong-name   2m\n');
    expect(tabwrite(['Name:\tx', 'Annotations:\t<none>', 'Spec:', '  IP:\t1'])).toBe('Name:         x\nAnnotations:  <none>\nSpec:\n  IP:  1\n');
  });
});
