import { describe, expect, it } from 'vitest';
import type { Flow, FlowEndpoint } from '../../src/flows/flow.js';
import type { ClusterView } from '../../src/ui/protocol.js';
import { layoutModel } from '../../ui/src/map/layout.js';
import { buildModel } from '../../ui/src/map/model.js';

// The service map's model (pure): what the map draws from the flows, before any pixel.

const client: FlowEndpoint = { ip: '10.244.0.3', kind: 'pod', namespace: 'demo', pod: 'client', labels: ['run=client'], node: 'node1' };
const server: FlowEndpoint = { ip: '10.244.0.2', kind: 'pod', namespace: 'demo', pod: 'server', labels: ['app=server'], node: 'node1' };
let seq = 0;
function flow(over: Partial<Flow> & { sport: number; at: number }): Flow {
  const { sport, at, ...rest } = over;
  return {
    seq: seq++, time: new Date(Date.UTC(2026, 10, 25, 12, 0, at)).toISOString(), node: 'node1', type: 'L3_L4',
    source: { ...client, port: sport }, destination: { ...server, port: 80 }, l4: { protocol: 'TCP', tcpFlags: ['SYN'] },
    trafficDirection: 'EGRESS', verdict: 'FORWARDED', policies: [], reason: '', ...rest,
  };
}
const cluster: ClusterView = {
  revision: 1, enforcement: 'podwall', namespaces: ['demo', 'other'], policies: [],
  pods: [
    { id: 'demo/client', namespace: 'demo', name: 'client', labels: [] },
    { id: 'demo/server', namespace: 'demo', name: 'server', labels: [] },
    { id: 'other/idle', namespace: 'other', name: 'idle', labels: [] },
  ],
};
const all = () => true;

describe('service map model', () => {
  it('a connection forwarded at egress and dropped at ingress (with retransmits) counts once, as dropped', () => {
    const flows = [
      flow({ sport: 1000, at: 1 }),
      flow({ sport: 1000, at: 1, trafficDirection: 'INGRESS', verdict: 'DROPPED', dropReason: 'POLICY_DENIED' }),
      flow({ sport: 1000, at: 2 }),
      flow({ sport: 1000, at: 2, trafficDirection: 'INGRESS', verdict: 'DROPPED', dropReason: 'POLICY_DENIED' }),
    ];
    const m = buildModel(cluster, flows, all);
    expect(m.edges).toHaveLength(1);
    const e = m.edges[0]!;
    expect(e).toMatchObject({ from: 'demo/client', to: 'demo/server', forwarded: 0, dropped: 1, verdict: 'DROPPED', ports: ['TCP/80'] });
    expect(e.last).toBe(flows[3]);
    // One event per side to explain, egress first.
    expect(e.lastEvents.map((f) => `${f.trafficDirection} ${f.verdict}`)).toEqual(['EGRESS FORWARDED', 'INGRESS DROPPED']);
  });

  it('the edge takes the verdict of the newest connection and keeps both counts', () => {
    const flows = [
      flow({ sport: 1000, at: 1, trafficDirection: 'INGRESS', verdict: 'DROPPED' }),
      flow({ sport: 2000, at: 5, trafficDirection: 'INGRESS', policies: [{ kind: 'NetworkPolicy', namespace: 'demo', name: 'demo-policy', direction: 'ingress', rule: 0, action: 'allow' }] }),
    ];
    const e = buildModel(cluster, flows, all).edges[0]!;
    expect(e).toMatchObject({ forwarded: 1, dropped: 1, verdict: 'FORWARDED' });
    expect(e.last).toBe(flows[1]);
    expect(e.lastDropEvents?.map((f) => f.verdict)).toEqual(['DROPPED']);
    // Older first in the input or not, the newest connection decides.
    expect(buildModel(cluster, [...flows].reverse(), all).edges[0]!.verdict).toBe('FORWARDED');
  });

  it('every pod of the store is a node in its namespace; world destinations by DNS name; filtered flows leave no edge', () => {
    const world: FlowEndpoint = { ip: '198.18.0.10', port: 443, kind: 'world', names: ['example.com'] };
    const flows = [flow({ sport: 3000, at: 1, destination: world }), flow({ sport: 3001, at: 2, destination: { ip: '198.18.0.99', port: 443, kind: 'world' } })];
    const m = buildModel(cluster, flows, all);
    expect(m.groups.map((g) => [g.name, g.kind, g.nodes.map((n) => n.label)])).toEqual([
      ['demo', 'namespace', ['client', 'server']],
      ['other', 'namespace', ['idle']],
      ['world', 'world', ['198.18.0.99', 'example.com']],
    ]);
    expect(m.edges.map((e) => e.to).sort()).toEqual(['world:198.18.0.99', 'world:example.com']);
    expect(buildModel(cluster, flows, (f) => f.destination.names?.includes('example.com') ?? false).edges.map((e) => e.to)).toEqual(['world:example.com']);
  });

  it('lays out 1,000 pods in namespace boxes without overlap, deterministically', () => {
    const pods = Array.from({ length: 1000 }, (_, i) => ({ id: `ns${i % 20}/p${i}`, namespace: `ns${i % 20}`, name: `p${i}`, labels: [] }));
    const m = buildModel({ ...cluster, pods }, [], all);
    const l = layoutModel(m, 1.6);
    expect(l.pos.size).toBe(1000);
    expect(l.groups).toHaveLength(20);
    for (const a of l.groups) {
      for (const b of l.groups) {
        if (a === b) continue;
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        expect(apart, `${a.name} and ${b.name} overlap`).toBe(true);
      }
    }
    for (const g of l.groups) {
      for (const n of m.groups.find((x) => x.name === g.name)!.nodes) {
        const p = l.pos.get(n.id)!;
        expect(p.x > g.x && p.x < g.x + g.w && p.y > g.y && p.y < g.y + g.h, `${n.id} inside ${g.name}`).toBe(true);
      }
    }
    expect(layoutModel(m, 1.6)).toEqual(l);
  });
});
