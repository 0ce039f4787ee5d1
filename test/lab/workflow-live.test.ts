import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podNetns } from '../../src/lab/names.js';
import { listNetns } from '../../src/lab/netns.js';
import { podProcessState } from '../../src/lab/supervisor.js';
import { processGone } from '../support/agent-lab.js';
import { agentProcesses, labCli, labCliOk } from '../support/lab-cli.js';
import { destroyTestLab, isRoot, requireAgnhostBuilt, testLab } from '../support/lab.js';

// The seed's walkthrough (scripts/demo.sh, part 1) through the real CLI as a child process, on a lab of real
// network namespaces with nftables: every step's exit code and output as a user sees them.
// Prefix pwf1 belongs to this file only.

const ofPrefix = (prefix: string): string[] => listNetns().filter((n) => n.startsWith(`${prefix}-`));

describe.skipIf(!isRoot)('the seed walkthrough, live through the CLI (real kernel)', () => {
  const lab = testLab('pwf1');
  const podwall = labCli(lab);
  let serverIp = '';
  /** The pods' processes (pids), to check that nothing of them survives. */
  const pids: number[] = [];
  // The seed's probe: `kubectl exec client -- /agnhost connect <ip>:80 --timeout=3s --protocol=tcp`.
  const probe = () => podwall(['exec', 'client', '-n', 'demo', '--', '/agnhost', 'connect', `${serverIp}:80`, '--timeout=3s', '--protocol=tcp']);
  const ok = labCliOk(lab);

  beforeAll(() => {
    requireAgnhostBuilt();
  });

  afterAll(async () => {
    await destroyTestLab(lab);
    expect(agentProcesses(lab.prefix)).toEqual([]);
  });

  it('lab up; create namespace demo; run server and client: both Running on node1 with addresses', () => {
    expect(ok(['lab', 'up']).stderr).toMatch(/lab up: up in \d+ ms/);
    expect(ok(['create', 'namespace', 'demo']).stdout).toBe('namespace/demo created\n');
    expect(ok(['run', 'server', '-n', 'demo', '--image=k8s.gcr.io/e2e-test-images/agnhost:2.33', '--labels=app=server', '--port=80',
      '--command', '--', '/agnhost', 'serve-hostname', '--tcp', '--http=false', '--port', '80']).stdout).toBe('pod/server created\n');
    expect(ok(['run', 'client', '-n', 'demo', '--image=k8s.gcr.io/e2e-test-images/agnhost:2.33']).stdout).toBe('pod/client created\n');

    const table = ok(['get', 'pod', '-o', 'wide', '-n', 'demo']).stdout.trim().split('\n').map((l) => l.split(/\s+/));
    expect(table[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED', 'NODE', 'READINESS', 'GATES']);
    const rows = table.slice(1).map((r) => ({ name: r[0], ready: r[1], status: r[2], ip: r[5], node: r[6] }));
    expect(rows).toEqual([
      { name: 'client', ready: '1/1', status: 'Running', ip: expect.stringMatching(/^10\.244\.0\.\d+$/), node: 'node1' },
      { name: 'server', ready: '1/1', status: 'Running', ip: expect.stringMatching(/^10\.244\.0\.\d+$/), node: 'node1' },
    ]);
    serverIp = rows.find((r) => r.name === 'server')!.ip!;
    for (const name of ['server', 'client']) {
      const state = podProcessState({ namespace: 'demo', name }, lab);
      expect(state.state).toBe('running');
      if (state.state === 'running') pids.push(state.pid);
    }
    expect(JSON.parse(ok(['get', 'pod', 'server', '-n', 'demo', '-o', 'json']).stdout).status.podIP).toBe(serverIp);
  });

  it('without a policy the client connects (exit 0, no output)', () => {
    expect(probe()).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('demo-policy isolates the server: the unlabelled client gets TIMEOUT (exit 1)', () => {
    expect(ok(['apply', '-n', 'demo', '-f', 'examples/seed/calico-demo/demo-policy.yaml']).stdout).toBe('networkpolicy.networking.k8s.io/demo-policy created\n');
    const r = probe();
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('TIMEOUT');
  });

  it('label pod client app=client: it connects again', () => {
    expect(ok(['label', 'pod', 'client', '-n', 'demo', 'app=client']).stdout).toBe('pod/client labeled\n');
    expect(probe()).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('lab update --network-policy none and the label removed: connects (enforcement off)', () => {
    expect(ok(['lab', 'update', '--network-policy', 'none']).stdout).toBe('network policy enforcement: none\n');
    expect(ok(['label', 'pod', 'client', '-n', 'demo', 'app-']).stdout).toBe('pod/client unlabeled\n');
    expect(probe()).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('--network-policy podwall: the unlabelled client gets TIMEOUT again', () => {
    expect(ok(['lab', 'update', '--network-policy', 'podwall']).stdout).toBe('network policy enforcement: podwall\n');
    const r = probe();
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('TIMEOUT');
  });

  it('logs server shows it serving and the client connections; describe pod server names demo-policy', () => {
    const logs = ok(['logs', 'server', '-n', 'demo']).stdout;
    expect(logs).toContain('Serving on port 80.');
    // The three connections that got through (no policy, labelled, enforcement off) reached the server; the dropped ones did not.
    const clientIp = JSON.parse(ok(['get', 'pod', 'client', '-n', 'demo', '-o', 'json']).stdout).status.podIP as string;
    expect(logs.split('\n').filter((l) => l.includes(`TCP request from ${clientIp}:`))).toHaveLength(3);
    const described = ok(['describe', 'pod', 'server', '-n', 'demo']).stdout;
    expect(described).toMatch(/^Name:\s+server$/m);
    expect(described).toMatch(/^\s+Ingress:\s+isolated by networkpolicy\.networking\.k8s\.io\/demo-policy \(default deny\)$/m);
  });

  it('delete pod client removes its network namespace and get pods no longer lists it', () => {
    const netns = podNetns('demo', 'client', lab.prefix);
    expect(ofPrefix(lab.prefix)).toContain(netns);
    expect(ok(['delete', 'pod', 'client', '-n', 'demo']).stdout).toBe('pod "client" deleted\n');
    expect(ofPrefix(lab.prefix)).not.toContain(netns);
    const pods = ok(['get', 'pods', '-n', 'demo']).stdout;
    expect(pods).toMatch(/^server\s/m);
    expect(pods).not.toMatch(/^client\s/m);
  });

  it('delete namespace demo, then lab down leaves no netns, process or agent of the prefix', () => {
    expect(ok(['delete', 'namespace', 'demo']).stdout).toBe('namespace "demo" deleted\n');
    // The server's netns went with its namespace; the node, the world and the cluster DNS pod stay.
    expect(ofPrefix(lab.prefix).sort()).toEqual([`${lab.prefix}-node1`, podNetns('kube-system', 'coredns', lab.prefix), `${lab.prefix}-world`].sort());
    expect(agentProcesses(lab.prefix)).toHaveLength(1);
    // Pid files: the agent, the DNS proxy, the DNS pod, the world's DNS and web servers.
    expect(ok(['lab', 'down']).stderr).toMatch(new RegExp(`lab down: removed 3 netns, \\d+ processes, 5 pid files, 1 pod resolv\\.conf dirs of prefix ${lab.prefix}\\n`));
    expect(ofPrefix(lab.prefix)).toEqual([]);
    expect(agentProcesses(lab.prefix)).toEqual([]);
    expect(pids.filter((pid) => !processGone(pid))).toEqual([]);
    expect(existsSync(lab.stateDir)).toBe(false);
  });
});
