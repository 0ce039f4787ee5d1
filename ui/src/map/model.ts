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

/**
 * One connection: every event of one 5-tuple (a SYN logged at egress on the source's node and at ingress on the
 * destination's, retransmits). It was dropped when any of its events was: a drop at ingress after a forward at
 * egress is still a drop.
 */
export interface Connection {
  events: Flow[];
  dropped: boolean;
  time: string;
}

export interface MapEdge {
  key: string;
  from: string;
  to: string;
  /** Connections (not events) per verdict. */
  forwarded: number;
  dropped: number;
  /** When the newest connection was last seen. */
  time: string;
  /** The verdict of the newest connection: it colours the edge. */
  verdict: Flow['verdict'];
  /** The newest connection's deciding event (the drop, or the forward that names the allowing policies). */
  last: Flow;
  /** The newest connection's events, one per direction and verdict, for the explanation. */
  lastEvents: Flow[];
  lastDropEvents?: Flow[];
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
  const conns = new Map<string, Connection & { edge: string; from: MapNode; to: MapNode }>();
  const ports = new Map<string, string[]>();
  // Endpoints by address: most flows name endpoints seen before, and this allocates nothing for them.
  const byIp = new Map<string, MapNode>();
  const nodeOf = (e: FlowEndpoint): MapNode => {
    const known = byIp.get(e.ip);
    if (known && (e.kind === 'pod' ? known.kind === 'pod' && known.label === e.pod && known.group === (e.namespace ?? 'default')
      : e.kind === 'world' ? known.kind === 'world' && known.label === (e.names?.[0] ?? e.ip) : known.kind === e.kind)) return known;
    const n = add(endpointNode(e));
    byIp.set(e.ip, n);
    return n;
  };
  for (const f of flows) {
    if (!accept(f)) continue;
    const key = connectionKey(f);
    let c = conns.get(key);
    if (!c) {
      const a = nodeOf(f.source);
      const b = nodeOf(f.destination);
      const edge = `${a.id}>${b.id}`;
      c = { events: [], dropped: false, time: f.time, edge, from: a, to: b };
      conns.set(key, c);
      const port = f.destination.port !== undefined ? `${f.l4.protocol}/${f.destination.port}` : f.l4.protocol;
      let list = ports.get(edge);
      if (!list) ports.set(edge, (list = []));
      if (list.length < 4 && !list.includes(port)) list.push(port);
    }
    c.events.push(f);
    if (f.verdict === 'DROPPED') c.dropped = true;
    if (f.time > c.time) c.time = f.time;
  }
  // Counts first; the newest connections' events are distilled once per edge, not once per connection.
  type Acc = { e: MapEdge; lastConn: Connection; lastDrop?: Connection };
  const acc = new Map<string, Acc>();
  for (const c of conns.values()) {
    let a = acc.get(c.edge);
    if (!a) {
      const e: MapEdge = { key: c.edge, from: c.from.id, to: c.to.id, forwarded: 0, dropped: 0, time: c.time, verdict: 'FORWARDED', last: c.events[0]!, lastEvents: [], ports: ports.get(c.edge) ?? [] };
      acc.set(c.edge, (a = { e, lastConn: c }));
    }
    if (c.dropped) {
      a.e.dropped++;
      c.from.dropped++;
      c.to.dropped++;
      if (!a.lastDrop || c.time >= a.lastDrop.time) a.lastDrop = c;
    } else a.e.forwarded++;
    if (c.time >= a.lastConn.time) a.lastConn = c;
  }
  const edges: MapEdge[] = [];
  for (const { e, lastConn, lastDrop } of acc.values()) {
    e.time = lastConn.time;
    e.verdict = lastConn.dropped ? 'DROPPED' : 'FORWARDED';
    e.lastEvents = distinctEvents(lastConn.events);
    e.last = decidingEvent(lastConn);
    if (lastDrop) e.lastDropEvents = distinctEvents(lastDrop.events);
    edges.push(e);
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
  return { groups: sorted, edges, nodes };
}

/** The 5-tuple: events of one connection share it (retransmits too, as they keep the source port). */
export function connectionKey(f: Flow): string {
  return `${f.l4.protocol} ${f.source.ip}:${f.source.port ?? ''}>${f.destination.ip}:${f.destination.port ?? ''}`;
}

/** One event per direction and verdict (retransmits add nothing to explain), newest kept, egress first. */
function distinctEvents(events: readonly Flow[]): Flow[] {
  const by = new Map<string, Flow>();
  for (const f of events) by.set(`${f.trafficDirection}/${f.verdict}`, f);
  return [...by.values()].sort((x, y) => (x.trafficDirection === y.trafficDirection ? 0 : x.trafficDirection === 'EGRESS' ? -1 : 1));
}

function decidingEvent(c: Connection): Flow {
  const drop = [...c.events].reverse().find((f) => f.verdict === 'DROPPED');
  if (drop) return drop;
  return [...c.events].reverse().find((f) => f.policies.length > 0) ?? c.events[c.events.length - 1]!;
}
