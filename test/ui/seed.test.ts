import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/conformance-dir.js';
import { agentProcesses, labCli, labCliOk } from '../support/lab-cli.js';
import { destroyTestLab, isRoot, requireAgnhostBuilt, testLab } from '../support/lab.js';
import { launchChromium, startUiProcess, type UiProcess } from '../support/ui.js';

// The seed's demo traffic on a real lab (network namespaces, nftables, the agents' NFLOG flow readers), watched
// through the real `podwall ui` in Debian's Chromium: the map shows client -> server dropped under demo-policy,
// then forwarded after `label pod client app=client`, and the explanation names demo/demo-policy.
// Prefix pwui belongs to this file only.

/** What the page exposes for tests (ui/src/perf.ts). */
type W = { __podwall?: { map?: { edges: { from: string; to: string; verdict: string; forwarded: number; dropped: number }[] } } };

describe.skipIf(!isRoot)('podwall ui on the seed demo (real lab, Chromium)', () => {
  const lab = testLab('pwui');
  const podwall = labCli(lab);
  let ui: UiProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let serverIp = '';
  const ok = labCliOk(lab);
  const probe = () => podwall(['exec', 'client', '-n', 'demo', '--', '/agnhost', 'connect', `${serverIp}:80`, '--timeout=3s', '--protocol=tcp']);
  /** The map's verdict for client -> server, as drawn (undefined while the map has no such edge). */
  const mapVerdict = (verdict: string) => page.waitForFunction((v) => {
    const edge = (globalThis as unknown as W).__podwall?.map?.edges.find((e) => e.from === 'demo/client' && e.to === 'demo/server');
    return edge?.verdict === v ? edge : undefined;
  }, verdict, { timeout: 20_000 }).then((h) => h.jsonValue());

  beforeAll(async () => {
    requireAgnhostBuilt();
    ok(['lab', 'up']);
    ok(['create', 'namespace', 'demo']);
    ok(['run', 'server', '-n', 'demo', '--labels=app=server', '--port=80', '--command', '--', '/agnhost', 'serve-hostname', '--tcp', '--http=false', '--port', '80']);
    ok(['run', 'client', '-n', 'demo']);
    serverIp = JSON.parse(ok(['get', 'pod', 'server', '-n', 'demo', '-o', 'json']).stdout).status.podIP as string;
    ui = await startUiProcess({ PODWALL_LAB_PREFIX: lab.prefix, PODWALL_STATE_DIR: lab.stateDir });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(ui.url);
  }, 60_000);

  afterAll(async () => {
    // Each on its own: a failure in one must not leave the others running.
    await browser?.close().catch(() => undefined);
    await ui?.stop();
    await destroyTestLab(lab);
    expect(agentProcesses(lab.prefix)).toEqual([]);
  }, 30_000);

  it('podwall status shows the running UI', () => {
    const st = podwall(['status']);
    expect(st.stdout).toMatch(new RegExp(`^UI:\\s+OK\\s+.*${ui!.url.replace(/[.]/g, '\\.')}`, 'm'));
  });

  it('shows the lab: live, the agent connected, both pods in namespace demo', async () => {
    await expect.poll(() => page.getByTestId('live-status').textContent()).toContain('live');
    await expect.poll(() => page.getByTestId('sources').textContent()).toMatch(/node1: \d+ flows/);
    await page.getByTestId('tab-policies').click();
    await expect.poll(() => page.getByTestId('tabpanel').textContent()).toContain('No policies');
  });

  it('demo-policy: the client gets TIMEOUT and the map shows client -> server dropped, explained by demo/demo-policy', async () => {
    ok(['apply', '-n', 'demo', '-f', 'examples/seed/calico-demo/demo-policy.yaml']);
    const r = probe();
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('TIMEOUT');

    expect(await mapVerdict('DROPPED')).toMatchObject({ dropped: 1, forwarded: 0 });
    await page.getByTestId('tab-connections').click();
    const row = page.locator('[data-testid="connection"][data-from="demo/client"][data-to="demo/server"]');
    await expect.poll(() => row.getAttribute('data-verdict')).toBe('DROPPED');
    await row.click();
    const details = page.getByTestId('details');
    await expect.poll(() => details.textContent()).toContain('demo/demo-policy');
    const text = (await details.textContent())!;
    expect(text).toContain('✕ DROPPED');
    expect(text).toMatch(/default deny/);
    expect(await page.getByTestId('flow-suggestion').first().textContent()).toContain('label pod demo/client app=client');

    // The policy list: demo-policy selects demo/server.
    await page.getByTestId('tab-policies').click();
    const policy = page.getByTestId('policies').locator('[data-testid="policy"][data-name="demo/demo-policy"]');
    await expect.poll(() => policy.textContent()).toContain('demo/server');
  }, 45_000);

  it('label pod client app=client: it connects, and the map shows client -> server forwarded', async () => {
    ok(['label', 'pod', 'client', '-n', 'demo', 'app=client']);
    expect(probe()).toEqual({ code: 0, stdout: '', stderr: '' });

    expect(await mapVerdict('FORWARDED')).toMatchObject({ dropped: 1, forwarded: 1 });
    await page.getByTestId('tab-connections').click();
    const row = page.locator('[data-testid="connection"][data-from="demo/client"][data-to="demo/server"]');
    await expect.poll(() => row.getAttribute('data-verdict')).toBe('FORWARDED');
    await row.click();
    await expect.poll(() => page.getByTestId('details').textContent()).toMatch(/allowed by demo\/demo-policy ingress rule 0/);

    // The flow table with observe's filter: only the drop of client -> server.
    await page.getByTestId('tab-flows').click();
    await page.getByTestId('filter').fill('--from-pod demo/client --verdict DROPPED');
    // The one dropped connection: its SYN and the retransmits, each logged.
    await expect.poll(() => page.getByTestId('flow-row').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-verdict')))])).toEqual(['DROPPED']);
    await page.getByTestId('flow-row').first().click();
    await expect.poll(() => page.getByTestId('flow-explain').textContent()).toContain('demo/demo-policy');
    await page.getByTestId('filter').fill('');

    // Back to the connection, for the screenshot a user would see.
    await page.getByTestId('tab-connections').click();
    await row.click();
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-results/ui-seed.png') });
  }, 45_000);
});
