import { paint } from '../cli/tty.js';
import { flowLine } from './flows-check.js';
import { EXPECT_WORDS, OUTCOME_WORDS } from './probe.js';
import type { ProbeReport, ScenarioResult } from './run.js';

/** Output of `connectivity test`: one line per scenario, the probes (and flows) of failures, a summary. */

export interface Marks {
  pass: string;
  fail: string;
  skip: string;
}

/** Check marks on a terminal, ASCII words when piped. */
export function marks(tty: boolean): Marks {
  return tty ? { pass: '✔', fail: '✘', skip: '-' } : { pass: '[ok]', fail: '[FAIL]', skip: '[skip]' };
}

function probeLines(p: ProbeReport, m: Marks, color: boolean, showFlows: boolean): string[] {
  const good = p.ok && (p.flow?.ok ?? true);
  const what = p.ok
    ? `${OUTCOME_WORDS[p.result.outcome]} as expected`
    : `expected ${EXPECT_WORDS[p.spec.expect]}, got ${OUTCOME_WORDS[p.result.outcome]}${p.result.detail ? ` (${p.result.detail})` : ''}`;
  const lines = [`    ${paint(good ? m.pass : m.fail, good ? 'green' : 'red', color)} ${p.label}: ${what}`];
  if (p.flow && !p.flow.ok) lines.push(`        flow log: ${p.flow.problem}`);
  if (p.flow?.unchecked) lines.push(`        flow log: not checked (${p.flow.unchecked})`);
  if (p.flow && showFlows) {
    if (p.flow.seen.length === 0) lines.push('        flows seen: none');
    for (const f of p.flow.seen.slice(-5)) lines.push(`        flow: ${flowLine(f)}`);
  }
  return lines;
}

export function scenarioLines(r: ScenarioResult, index: number, total: number, opts: { tty: boolean; color: boolean; verbose: boolean }): string {
  const m = marks(opts.tty);
  const n = `[${index + 1}/${total}]`;
  if (r.status === 'skipped') return `${paint(m.skip, 'yellow', opts.color)} ${n} ${r.name}: skipped: ${r.reason}\n`;
  const ok = r.status === 'passed';
  const head = `${paint(ok ? m.pass : m.fail, ok ? 'green' : 'red', opts.color)} ${n} ${r.name} (${r.probes.length} probe${r.probes.length === 1 ? '' : 's'}, `
    + `${(r.ms / 1000).toFixed(1)} s, flow log ${r.flows})`;
  const lines = [head];
  if (!ok && r.reason) lines.push(`    error: ${r.reason}`);
  if (!ok || opts.verbose || r.flows === 'partly checked') {
    if (!ok) lines.push(`    ${r.description}`);
    for (const p of r.probes) lines.push(...probeLines(p, m, opts.color, !ok || opts.verbose));
  }
  return `${lines.join('\n')}\n`;
}

export function summaryLine(results: readonly ScenarioResult[], color: boolean): string {
  const count = (s: ScenarioResult['status']) => results.filter((r) => r.status === s).length;
  const failed = count('failed');
  const skipped = count('skipped');
  const text = `${count('passed')} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
  return `${paint(text, failed ? 'red' : 'green', color)}\n`;
}
