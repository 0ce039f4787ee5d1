import { describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/api/types.js';
import { buildEngine } from '../../src/engine/engine.js';
import { podEndpoint } from '../../src/engine/endpoint.js';
import { buildMatrix } from '../../src/engine/matrix.js';
import { randomCluster } from '../support/random-cluster.js';

// The class-based matrix must agree with pair-by-pair evaluation on every pair, whatever the policies.
describe('matrix on pod classes equals evaluate pair by pair', () => {
  for (let seed = 1; seed <= 60; seed++) {
    it(`random cluster ${seed}`, () => {
      const objects: ApiObject[] = randomCluster(seed);
      const engine = buildEngine(objects);
      for (const pp of [{ port: 80, protocol: 'TCP' as const }, { port: 53, protocol: 'UDP' as const }]) {
        const m = buildMatrix(engine, pp);
        const pods = engine.cluster.pods;
        const wrong: string[] = [];
        for (let i = 0; i < pods.length; i++) {
          for (let j = 0; j < pods.length; j++) {
            const d = engine.evaluate({ src: podEndpoint(pods[i]!), dst: podEndpoint(pods[j]!), ...pp });
            if (d.allowed !== m.allowed(i, j)) wrong.push(`${pods[i]!.id} -> ${pods[j]!.id} ${pp.port}: evaluate ${d.allowed}`);
            if (m.decision(i, j).allowed !== d.allowed) wrong.push(`decision ${pods[i]!.id} -> ${pods[j]!.id}`);
          }
        }
        expect(wrong).toEqual([]);
      }
    });
  }
});
