import { Command, Option } from 'commander';
import { setTimeout as delay } from 'node:timers/promises';
import { parseDuration } from '../../agnhost/flags.js';
import { labContext } from '../../lab/names.js';
import { EXIT, ExitError, UsageError } from '../../shared/errors.js';
import { collectStatus } from '../../status/collect.js';
import { COMPONENT_TITLES } from '../../status/component.js';
import { formatStatus } from '../../status/format.js';
import { assessStatus, type StatusReport } from '../../status/report.js';
import { progress, useColor } from '../tty.js';
import { writeOut } from '../write.js';

/** Exit code of an unhealthy status (cilium status exits 1 too). */
const EXIT_UNHEALTHY = EXIT.diagnostics;

export async function readStatusReport(): Promise<StatusReport> {
  return assessStatus(await collectStatus(labContext()), COMPONENT_TITLES);
}

/** Re-read until healthy or `timeoutMs`; progress names what is still wrong. */
async function waitHealthy(timeoutMs: number): Promise<StatusReport> {
  const deadline = performance.now() + timeoutMs;
  const bar = progress('waiting for podwall to be healthy');
  let last = '';
  let interval = 100;
  try {
    for (;;) {
      const r = await readStatusReport();
      if (r.healthy || performance.now() >= deadline) {
        bar.done(r.healthy ? undefined : `still unhealthy after ${Math.round(timeoutMs / 1000)} s`);
        return r;
      }
      const now = `${r.errors.length} problem${r.errors.length === 1 ? '' : 's'}: ${r.errors[0]}`;
      if (now !== last) bar.step(now);
      last = now;
      await delay(interval);
      interval = Math.min(interval * 2, 1000);
    }
  } catch (err) {
    bar.done();
    throw err;
  }
}

export function statusCommand(): Command {
  return new Command('status')
    .description('Health of the lab: agents (alive, nft table vs store revision, last apply), store, DNS proxy, flow reader, UI, pods, policies')
    .option('--wait', 'wait until everything is healthy (or --wait-duration passed)')
    .option('--wait-duration <duration>', 'how long --wait waits (Go duration: 30s, 5m)', '5m')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['txt', 'json']).default('txt'))
    .addHelpText('after', `
Like \`cilium status\`: one line per component, exit code 0 when everything is healthy, 1 when anything
is not (an agent is dead, its nft table is behind the store's revision, its last apply failed, a component
that reported itself has died, or no lab runs). Components that never started (DNS proxy, flow reader,
UI) show as disabled; each reports itself through <state dir>/<component>[-<node>].json.

Environment: PODWALL_LAB_PREFIX, PODWALL_STATE_DIR select the lab (see \`podwall lab --help\`).

Examples:
  podwall status
  podwall status --wait
  podwall status --wait --wait-duration 30s
  podwall status -o json | jq .agents`)
    .action(async (opts: { wait?: boolean; waitDuration: string; output: 'txt' | 'json' }) => {
      const timeoutMs = parseDuration(opts.waitDuration);
      if (timeoutMs === undefined || timeoutMs < 0) throw new UsageError(`--wait-duration: invalid duration ${JSON.stringify(opts.waitDuration)} (e.g. 30s, 5m)`);
      const report = opts.wait ? await waitHealthy(timeoutMs) : await readStatusReport();
      await writeOut(opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, useColor()));
      if (!report.healthy) throw new ExitError(EXIT_UNHEALTHY);
    });
}
