import type { Flow, FlowEndpoint } from '../../../src/flows/flow.js';
import type { ClusterView } from '../../../src/ui/protocol.js';

export type NodeKind = 'pod' | 'world' | 'host' | 'unknown';

export interface MapNode {
  id: string;
  label: string;
  group: string;
  kind: NodeKind;
  /** Drops to or from this node among the shown flows. */
  dropped: number;
}

export interface MapGroup {
  name: string;
  kind: 'namespace' | 'world' | 'host' | 'unknown';
  nodes: MapNode[];
}

export interface MapEdge {
  key: string;
  from: string;
  to: string;
  forwarded: number;
  dropped: number;
  /** The newest flow: its verdict colours the edge. */
  last: Flow;
  lastDrop?: Flow;
  /** e.g. TCP/80, at most a few. */
  ports: string[];
}

export interface MapModel {
  groups: MapGroup[];
  edges: MapEdge[];
  nodes: Map<string, MapNode>;
}

export const WORLD_GROUP = 'world';
export const HOST_GROUP = 'hosts';
export const UNKNOWN_GROUP = 'unknown';

/** A flow endpoint's node on the map: pods by namespace/name, world addresses by the DNS name they answered for. */
export function endpointNode(e: FlowEndpoint): { id: string; label: string; group: string; kind: NodeKind } {
  if (e.kind === 'pod' && e.pod !== undefined) {
    const ns = e.namespace ?? 'default';
    return { id: `${ns}/${e.pod}`, label: e.pod, group: ns, kind: 'pod' };
  }
  if (e.kind === 'world') {
    const name = e.names?.[0];
    return { id: `world:${name ?? e.ip}`, label: name ?? e.ip, group: WORLD_GROUP, kind: 'world' };
  }
  if (e.kind === 'host') return { id: `host:${e.node ?? e.ip}`, label: e.node ?? e.ip, group: HOST_GROUP, kind: 'host' };
  return { id: `ip:${e.ip}`, label: e.ip, group: UNKNOWN_GROUP, kind: 'unknown' };
}

const GROUP_ORDER: Record<MapGroup['kind'], number> = { namespace: 0, host: 1, world: 2, unknown: 3 };

/**
 * Namespaces as groups, every pod of the cluster as a node (talking or not), endpoints seen in flows added,
 * one edge per (source, destination) with counts per verdict. O(flows + pods).
 */
export function buildModel(cluster: ClusterView, flows: readonly Flow[], accept: (f: Flow) => boolean, allPods = true): MapModel {
  const nodes = new Map<string, MapNode>();
  const add = (n: { id: string; label: string; group: string; kind: NodeKind }): MapNode => {
    let node = nodes.get(n.id);
    if (!node) {
      node = { ...n, dropped: 0 };
      nodes.set(n.id, node);
    }
    return node;
  };
  if (allPods) for (const p of cluster.pods) add({ id: p.id, label: p.name, group: p.namespace, kind: 'pod' });
  const edges = new Map<string, MapEdge>();
  for (const f of flows) {
    if (!accept(f)) continue;
    const a = add(endpointNode(f.source));
    const b = add(endpointNode(f.destination));
    const key = `${a.id}>${b.id}`;
    let e = edges.get(key);
    if (!e) {
      e = { key, from: a.id, to: b.id, forwarded: 0, dropped: 0, last: f, ports: [] };
      edges.set(key, e);
    }
    if (f.verdict === 'DROPPED') {
      e.dropped++;
      e.lastDrop = f;
      a.dropped++;
      b.dropped++;
    } else e.forwarded++;
    if (f.time >= e.last.time) e.last = f;
    const port = f.destination.port !== undefined ? `${f.l4.protocol}/${f.destination.port}` : f.l4.protocol;
    if (e.ports.length < 4 && !e.ports.includes(port)) e.ports.push(port);
  }
  const groups = new Map<string, MapGroup>();
  for (const n of nodes.values()) {
    let g = groups.get(n.group);
    if (!g) {
      const kind = n.kind === 'pod' ? 'namespace' : n.kind === 'world' ? 'world' : n.kind === 'host' ? 'host' : 'unknown';
      g = { name: n.group, kind, nodes: [] };
      groups.set(n.group, g);
    }
    g.nodes.push(n);
  }
  const sorted = [...groups.values()].sort((x, y) => GROUP_ORDER[x.kind] - GROUP_ORDER[y.kind] || x.name.localeCompare(y.name));
  for (const g of sorted) g.nodes.sort((x, y) => x.label.localeCompare(y.label));
  return { groups: sorted, edges: [...edges.values()], nodes };
}
