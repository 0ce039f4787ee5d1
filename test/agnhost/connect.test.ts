import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeLabObjects } from '../../src/lab/cleanup.js';
import { runProcess } from '../../src/lab/ip-command.js';
import { createNode } from '../../src/lab/node.js';
import { activatePod, createPodNetwork, type PodNet } from '../../src/lab/pod-network.js';
import { podLogs, startPod, stopPod } from '../../src/lab/supervisor.js';
import { connect, destroyTestLab, isRoot, requireAgnhostBuilt, testLab, waitServing } from '../support/lab.js';

// agnhost between two real pods on one node. Prefix pwt5 belongs to this file only.
describe.skipIf(!isRoot)('agnhost connect between lab pods (real kernel)', () => {
  const ctx = testLab('pwt5');
  const NODE_NS = `${ctx.prefix}-node1`;
  // A throwaway table of this test in its own node netns; never the agent's `inet podwall`.
  const TABLE = ['inet', 'pwt5test'];
  let client: PodNet;
  let server: PodNet;

  async function nft(...args: string[]): Promise<void> {
    const r = await runProcess('ip', ['netns', 'exec', NODE_NS, 'nft', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }

  beforeAll(async () => {
    requireAgnhostBuilt();
    await removeLabObjects(ctx);
    await createNode('node1', ctx);
    client = await createPodNetwork({ namespace: 'np', name: 'client', node: 'node1', ip: '10.244.0.2' }, ctx);
    server = await createPodNetwork({ namespace: 'np', name: 'server', node: 'node1', ip: '10.244.0.3' }, ctx);
    await activatePod(client, ctx);
    await activatePod(server, ctx);
    await startPod(server, ['agnhost', 'serve-hostname', '--tcp', '--udp', '--http=false', '--port', '80'], {}, ctx);
    await waitServing(ctx, server);
  });

  afterAll(async () => {
    try {
      await stopPod(server, { graceMs: 500 }, ctx).catch(() => undefined);
    } finally {
      await destroyTestLab(ctx);
    }
  });

  it('succeeds silently over TCP and UDP when the server serves; the server sees the pod IP', async () => {
    expect(await connect(ctx, client, '10.244.0.3:80', '--timeout=2s', '--protocol=tcp')).toEqual({ code: 0, out: '' });
    expect(await connect(ctx, client, '10.244.0.3:80', '--timeout', '2s', '--protocol', 'udp')).toEqual({ code: 0, out: '' });
    expect(podLogs(server, ctx)).toMatch(/TCP request from 10\.244\.0\.2:\d+/);
    expect(podLogs(server, ctx)).toMatch(/UDP request from 10\.244\.0\.2:\d+/);
  });

  it('prints REFUSED when nothing listens (TCP RST, UDP ICMP port unreachable)', async () => {
    expect(await connect(ctx, client, '10.244.0.3:81', '--timeout=2s')).toEqual({ code: 1, out: 'REFUSED' });
    const udp = await connect(ctx, client, '10.244.0.3:81', '--timeout=2s', '--protocol=udp');
    expect(udp.code).toBe(1);
    expect(udp.out).toMatch(/^REFUSED: read udp 10\.244\.0\.2:\d+->10\.244\.0\.3:81: read: connection refused$/);
  });

  it('prints TIMEOUT when a drop rule on the node eats the packets', async () => {
    await nft('add', 'table', ...TABLE);
    try {
      await nft('add', 'chain', ...TABLE, 'drops', '{ type filter hook forward priority 0 ; policy accept ; }');
      await nft('add', 'rule', ...TABLE, 'drops', 'ip', 'daddr', server.ip, 'drop');
      expect(await connect(ctx, client, '10.244.0.3:80', '--timeout=500ms')).toEqual({ code: 1, out: 'TIMEOUT' });
      const udp = await connect(ctx, client, '10.244.0.3:80', '--timeout=500ms', '--protocol=udp');
      expect(udp.code).toBe(1);
      expect(udp.out).toMatch(/^TIMEOUT: read udp .*i\/o timeout$/);
    } finally {
      await nft('delete', 'table', ...TABLE);
    }
    expect(await connect(ctx, client, '10.244.0.3:80', '--timeout=2s')).toEqual({ code: 0, out: '' });
  });

  it('reports SCTP as OTHER: this kernel has no SCTP', async () => {
    expect(await connect(ctx, client, '10.244.0.3:80', '--timeout=1s', '--protocol=sctp')).toEqual({ code: 1, out: 'OTHER: SCTP not supported by this kernel' });
  });
});
