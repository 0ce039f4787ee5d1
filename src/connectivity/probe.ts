import { execInPodCapture, type PodRef } from '../lab/supervisor.js';
import type { LabContext } from '../lab/names.js';
import type { Expectation } from './scenarios.js';

/**
 * One probe: `agnhost connect HOST:PORT --timeout=… --protocol=tcp` run inside the source pod, as a user
 * would with `podwall exec`. agnhost's verdict line (TIMEOUT, REFUSED, DNS, …) says what happened.
 */

export type Outcome = 'connected' | 'timeout' | 'refused' | 'dns' | 'error';

export interface ProbeResult {
  outcome: Outcome;
  /** agnhost's line, e.g. "TIMEOUT: dial tcp 10.244.0.3:8080: i/o timeout". */
  detail: string;
  ms: number;
}

export function outcomeOf(code: number | null, output: string): Outcome {
  if (code === 0) return 'connected';
  const word = /^(TIMEOUT|REFUSED|DNS)\b/m.exec(output)?.[1];
  return word === 'TIMEOUT' ? 'timeout' : word === 'REFUSED' ? 'refused' : word === 'DNS' ? 'dns' : 'error';
}

export async function probe(from: PodRef, dest: string, timeoutMs: number, ctx: LabContext): Promise<ProbeResult> {
  const t0 = performance.now();
  const r = await execInPodCapture(from, ['agnhost', 'connect', dest, `--timeout=${timeoutMs}ms`, '--protocol=tcp'], {}, ctx);
  const detail = (r.stdout + r.stderr).trim();
  return { outcome: outcomeOf(r.code, detail), detail, ms: Math.round(performance.now() - t0) };
}

/**
 * Whether an outcome meets the expectation. To the world, a refusal counts as allowed: the world may have
 * nothing listening on the port, and an answer at all proves the rules let the packet through.
 */
export function meets(expect: Expectation, outcome: Outcome, refusalIsReach: boolean): boolean {
  switch (expect) {
    case 'allowed': return outcome === 'connected' || (refusalIsReach && outcome === 'refused');
    case 'dropped': return outcome === 'timeout';
    case 'dns-refused': return outcome === 'dns';
  }
}

export const OUTCOME_WORDS: Record<Outcome, string> = {
  connected: 'CONNECTED', timeout: 'TIMEOUT', refused: 'REFUSED', dns: 'DNS FAILURE', error: 'ERROR',
};
export const EXPECT_WORDS: Record<Expectation, string> = { allowed: 'CONNECTED', dropped: 'DROPPED (TIMEOUT)', 'dns-refused': 'DNS REFUSED' };
