import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podwall } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'podwall-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('podwall analyze', () => {
  it('-o json prints one probe per ordered pair per port, self pairs included', () => {
    const r = podwall(['analyze', '-f', 'examples/seed', '--ports', '80/TCP,443/TCP', '-o', 'json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { probes: { from: string; to: string; port: number; protocol: string; allowed: boolean; reason: string }[] };
    expect(Object.keys(body)).toEqual(['probes']);
    expect(body.probes).toHaveLength(6 * 6 * 2);
    const cs = body.probes.find((p) => p.from === 'demo/client' && p.to === 'demo/server' && p.port === 80)!;
    expect(cs).toMatchObject({ protocol: 'TCP', allowed: false, reason: 'default-deny' });
    expect(body.probes.find((p) => p.from === 'demo/client' && p.to === 'demo/client' && p.port === 80)).toMatchObject({ allowed: true, reason: 'same-pod' });
    // my-app's egress allows backend:443, but backend-policy admits only frontend: both sides must allow.
    expect(body.probes.find((p) => p.from === 'default/my-app' && p.to === 'default/backend' && p.port === 443)).toMatchObject({ allowed: false, reason: 'default-deny' });
    expect(body.probes.find((p) => p.from === 'default/frontend' && p.to === 'default/backend' && p.port === 443)).toMatchObject({ allowed: true });
  });

  it('txt shows the seed demo: client -> server denied, and the label that allows it', () => {
    const r = podwall(['analyze', '-f', 'examples/seed', '--ports', '80/TCP']);
    expect(r.code).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.startsWith('| demo/client'))!;
    const header = r.stdout.split('\n').find((l) => l.startsWith('| from'))!;
    const cols = header.split('|').map((s) => s.trim());
    expect(row.split('|').map((s) => s.trim())[cols.indexOf('demo/server')]).toBe('X');
    expect(r.stdout).toContain('demo/client -> demo/server 80/TCP: ingress: no rule matched; default deny by NetworkPolicy demo/demo-policy');
    expect(r.stdout).toContain('podwall label pod demo/client app=client');
    const labelled = podwall(['analyze', '-f', 'examples/seed-labelled', '--ports', '80/TCP']);
    const row2 = labelled.stdout.split('\n').find((l) => l.startsWith('| demo/client'))!;
    expect(row2.split('|').map((s) => s.trim())[cols.indexOf('demo/server')]).toBe('.');
  });

  it('md, csv and dot render the same verdicts', () => {
    const csv = podwall(['analyze', '-f', 'examples/seed', '--ports', '80/TCP', '-o', 'csv']).stdout.trim().split('\n');
    expect(csv[0]).toBe('from,to,port,protocol,allowed,reason,explanation');
    expect(csv).toHaveLength(1 + 36);
    expect(csv.find((l) => l.startsWith('demo/client,demo/server,80,TCP,'))).toMatch(/,false,default-deny,/);
    const md = podwall(['analyze', '-f', 'examples/seed', '--ports', '80/TCP', '-o', 'md']).stdout;
    expect(md).toMatch(/^\| demo\/client \| .*X/m);
    const dot = podwall(['analyze', '-f', 'examples/seed', '--ports', '80/TCP', '-o', 'dot']).stdout;
    expect(dot).toContain('subgraph cluster_');
    expect(dot).toContain('label="demo"');
    expect(dot).not.toContain('"demo/client" -> "demo/server"');
    expect(dot).toContain('"default/frontend" -> "default/backend"');
  });

  it('reads stdin with -f -', () => {
    const text = ['examples/seed/namespaces.yaml', 'examples/seed/calico-demo/server.yaml', 'examples/seed/calico-demo/client.yaml', 'examples/seed/calico-demo/demo-policy.yaml']
      .map((f) => readFileSync(f, 'utf8')).join('\n---\n');
    const r = podwall(['analyze', '-f', '-', '--ports', '80', '-o', 'json'], text);
    expect(r.code).toBe(0);
    const probes = (JSON.parse(r.stdout) as { probes: { from: string; to: string; allowed: boolean }[] }).probes;
    expect(probes).toHaveLength(4);
    expect(probes.find((p) => p.from === 'demo/client' && p.to === 'demo/server')!.allowed).toBe(false);
  });
});

describe('podwall policy trace', () => {
  it('walks the egress then the ingress side and exits 3 when denied', () => {
    const r = podwall(['policy', 'trace', '-f', 'examples/seed', '--from', 'demo/client', '--to', 'demo/server', '--port', '80/TCP']);
    expect(r.code).toBe(3);
    expect(r.stdout.indexOf('Egress from demo/client')).toBeLessThan(r.stdout.indexOf('Ingress to demo/server'));
    expect(r.stdout).toMatch(/NetworkPolicy demo\/demo-policy selects it \(isolates ingress\)/);
    expect(r.stdout).toMatch(/ingress rule 0 at spec\.ingress\[0\] \(examples\/seed\/calico-demo\/demo-policy\.yaml:\d+:\d+\): no match/);
    expect(r.stdout).toContain('peer namespace demo and podSelector {app=client}: does not match');
    expect(r.stdout).toContain('Verdict: DENIED (default-deny)');
  });

  it('-o json has allowed at top level; exit 0 when allowed', () => {
    const r = podwall(['policy', 'trace', '-f', 'examples/seed-labelled', '--from', 'demo/client', '--to', 'demo/server', '--port', '80/TCP', '-o', 'json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { allowed: boolean; ingress: { allowed: boolean; reason: string } };
    expect(body.allowed).toBe(true);
    expect(body.ingress).toMatchObject({ allowed: true, reason: 'allowed-by-rule' });
  });

  it('explains an FQDN flow through the DNS lookup behind it', () => {
    const denied = podwall(['policy', 'trace', '-f', 'examples/seed-cilium', '--from', 'demo/curl', '--to', 'example.com', '--port', '443/TCP', '--dns-answers', 'examples/seed/world.hosts']);
    expect(denied.code).toBe(3);
    expect(denied.stdout).toMatch(/DNS: demo\/curl looked up example\.com .*dropped by policy/);
    const allowed = podwall(['policy', 'trace', '-f', 'examples/seed-cilium-dns', '--from', 'demo/curl', '--to', 'example.com', '--port', '443/TCP', '--dns-answers', 'examples/seed/world.hosts']);
    expect(allowed.code).toBe(0);
    const blocked = podwall(['policy', 'trace', '-f', 'examples/seed-cilium-dns', '--from', 'demo/curl', '--to', 'blocked.com', '--port', '443/TCP', '--dns-answers', 'examples/seed/world.hosts']);
    expect(blocked.code).toBe(3);
  });

  it('resolves a ClusterIP to the service backends', () => {
    const r = podwall(['policy', 'trace', '-f', 'examples/seed-cilium-dns', '--from', 'demo/curl', '--to', '10.96.0.10', '--port', '53/UDP', '-o', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { flow: { to: string } }).flow.to).toBe('kube-system/coredns');
  });
});

describe('podwall validate and exit codes', () => {
  it('reports every error with file:line:col and exits 1', () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: Bad_Name\nspec:\n  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n      endPort: 70\n');
    const r = podwall(['validate', '-f', bad]);
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l.includes(' error PW'));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/bad\.yaml:\d+:\d+: error PW\d{4}: /);
    expect(lines.some((l) => l.startsWith(`${bad}:10:16:`))).toBe(true);
    expect(podwall(['analyze', '-f', bad]).code).toBe(1);
  });

  it('valid input exits 0', () => {
    const r = podwall(['validate', '-f', 'examples']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^valid: \d+ object\(s\)/);
  });

  it('usage errors exit 2, unreadable files exit 4', () => {
    expect(podwall(['policy', 'trace', '-f', 'examples/seed', '--from', 'demo/client', '--to', 'demo/server', '--port', '99999']).code).toBe(2);
    expect(podwall(['analyze']).code).toBe(2);
    expect(podwall(['nosuchcommand']).code).toBe(2);
    expect(podwall(['analyze', '-f', join(tmp, 'missing.yaml')]).code).toBe(4);
  });

  it('--help shows examples for every command', () => {
    for (const args of [['--help'], ['analyze', '--help'], ['policy', '--help'], ['policy', 'trace', '--help'], ['validate', '--help']]) {
      const r = podwall(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Examples:');
    }
  });
});
