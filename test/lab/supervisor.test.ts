import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeLabObjects } from '../../src/lab/cleanup.js';
import { createNode } from '../../src/lab/node.js';
import { activatePod, createPodNetwork, type PodNet } from '../../src/lab/pod-network.js';
import { execInPod, execInPodCapture, podFiles, podLogs, podProcessState, startPod, stopPod } from '../../src/lab/supervisor.js';
import { waitFor } from '../../src/lab/wait.js';
import { repoRoot } from '../support/conformance-dir.js';
import { destroyTestLab, isRoot, requireAgnhostBuilt, testLab, waitServing } from '../support/lab.js';

// The pod process supervisor. Prefix pwt6 belongs to this file only.
describe.skipIf(!isRoot)('pod supervisor (real kernel)', () => {
  const ctx = testLab('pwt6');
  let pod: PodNet;

  beforeAll(async () => {
    requireAgnhostBuilt();
    await removeLabObjects(ctx);
    await createNode('node1', ctx);
    pod = await createPodNetwork({ namespace: 'sv', name: 'web', node: 'node1', ip: '10.244.0.2' }, ctx);
    await activatePod(pod, ctx);
  });

  afterAll(async () => {
    try {
      await stopPod(pod, { graceMs: 500 }, ctx).catch(() => undefined);
    } finally {
      await destroyTestLab(ctx);
    }
  });

  it('starts a process detached in the pod netns, logs it, stops its process group', async () => {
    expect(podProcessState(pod, ctx)).toEqual({ state: 'not-started' });
    const pid = await startPod(pod, ['agnhost', 'serve-hostname', '--port', '8080'], {}, ctx);
    await waitServing(ctx, pod);
    expect(podProcessState(pod, ctx)).toEqual({ state: 'running', pid });
    expect(podLogs(pod, ctx)).toMatch(/Serving on port 8080\./);
    expect(await stopPod(pod, { graceMs: 2000 }, ctx)).toBe(true);
    expect(podProcessState(pod, ctx)).toEqual({ state: 'exited', exitCode: 0 }); // agnhost ends cleanly on SIGTERM
    expect(podLogs(pod, ctx)).toMatch(/Shutting down after receiving signal: terminated\./);
    expect(await stopPod(pod, {}, ctx)).toBe(false);
  });

  it('records the exit code (restart policy never)', async () => {
    await startPod(pod, ['sh', '-c', 'echo bye; exit 3'], {}, ctx);
    await waitFor(() => podProcessState(pod, ctx).state === 'exited', { what: 'the process to exit' });
    expect(podProcessState(pod, ctx)).toEqual({ state: 'exited', exitCode: 3 });
    expect(podLogs(pod, ctx)).toContain('bye\n');
  });

  it('exec runs in the pod netns with agnhost on PATH and the pod identity, and returns the exit code', async () => {
    const r = await execInPodCapture(pod, ['sh', '-c', 'command -v agnhost; echo "$POD_NAMESPACE/$POD_NAME $POD_IP"; ip -o -4 addr show dev eth0'], {}, ctx);
    expect(r.code).toBe(0);
    const [agnhost, ident, addr] = r.stdout.trim().split('\n');
    expect(agnhost).toBe(join(repoRoot, 'bin/agnhost'));
    expect(ident).toBe('sv/web 10.244.0.2');
    expect(addr).toContain('inet 10.244.0.2/32');
    expect(await execInPod(pod, ['sh', '-c', 'exit 7'], {}, ctx)).toBe(7);
  });

  it('exec with a TTY gives the command a real terminal', () => {
    // `script` provides a pseudo-terminal; the command line is constant, the paths come in through the environment.
    const r = spawnSync('script', ['-qec', '"$NODE" "$DRIVER"', '/dev/null'], {
      encoding: 'utf8',
      timeout: 10_000,
      env: {
        ...process.env,
        NODE: process.execPath,
        DRIVER: join(repoRoot, 'test/lab/fixtures/exec-tty.mjs'),
        PODWALL_LAB_PREFIX: ctx.prefix,
        PODWALL_STATE_DIR: ctx.stateDir,
      },
    });
    expect(r.stdout).toContain('stdin is a tty: yes');
    expect(r.status).toBe(5);
  });

  it('keeps the pod files in <stateDir>/pods/<ns>_<name>', () => {
    expect(podFiles(pod, ctx)).toEqual({
      dir: `${ctx.stateDir}/pods/sv_web`, pid: `${ctx.stateDir}/pods/sv_web/pid`, log: `${ctx.stateDir}/pods/sv_web/log`, exit: `${ctx.stateDir}/pods/sv_web/exit`,
    });
  });
});
