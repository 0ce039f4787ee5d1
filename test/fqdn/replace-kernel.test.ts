import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/dataplane/compile.js';
import { plan } from '../../src/dataplane/nft/diff.js';
import { createExecutor } from '../../src/dataplane/nft/executor.js';
import { parseListing, render } from '../../src/dataplane/nft/render.js';
import { addNetns, canUseKernel, delNetns } from '../dataplane/netns.js';
import { engine } from '../support/engine-fixture.js';
import { testPrefix } from '../support/lab.js';

const NS = `${testPrefix('pwx')}-rp`;

describe.runIf(canUseKernel())('a full table replace keeps what the DNS proxy learned (real kernel)', () => {
  afterAll(() => delNetns(NS));

  it('fqdn elements survive a replace (enforcement off and on again), with their timeouts', async () => {
    addNetns(NS);
    const nft = createExecutor({ netns: NS });
    try {
      const e = engine('');
      await nft.apply(render(compile(e, { node: 'node1', enforcement: 'podwall' })));
      await nft.apply({ nftables: [{ add: { element: { family: 'inet', table: 'podwall', name: 'fqdn', elem: [{ elem: { val: { concat: ['10.0.1.1', '198.18.0.10', 'tcp', 443] }, timeout: 300 } }] } } }] });
      for (const enforcement of ['none', 'podwall'] as const) {
        const p = plan(parseListing(await nft.list()), compile(e, { node: 'node1', enforcement }));
        expect(p.kind).toBe('replace');
        await nft.apply(p.json);
        const listing = JSON.stringify(await nft.list());
        expect(listing).toContain('"concat":["10.0.1.1","198.18.0.10","tcp",443]');
        expect(listing).toMatch(/"timeout":300,"expires":2\d\d/);
      }
      // And the result is what a fresh apply gives: nothing left to do.
      expect(plan(parseListing(await nft.list()), compile(e, { node: 'node1', enforcement: 'podwall' })).kind).toBe('none');
    } finally {
      nft.close();
    }
  });
});
