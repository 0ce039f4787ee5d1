import { setTimeout as delay } from 'node:timers/promises';
import { IoError } from '../shared/errors.js';

export interface WaitOptions {
  /** Give up after this long (default 5 s). */
  timeoutMs?: number;
  /** Re-check this often (default 10 ms, growing to 100 ms). */
  intervalMs?: number;
  /** What is awaited, for the error message. */
  what?: string;
}

/**
 * Wait until `check` returns a value other than undefined/false, re-checking with a short back-off.
 * Throws IoError on timeout. Used instead of fixed sleeps: it returns as soon as the condition holds.
 */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  let interval = opts.intervalMs ?? 10;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (performance.now() >= deadline) throw new IoError(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a condition'}`);
    await delay(interval);
    interval = Math.min(interval * 2, 100);
  }
}
