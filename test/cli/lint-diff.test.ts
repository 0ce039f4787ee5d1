import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { podwall } from '../support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'podwall-lint-diff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = join(tmp, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

const PODS = `apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: demo, labels: {app: client}}
spec: {nodeName: node1, containers: [{name: c}]}
status: {podIP: 10.244.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: demo, labels: {app: server}}
spec: {nodeName: node1, containers: [{name: s, ports: [{name: http, containerPort: 80}]}]}
status: {podIP: 10.244.0.11}
`;

const SERVER_ONLY_FROM_CLIENT = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server, namespace: demo}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 80}]
`;

const DENY_SERVER = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server, namespace: demo}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
`;

describe('podwall lint', () => {
  const pods = write('lint/pods.yaml', PODS);
  const policy = write('lint/policy.yaml', `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: demo}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
`);

  it('prints positioned warnings and exits 0, or 1 with --strict', () => {
    const r = podwall(['lint', '-f', pods, '-f', policy]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      `${policy}:5:16: warning PW2001: spec.podSelector: policy selects no pod: podSelector {app=web} matches no pod in namespace demo`,
      '1 warning',
      '',
    ]);
    const strict = podwall(['lint', '-f', pods, '-f', policy, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('PW2001');
  });

  it('-o json prints the diagnostics as an array', () => {
    const r = podwall(['lint', '-f', pods, '-f', policy, '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({
      code: 'PW2001', severity: 'warning', path: ['spec', 'podSelector'], source: { file: policy, doc: 0, line: 5, col: 16 },
    })]);
  });

  it('warns about the seed FQDN policy without a DNS rule, and not once the DNS rule is there', () => {
    const r = podwall(['lint', '-f', 'examples/seed-cilium']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('examples/seed-cilium/allow-egress-to-specific-domain.yaml:12:9: warning PW2021: spec.egress[0].toFQDNs: lookups will be dropped');
    const fixed = podwall(['lint', '-f', 'examples/seed-cilium-dns', '--strict']);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toBe('no findings\n');
  });

  it('exits 1 on invalid manifests and 2 on usage errors', () => {
    const bad = write('lint/bad.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: [oops]}\n');
    expect(podwall(['lint', '-f', bad]).code).toBe(1);
    expect(podwall(['lint']).code).toBe(2);
    expect(podwall(['lint', '-f', pods, '-o', 'xml']).code).toBe(2);
  });

  it('--help shows examples', () => {
    const r = podwall(['lint', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('podwall lint -f examples/seed');
  });
});

describe('podwall diff', () => {
  const oldDir = join(tmp, 'old');
  const newDir = join(tmp, 'new');
  write('old/pods.yaml', PODS);
  write('old/policy.yaml', SERVER_ONLY_FROM_CLIENT);
  write('new/pods.yaml', `${PODS}---
apiVersion: v1
kind: Pod
metadata: {name: extra, namespace: demo, labels: {app: extra}}
status: {podIP: 10.244.0.12}
`);
  write('new/policy.yaml', DENY_SERVER);

  it('prints one line per changed pair and port, then the count; exit 0', () => {
    const r = podwall(['diff', '-f', oldDir, '-f', newDir, '--ports', '80/TCP,443/TCP']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'demo/client -> demo/server 80/TCP: allowed -> denied (ingress: no rule matched; default deny by NetworkPolicy demo/server)',
      '',
      'pods only in new (added): demo/extra',
      '',
      '1 change (0 newly allowed, 1 newly denied) among 2 pods on 2 ports',
      '',
    ]);
  });

  it('says "no changes" when nothing changed (--old/--new form)', () => {
    const r = podwall(['diff', '--old', oldDir, '--new', oldDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('no changes\n');
  });

  it('-o json lists changes with old and new verdicts', () => {
    const r = podwall(['diff', '-f', newDir, '-f', oldDir, '--ports', '80/TCP', '-o', 'json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { changes: unknown[]; added: string[]; removed: string[] };
    expect(body.changes).toEqual([{
      from: 'demo/client', to: 'demo/server', port: 80, protocol: 'TCP',
      old: { allowed: false, reason: 'default-deny', explanation: expect.stringContaining('default deny') },
      new: { allowed: true, reason: 'allowed-by-rule', explanation: 'ingress: allowed by demo/server ingress rule 0' },
    }]);
    expect(body.removed).toEqual(['demo/extra']);
    expect(body.added).toEqual([]);
  });

  it('md and csv render the same change', () => {
    const md = podwall(['diff', '-f', oldDir, '-f', newDir, '--ports', '80/TCP', '-o', 'md']).stdout;
    expect(md).toContain('| demo/client | demo/server | 80/TCP | allowed | **denied** |');
    const csv = podwall(['diff', '-f', oldDir, '-f', newDir, '--ports', '80/TCP', '-o', 'csv']).stdout.trim().split('\n');
    expect(csv[0]).toBe('from,to,port,protocol,old_allowed,old_reason,new_allowed,new_reason,old_explanation,new_explanation');
    expect(csv.slice(1)).toHaveLength(1);
    expect(csv[1]).toMatch(/^demo\/client,demo\/server,80,TCP,true,allowed-by-rule,false,default-deny,/);
  });

  it('exits 2 unless given exactly two inputs', () => {
    expect(podwall(['diff', '-f', oldDir]).code).toBe(2);
    expect(podwall(['diff', '-f', oldDir, '-f', newDir, '-f', oldDir]).code).toBe(2);
    expect(podwall(['diff', '--old', oldDir]).code).toBe(2);
    expect(podwall(['diff', '-f', oldDir, '-f', newDir, '--old', oldDir]).code).toBe(2);
  });

  it('--help shows examples', () => {
    const r = podwall(['diff', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('podwall diff -f examples/seed -f examples/seed-labelled');
  });
});
