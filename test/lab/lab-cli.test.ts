import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeLabObjects } from '../../src/lab/cleanup.js';
import { ipJson } from '../../src/lab/ip-command.js';
import type { LabContext } from '../../src/lab/names.js';
import { createNode } from '../../src/lab/node.js';
import { activatePod, createPodNetwork } from '../../src/lab/pod-network.js';
import { listNetns, pidsInNetns } from '../../src/lab/netns.js';
import { podProcessState, startPod, stopPod } from '../../src/lab/supervisor.js';
import type { LabStatus } from '../../src/lab/status.js';
import { repoRoot } from '../support/conformance-dir.js';
import { isRoot, requireAgnhostBuilt, testPrefix } from '../support/lab.js';

// `podwall lab up/status/down` as a user runs them. Prefix pwt3 is the lab under test; pwt4 is a neighbour
// lab that must survive everything done to pwt3. Both belong to this file only.
const tmp = mkdtempSync(join(tmpdir(), 'podwall-lab-cli-'));
const lab: LabContext = { prefix: testPrefix('pwt3'), stateDir: join(tmp, 'pwt3') };
const other: LabContext = { prefix: testPrefix('pwt4'), stateDir: join(tmp, 'pwt4') };

function podwallLab(args: string[], ctx: LabContext = lab, uid?: number): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/podwall.js'), 'lab', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', PODWALL_LAB_PREFIX: ctx.prefix, PODWALL_STATE_DIR: ctx.stateDir },
    timeout: 20_000,
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const ofPrefix = (prefix: string): string[] => listNetns().filter((n) => n.startsWith(`${prefix}-`));

describe.skipIf(!isRoot)('podwall lab up / status / down (real kernel)', () => {
  beforeAll(async () => {
    requireAgnhostBuilt();
    if (!existsSync(join(repoRoot, 'dist/src/cli/run.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.json`');
    await removeLabObjects(lab);
    await removeLabObjects(other);
    // The neighbour lab: a node and a running pod of prefix pwt4.
    await createNode('node1', other);
    const p = await createPodNetwork({ namespace: 'n', name: 'neighbour', node: 'node1', ip: '10.244.0.2' }, other);
    await activatePod(p, other);
    await startPod(p, ['agnhost', 'pause'], {}, other);
  });

  afterAll(async () => {
    try {
      await stopPod({ namespace: 'n', name: 'neighbour' }, { graceMs: 500 }, other).catch(() => undefined);
      await removeLabObjects(lab);
      await removeLabObjects(other);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    expect(ofPrefix(lab.prefix)).toEqual([]);
    expect(ofPrefix(other.prefix)).toEqual([]);
  });

  // The unprivileged user must be able to reach the checkout at all (a clone inside a 0700 temp dir is not).
  it.runIf(reachableByOthers(repoRoot))('refuses to run without root (exit 4, clear message)', () => {
    const r = podwallLab(['status'], lab, 65534);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('the lab needs root');
  });

  it('lab up clears a crashed run of its prefix, then creates the nodes', async () => {
    // A crashed run: a node, a pod with a running process (sh recording its exit code + agnhost), its pid file.
    await createNode('node1', lab);
    const crashed = await createPodNetwork({ namespace: 'crashed', name: 'run', node: 'node1', ip: '10.244.0.9' }, lab);
    const pid = await startPod(crashed, ['agnhost', 'pause'], {}, lab);
    // Nodes and agents only: the world and the cluster DNS have their own test (test/world/world-lab.test.ts).
    const r = podwallLab(['up', '--nodes', '2', '--no-world']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`lab up: removed leftovers of prefix ${lab.prefix}: 2 netns, 2 processes, 1 pid files`);
    expect(r.stderr).toContain(`lab up: node2: netns ${lab.prefix}-node2, address 10.0.0.2, pods 10.244.1.0/24`);
    expect(r.stderr).toMatch(/lab up: up in \d+ ms/);
    expect(ofPrefix(lab.prefix)).toEqual([`${lab.prefix}-node1`, `${lab.prefix}-node2`]);
    expect(existsSync(`/proc/${pid}/ns/net`)).toBe(false);
    // Each node's agent runs and has applied the store's first revision.
    expect(readdirSync(lab.stateDir)).toEqual(expect.arrayContaining(['lab.json', 'pods', 'store.db', 'agent-node1.json', 'agent-node2.json']));
    for (const n of ['node1', 'node2']) {
      const pid = Number(readFileSync(join(lab.stateDir, `agent-${n}.pid`), 'utf8'));
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('agent');
    }
  });

  it('lab status shows nodes, pods, links and the nft table', async () => {
    const p = await createPodNetwork({ namespace: 'demo', name: 'web', node: 'node1', ip: '10.244.0.2' }, lab);
    await activatePod(p, lab);
    await startPod(p, ['agnhost', 'pause'], {}, lab);
    const r = podwallLab(['status', '-o', 'json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as LabStatus;
    expect(s.nodes.map((n) => [n.name, n.netns, n.nftTable, n.links.map((l) => l.name).sort()])).toEqual([
      // The agents started by `lab up` have put the table in place on both nodes.
      ['node1', `${lab.prefix}-node1`, true, [p.hostIf, `${lab.prefix}-n2`].sort()],
      ['node2', `${lab.prefix}-node2`, true, [`${lab.prefix}-n1`]],
    ]);
    expect(s.pods).toEqual([expect.objectContaining({ namespace: 'demo', name: 'web', netns: p.netns, node: 'node1', ip: '10.244.0.2', up: true, process: expect.objectContaining({ state: 'running' }) })]);
    expect(s.rootLinks).toEqual([]);
    const txt = podwallLab(['status']);
    expect(txt.code).toBe(0);
    expect(txt.stdout).toMatch(new RegExp(`node2\\s+${lab.prefix}-node2\\s+10\\.0\\.0\\.2\\s+10\\.244\\.1\\.0\\/24\\s+inet podwall`));
    expect(txt.stdout).toMatch(new RegExp(`demo\\/web\\s+${lab.prefix}-p[0-9a-f]{8}\\s+node1\\s+10\\.244\\.0\\.2\\s+up\\s+running`));
  });

  it('lab down removes everything of its prefix and nothing of another prefix', async () => {
    const before = Object.fromEntries(ofPrefix(other.prefix).map((n) => [n, true]));
    const neighbourLinks = await ipJson<{ ifname: string }[]>(['link', 'show'], { netns: `${other.prefix}-node1` });
    const r = podwallLab(['down']);
    expect(r.code).toBe(0);
    // 3 netns, the pod's 2 processes, the 2 nodes' DNS proxies and flow readers (tcpdump), the pod's pid file,
    // the 2 agents' and the 2 proxies' pid files (the agents are stopped too), its resolv.conf.
    expect(r.stderr).toContain(`lab down: removed 3 netns, 6 processes, 5 pid files, 1 pod resolv.conf dirs of prefix ${lab.prefix}`);
    expect(readdirSync('/proc').filter((d) => /^\d+$/.test(d)).some((d) => {
      try { return /podwall\.js\x00agent/.test(readFileSync(`/proc/${d}/cmdline`, 'utf8')) && readFileSync(`/proc/${d}/environ`, 'utf8').includes(`PODWALL_LAB_PREFIX=${lab.prefix}\0`); } catch { return false; }
    })).toBe(false);
    expect(ofPrefix(lab.prefix)).toEqual([]);
    expect(existsSync(lab.stateDir)).toBe(false);
    // The neighbour lab is untouched: netns, links, its running process.
    expect(Object.fromEntries(ofPrefix(other.prefix).map((n) => [n, true]))).toEqual(before);
    expect(await ipJson<{ ifname: string }[]>(['link', 'show'], { netns: `${other.prefix}-node1` })).toEqual(neighbourLinks);
    expect(podProcessState({ namespace: 'n', name: 'neighbour' }, other).state).toBe('running');
    expect([...pidsInNetns(ofPrefix(other.prefix)).values()].flat().length).toBe(2); // the pod's sh (records the exit code) and agnhost
    // Idempotent, and status of an empty lab says so.
    expect(podwallLab(['down']).code).toBe(0);
    expect(podwallLab(['status']).stdout).toContain('no nodes');
  });
});

/** Whether a user other than the owner can traverse every directory from `/` down to `dir`. */
function reachableByOthers(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}
