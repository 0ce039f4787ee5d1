/**
 * Randomized clusters (test/support/random-cluster.ts): compile + simulate against engine.evaluate for
 * every ordered pod pair on several ports, and for world and node endpoints both ways. Host-network
 * pods take part as what policy sees them as: their node.
 */
import { describe, expect, it } from 'vitest';
import type { Protocol } from '../../src/engine/cluster.js';
import { podEndpoint, type Endpoint } from '../../src/engine/endpoint.js';
import { buildEngine } from '../../src/engine/engine.js';
import { randomCluster } from '../support/random-cluster.js';
import { compileAll, simulateFlow } from './flow.js';

const PORTS: [number, Protocol][] = [[80, 'TCP'], [8080, 'TCP'], [70, 'TCP'], [91, 'TCP'], [53, 'UDP'], [80, 'UDP'], [53, 'SCTP']];
const WORLD = ['1.2.3.4', '192.168.7.7'];
const SEEDS = Array.from({ length: 60 }, (_, i) => i + 1);

describe('randomized clusters: compile + simulate agree with engine.evaluate', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}`, () => {
      const engine = buildEngine(randomCluster(seed));
      const fw = compileAll(engine);
      const pods = engine.cluster.pods.map(podEndpoint);
      const others: Endpoint[] = [
        ...WORLD.map((ip): Endpoint => ({ kind: 'world', ip, names: [] })),
        ...engine.cluster.nodes.map((n): Endpoint => ({ kind: 'node', name: n.name, ip: n.ips[0]! })),
      ];
      const pairs: [Endpoint, Endpoint][] = [];
      pods.forEach((a, i) => pods.forEach((b, j) => {
        if (i !== j) pairs.push([a, b]);
      }));
      for (const p of pods) for (const o of others) pairs.push([p, o], [o, p]);
      const bad: string[] = [];
      let compared = 0;
      for (const [src, dst] of pairs) {
        if (src.kind !== 'pod' && dst.kind !== 'pod') continue; // nobody's policy: nothing to enforce
        for (const [port, protocol] of PORTS) {
          const want = engine.evaluate({ src, dst, port, protocol });
          const got = simulateFlow(engine, fw, src, dst, port, protocol);
          if (got.skipped) continue;
          compared++;
          if (got.allowed !== want.allowed) {
            bad.push(`${src.kind}:${src.ip} -> ${dst.kind}:${dst.ip} ${port}/${protocol}: engine ${want.reason}, nft ${got.steps.map((s) => `${s.node}/${s.hook} ${s.comment}`).join(' | ')}`);
          }
        }
      }
      expect(compared).toBeGreaterThan(100);
      expect(bad.slice(0, 10)).toEqual([]);
    });
  }
});
