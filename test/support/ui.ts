import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { waitFor } from '../../src/lab/wait.js';
import { repoRoot } from './conformance-dir.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's Chromium, headless, as the team's browser tests run it. The caller closes it in a finally/afterAll. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    timeout: 30_000,
  });
}

export interface UiProcess {
  url: string;
  pid: number;
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s; resolves when it is gone. */
  stop(): Promise<void>;
}

/** `podwall ui --port 0 ...` as a child process with the given environment; resolves once it prints its URL. */
export async function startUiProcess(env: NodeJS.ProcessEnv, args: string[] = []): Promise<UiProcess> {
  if (!existsSync(join(repoRoot, 'dist/ui/index.html'))) throw new Error('dist/ui is missing: run `npm run setup` (npm test does)');
  const child = spawn(process.execPath, [join(repoRoot, 'bin/podwall.js'), 'ui', '--port', '0', ...args], {
    cwd: repoRoot, env: { ...process.env, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  let exited = false;
  // Should the test process itself end abruptly (a worker timeout), the UI must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const closed = new Promise<void>((resolve) => child.once('close', () => { exited = true; process.off('exit', killOnExit); resolve(); }));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await closed;
    clearTimeout(timer);
  };
  try {
    const url = await waitFor(() => {
      if (exited) throw new Error(`podwall ui exited: ${out}`);
      return /podwall UI on (http:\/\/\S+)/.exec(out)?.[1];
    }, { timeoutMs: 15_000, what: 'podwall ui to print its URL' });
    return { url, pid: child.pid!, output: () => out, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
