import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { startFlowApi, type FlowApi } from '../support/flow-api.js';
import { generateLoad } from '../support/flow-gen.js';
import { repoRoot } from '../support/conformance-dir.js';
import { launchChromium, startUiProcess, type UiProcess } from '../support/ui.js';

// The UI with 1,000 pods and 50,000 flows: generated flows served through two agent flow APIs (one per node,
// found through their status files like real agents), the real `podwall ui` process and Debian's Chromium.
// Measured in the browser: from the moment the last buffered flow arrived to the map laid out and drawn.

/** What the page exposes for tests (ui/src/perf.ts). */
type W = { __podwall?: { perf: { flows: number; pods: number; edges: number; modelMs: number; layoutMs: number; drawMs: number; drawnAt: number; firstDrawnAt: number }; readyAt?: number; map?: { nodes: number; edges: unknown[] } } };

const PODS = 1000;
const FLOWS = 50_000;
const BUDGET_MS = 2000;

describe('podwall ui with 1,000 pods and 50,000 flows (Chromium)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'podwall-ui-load-'));
  const stateDir = join(tmp, 'state');
  const apis: FlowApi[] = [];
  let ui: UiProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const load = generateLoad(7, { pods: PODS, policies: 50, flows: FLOWS, nodes: 2 });
    mkdirSync(stateDir, { recursive: true });
    const store = openStore(join(stateDir, 'store.db'));
    try {
      store.apply(load.objects);
    } finally {
      store.close();
    }
    for (const node of ['node1', 'node2']) {
      const api = await startFlowApi(load.flows.filter((f) => f.node === node));
      apis.push(api);
      writeFileSync(join(stateDir, `agent-${node}.json`), JSON.stringify({ node, pid: process.pid, api: api.url }));
    }
    ui = await startUiProcess({ PODWALL_STATE_DIR: stateDir, PODWALL_LAB_PREFIX: 'pwul' }, ['--max-flows', String(FLOWS)]);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    // Each step on its own, so one failing cleanup does not leave the others running.
    await browser?.close().catch(() => undefined);
    await ui?.stop();
    for (const api of apis) await api.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it(`lays out and draws the map in under ${BUDGET_MS} ms`, async () => {
    const page = await browser!.newPage({ viewport: { width: 1600, height: 1000 } });
    const t0 = Date.now();
    await page.goto(ui!.url);
    await page.waitForFunction((n) => {
      const p = (globalThis as unknown as W).__podwall;
      return p !== undefined && p.perf.flows === n && p.perf.firstDrawnAt > 0 && p.readyAt !== undefined;
    }, FLOWS, { timeout: 45_000 });
    const loadedMs = Date.now() - t0;
    const m = await page.evaluate(() => {
      const p = (globalThis as unknown as W).__podwall!;
      return { ...p.perf, readyAt: p.readyAt!, nodes: p.map!.nodes, mapEdges: p.map!.edges.length };
    });
    // The first draw with the whole buffer: later draws follow live updates.
    const renderMs = m.firstDrawnAt - m.readyAt;
    process.stdout.write(`ui load: ${PODS} pods, ${FLOWS} flows, ${m.mapEdges} edges: model ${m.modelMs.toFixed(0)} ms, layout ${m.layoutMs.toFixed(1)} ms, `
      + `draw ${m.drawMs.toFixed(0)} ms; data in -> map drawn ${renderMs.toFixed(0)} ms (budget ${BUDGET_MS}); page open -> data in ${m.readyAt.toFixed(0)} ms -> drawn ${loadedMs} ms\n`);
    expect(m.nodes).toBeGreaterThanOrEqual(PODS);
    expect(m.mapEdges).toBeGreaterThan(1000);
    expect(renderMs).toBeLessThan(BUDGET_MS);

    // The virtualized table shows the newest flows without rendering 50,000 rows.
    const rows = await page.getByTestId('flow-row').count();
    expect(rows).toBeGreaterThan(5);
    expect(rows).toBeLessThan(200);
    await expect.poll(() => page.getByTestId('counts').textContent()).toContain('50,000 flows');

    // Filtering 50,000 flows and redrawing stays interactive.
    const f0 = await page.evaluate(() => performance.now());
    await page.getByTestId('filter').fill('--verdict DROPPED --to-pod team-00/');
    await page.waitForFunction((since) => (globalThis as unknown as W).__podwall!.perf.drawnAt > since, f0);
    const filterMs = await page.evaluate((since) => (globalThis as unknown as W).__podwall!.perf.drawnAt - since, f0);
    process.stdout.write(`ui load: filter typed -> map redrawn ${filterMs.toFixed(0)} ms\n`);
    expect(filterMs).toBeLessThan(BUDGET_MS);
    const verdicts = await page.getByTestId('flow-row').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-verdict')))]);
    expect(verdicts).toEqual(['DROPPED']);

    await page.getByTestId('filter').fill('');
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-results/ui-load.png') });
    await page.close();
  }, 60_000);
});
