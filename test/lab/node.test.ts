import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeLabObjects } from '../../src/lab/cleanup.js';
import { connectNodes } from '../../src/lab/fabric.js';
import { ipJson, runProcess } from '../../src/lab/ip-command.js';
import { createNode, deleteNode, labNode } from '../../src/lab/node.js';
import { listNetns } from '../../src/lab/netns.js';
import { UsageError } from '../../src/shared/errors.js';
import { destroyTestLab, isRoot, testLab } from '../support/lab.js';

async function sysctl(netns: string, key: string): Promise<string> {
  const r = await runProcess('ip', ['netns', 'exec', netns, 'sysctl', '-n', key]);
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

async function nodeState(netns: string): Promise<unknown> {
  const addrs = await ipJson<{ ifname: string; flags: string[]; addr_info: { local: string; prefixlen: number }[] }[]>(['addr', 'show'], { netns });
  return {
    links: addrs.map((l) => ({ name: l.ifname, up: l.flags.includes('UP'), addrs: l.addr_info.map((a) => `${a.local}/${a.prefixlen}`) })),
    forward: await sysctl(netns, 'net.ipv4.ip_forward'),
    rpFilter: [await sysctl(netns, 'net.ipv4.conf.all.rp_filter'), await sysctl(netns, 'net.ipv4.conf.default.rp_filter')],
  };
}

// Prefix pwt1 belongs to this file only.
describe.skipIf(!isRoot)('lab nodes (real kernel)', () => {
  const ctx = testLab('pwt1');
  beforeAll(() => removeLabObjects(ctx));
  afterAll(() => destroyTestLab(ctx));

  it('names and addresses follow docs/lab.md', () => {
    expect(labNode('node3', ctx)).toEqual({ name: 'node3', index: 3, netns: `${ctx.prefix}-node3`, ip: '10.0.0.3', podCidr: '10.244.2.0/24' });
    expect(() => labNode('worker', ctx)).toThrow(UsageError);
    expect(() => labNode('node0', ctx)).toThrow(UsageError);
  });

  it('creating a node is idempotent', async () => {
    const t0 = performance.now();
    const n = await createNode('node1', ctx);
    console.info(`node creation: ${(performance.now() - t0).toFixed(1)} ms`);
    const want = { links: [{ name: 'lo', up: true, addrs: ['127.0.0.1/8', '10.0.0.1/32'] }], forward: '1', rpFilter: ['0', '0'] };
    expect(await nodeState(n.netns)).toEqual(want);
    await createNode('node1', ctx);
    expect(await nodeState(n.netns)).toEqual(want);
    expect(listNetns().filter((x) => x.startsWith(`${ctx.prefix}-`))).toEqual([`${ctx.prefix}-node1`]);
  });

  it('connects nodes with a mesh of veth pairs, idempotently', async () => {
    await createNode('node2', ctx);
    await createNode('node3', ctx);
    await connectNodes(['node1', 'node2', 'node3'], ctx);
    await connectNodes(['node1', 'node2', 'node3'], ctx);
    const links = await ipJson<{ ifname: string; flags: string[] }[]>(['link', 'show'], { netns: `${ctx.prefix}-node2` });
    expect(links.map((l) => l.ifname).sort()).toEqual(['lo', `${ctx.prefix}-n1`, `${ctx.prefix}-n3`]);
    const routes = await ipJson<{ dst: string; gateway?: string; dev: string }[]>(['route', 'show'], { netns: `${ctx.prefix}-node2` });
    expect(routes.map((r) => `${r.dst} ${r.gateway ?? '-'} ${r.dev}`).sort()).toEqual([
      `10.0.0.1 - ${ctx.prefix}-n1`, `10.0.0.3 - ${ctx.prefix}-n3`, `10.244.0.0/24 10.0.0.1 ${ctx.prefix}-n1`, `10.244.2.0/24 10.0.0.3 ${ctx.prefix}-n3`,
    ]);
    // Node 2 reaches node 3's address over the wire (TCP RST from 10.0.0.3 = refused).
    const r = await runProcess('ip', ['netns', 'exec', `${ctx.prefix}-node2`, process.execPath, '-e',
      "require('net').connect(9,'10.0.0.3').on('error',e=>{console.log(e.code)}).on('connect',()=>console.log('connected'))"]);
    expect(r.stdout.trim()).toBe('ECONNREFUSED');
  });

  it('deleting a node is idempotent and removes only that node', async () => {
    await deleteNode('node3', ctx);
    await deleteNode('node3', ctx);
    expect(listNetns().filter((x) => x.startsWith(`${ctx.prefix}-`))).toEqual([`${ctx.prefix}-node1`, `${ctx.prefix}-node2`]);
    const links = await ipJson<{ ifname: string }[]>(['link', 'show'], { netns: `${ctx.prefix}-node2` });
    expect(links.map((l) => l.ifname).sort()).toEqual(['lo', `${ctx.prefix}-n1`]); // the veth pair died with node3
    await deleteNode('node2', ctx);
    await deleteNode('node1', ctx);
    expect(listNetns().filter((x) => x.startsWith(`${ctx.prefix}-`))).toEqual([]);
  });
});
