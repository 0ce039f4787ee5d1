import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, stopAgent } from '../../src/agent/launch.js';
import { readLab } from '../../src/connectivity/deploy.js';
import { nodeNetns } from '../../src/lab/names.js';
import { listNetns, pidsInNetns } from '../../src/lab/netns.js';
import { waitFor } from '../../src/lab/wait.js';
import { repoRoot } from '../support/conformance-dir.js';
import { agentProcesses, labCli, labCliAsync } from '../support/lab-cli.js';
import { destroyTestLab, isRoot, requireAgnhostBuilt, testLab } from '../support/lab.js';

// `podwall status` and `podwall connectivity test` as a user runs them, against a real two-node lab.
// Prefix pwop belongs to this file only.

describe.skipIf(!isRoot)('podwall status and connectivity test on a live lab', () => {
  const lab = testLab('pwop');
  const podwall = labCli(lab);
  const json = (args: string[]) => JSON.parse(podwall(args).stdout) as { healthy: boolean; errors: string[]; agents: { node: string; state: string }[] };

  beforeAll(() => {
    requireAgnhostBuilt();
    expect(podwall(['lab', 'up', '--nodes', '2'])).toMatchObject({ code: 0 });
  });

  afterAll(async () => {
    await destroyTestLab(lab);
    expect(agentProcesses(lab.prefix)).toEqual([]);
  });

  it('status: a fresh lab is healthy (exit 0): agents, DNS proxies and flow readers OK, the UI (not started) disabled', () => {
    const r = podwall(['status']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^podwall:\s+OK\s+prefix pwop/m);
    expect(r.stdout).toMatch(/^Agents:\s+OK\s+2\/2 healthy$/m);
    expect(r.stdout).toMatch(/^ {2}node2:\s+OK\s+pid \d+, enforcement podwall, revision (\d+)\/\1, generation \d+, last apply \d+ ms/m);
    expect(r.stdout).toMatch(/^DNS proxy:\s+OK\s+2\/2 OK$/m);
    expect(r.stdout).toMatch(/^Flow reader:\s+OK\s+2\/2 OK$/m);
    expect(r.stdout).toMatch(/^UI:\s+disabled$/m);
    expect(r.stdout).toMatch(/^World:\s+OK\s+pwop\w*-world, \d+ addresses, DNS 198\.18\.0\.2 pid \d+, web pid \d+$/m);
    expect(r.stdout).not.toMatch(/^Errors:/m);
    expect(json(['status', '-o', 'json']).healthy).toBe(true);
  });

  it('connectivity test passes on the lab; scenarios needing the world or the DNS proxy are skipped with the reason', () => {
    const r = podwall(['connectivity', 'test', '--probe-timeout', '1500ms'], 180_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const summary = /^(\d+) passed, 0 failed(?:, (\d+) skipped)?$/m.exec(r.stdout);
    expect(summary, r.stdout).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThanOrEqual(11);
    for (const name of ['no-policies', 'all-ingress-deny', 'all-egress-deny', 'client-ingress-from-label', 'client-egress-to-label', 'egress-to-cidr',
      'cluster-entity', 'host-entity', 'named-port', 'port-range', 'deny-precedence']) {
      expect(r.stdout).toMatch(new RegExp(`^\\[ok\\] \\[\\d+/\\d+\\] ${name} \\(`, 'm'));
    }
    if (!listNetns().includes(`${lab.prefix}-world`)) expect(r.stdout).toMatch(/^\[skip\] \[\d+\/\d+\] to-entities-world: skipped: the lab has no simulated internet/m);
    // Nothing of the test is left: its namespaces (with pods and policies) are gone.
    expect(podwall(['get', 'ns']).stdout).not.toContain('podwall-test');
  });

  it('with enforcement off, the deny scenarios fail, say what they saw, and the exit code is 1', () => {
    expect(podwall(['lab', 'update', '--network-policy', 'none'])).toMatchObject({ code: 0 });
    try {
      const r = podwall(['connectivity', 'test', '--test', '^(no-policies|all-ingress-deny|deny-precedence)$', '--probe-timeout', '1s'], 120_000);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^\[ok\] \[1\/3\] no-policies /m);
      expect(r.stdout).toMatch(/^\[FAIL\] \[2\/3\] all-ingress-deny /m);
      expect(r.stdout).toContain('[FAIL] podwall-test/client2 -> podwall-test/echo:8080: expected DROPPED (TIMEOUT), got CONNECTED');
      expect(r.stdout).toMatch(/^\[FAIL\] \[3\/3\] deny-precedence /m);
      expect(r.stdout).toMatch(/^1 passed, 2 failed$/m);
      expect(podwall(['get', 'ns']).stdout).not.toContain('podwall-test');
    } finally {
      expect(podwall(['lab', 'update', '--network-policy', 'podwall'])).toMatchObject({ code: 0 });
    }
  });

  it('Ctrl-C during connectivity test: exit 130 after removing its namespaces and stopping its host server', async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/podwall.js'), 'connectivity', 'test'], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1', PODWALL_LAB_PREFIX: lab.prefix, PODWALL_STATE_DIR: lab.stateDir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      // Interrupted in the middle of the run, once a scenario has passed and the next one is under way.
      await waitFor(() => /^\[ok\] \[1\/\d+\] no-policies/m.test(stdout), { timeoutMs: 60_000, what: 'the first scenario' });
      expect(podwall(['get', 'ns']).stdout).toContain('podwall-test');
      child.kill('SIGINT');
      expect(await code, stdout + stderr).toBe(130);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(stderr).toContain('interrupted: cleaning up');
    expect(stdout).not.toMatch(/passed, \d+ failed/);
    expect(podwall(['get', 'ns']).stdout).not.toContain('podwall-test');
    // The host server (a prober in the node's netns) is gone too.
    const inNode = pidsInNetns([nodeNetns('node1', lab.prefix)]).get(nodeNetns('node1', lab.prefix)) ?? [];
    const probers = inNode.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('prober-main');
      } catch {
        return false;
      }
    });
    expect(probers).toEqual([]);
  });

  it('status: a killed agent makes it unhealthy (exit 1) and says which; --wait returns once it is back', async () => {
    const node2 = readLab(lab).nodes[1]!;
    expect(stopAgent(lab.stateDir, 'node2', { kill: true })).toBe(true);
    const r = podwall(['status']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Agents:\s+error\s+1\/2 healthy$/m);
    expect(r.stdout).toMatch(/^ {2}node2:\s+not running\s+pid \d+/m);
    expect(r.stdout).toMatch(/^Errors:\s+agent node2: not running \(pid \d+ is gone\)/m);
    const j = json(['status', '-o', 'json']);
    expect(j.healthy).toBe(false);
    expect(j.agents.find((a) => a.node === 'node2')!.state).toBe('not running');

    // connectivity test refuses to start on an unhealthy lab, saying why, and deploys nothing.
    const refused = podwall(['connectivity', 'test']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('podwall is not healthy (see `podwall status`):\n  agent node2: not running');
    expect(podwall(['get', 'ns']).stdout).not.toContain('podwall-test');

    const short = podwall(['status', '--wait', '--wait-duration', '300ms']);
    expect(short.code).toBe(1);
    // The agent and the flow reader it served are both gone.
    expect(short.stderr).toMatch(/waiting for podwall to be healthy: \d+ problems?: agent node2: not running/);

    const waiting = labCliAsync(lab, ['status', '--wait', '--wait-duration', '60s'], 90_000);
    startAgent(lab.stateDir, node2);
    const done = await waiting.done;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^Agents:\s+OK\s+2\/2 healthy$/m);
  });
});
