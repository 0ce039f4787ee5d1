import { ipBatch } from './ip-command.js';
import { labNode, listLinks, type LabNode } from './node.js';
import { fabricLink, fabricMac, labContext, type LabContext } from './names.js';

/**
 * The wire between nodes: one veth pair per pair of nodes (a full mesh; the lab has a handful of nodes),
 * `<prefix>-n<B>` in node A's netns and `<prefix>-n<A>` in node B's. Each node routes the other's address
 * and pod CIDR over it, with static permanent neighbours as everywhere else in the lab (no ARP).
 */

function routesTo(from: LabNode, to: LabNode, ctx: LabContext): string[][] {
  const dev = fabricLink(to.name, ctx.prefix);
  return [
    ['link', 'set', dev, 'up'],
    ['neigh', 'replace', to.ip, 'lladdr', fabricMac(to.name, from.name), 'dev', dev, 'nud', 'permanent'],
    ['route', 'replace', `${to.ip}/32`, 'dev', dev, 'scope', 'link', 'src', from.ip],
    ['route', 'replace', to.podCidr, 'via', to.ip, 'dev', dev, 'onlink', 'src', from.ip],
  ];
}

/**
 * Connect every pair of the given nodes (which must exist). Idempotent: existing links are kept and their
 * routes re-applied. One `ip` process to list each node's links, one for the new pairs, one per node for routes.
 */
export async function connectNodes(nodes: readonly string[], ctx: LabContext = labContext()): Promise<void> {
  if (nodes.length < 2) return;
  const all = nodes.map((n) => labNode(n, ctx));
  const existing = new Map<string, Set<string>>();
  for (const n of all) existing.set(n.name, new Set((await listLinks(n.netns)).map((l) => l.ifname)));
  const create: string[][] = [];
  for (const [i, a] of all.entries()) {
    for (const b of all.slice(i + 1)) {
      const ab = fabricLink(b.name, ctx.prefix);
      const ba = fabricLink(a.name, ctx.prefix);
      // The two ends of a veth live and die together: one end present means the pair is there.
      if (existing.get(a.name)!.has(ab)) continue;
      create.push(['link', 'add', ab, 'address', fabricMac(a.name, b.name), 'netns', a.netns, 'type', 'veth', 'peer', 'name', ba, 'address', fabricMac(b.name, a.name), 'netns', b.netns]);
    }
  }
  await ipBatch(create);
  for (const a of all) {
    await ipBatch(all.filter((b) => b !== a).flatMap((b) => routesTo(a, b, ctx)), { netns: a.netns });
  }
}
