import { Command, Option } from 'commander';
import type { ConformanceCase } from '../../conformance/case.js';
import { runCaseOnEngine } from '../../conformance/engine-run.js';
import {
  caseName, formatEngineCase, formatEngineSummary, formatLiveCase, formatLiveSummary, type LiveCaseResult,
} from '../../conformance/live-report.js';
import { runSuiteOnDataplane } from '../../live/live-run.js';
import { readSuite } from '../../live/suite.js';
import { labContext } from '../../lab/names.js';
import { EXIT, ExitError, UsageError } from '../../shared/errors.js';
import { printDiagnostics } from '../load.js';
import { paint, progress, useColor } from '../tty.js';
import { writeOut } from '../write.js';

interface RunFlags {
  engine?: boolean;
  dataplane?: boolean;
  case?: string;
  output: 'txt' | 'json';
  keepLab?: boolean;
  timeout: string;
  verbose?: boolean;
}

function caseFilter(pattern: string | undefined): (c: ConformanceCase) => boolean {
  if (pattern === undefined) return () => true;
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    throw new UsageError(`--case: invalid regular expression: ${(e as Error).message}`);
  }
  return (c) => re.test(caseName(c.file)) || re.test(c.name);
}

function colorCase(text: string, color: boolean): string {
  const [first = '', ...rest] = text.split('\n');
  const c = first.startsWith('FAIL') ? 'red' : first.startsWith('ok') ? 'green' : 'yellow';
  return [paint(first, c, color), ...rest].join('\n');
}

async function runEngine(dir: string, opts: RunFlags): Promise<void> {
  const { suite } = loadOrExit(dir);
  const results = suite.cases.filter(caseFilter(opts.case)).map((c) => runCaseOnEngine(c, suite.cluster, suite.answers));
  if (opts.output === 'json') {
    const cases = results.map((r) => ({ name: caseName(r.file), file: r.file, status: r.failures.length ? 'fail' : 'ok', flows: r.results.length, failures: r.failures }));
    const failed = cases.filter((c) => c.status === 'fail').length;
    await writeOut(`${JSON.stringify({ mode: 'engine', dir, cases, passed: cases.length - failed, failed }, null, 2)}\n`);
  } else {
    const color = useColor();
    await writeOut(results.map((r) => colorCase(formatEngineCase(r), color)).join('') + formatEngineSummary(results));
  }
  if (results.some((r) => r.failures.length > 0)) throw new ExitError(EXIT.checkFailed);
}

function loadOrExit(dir: string): ReturnType<typeof readSuite> {
  const loaded = readSuite(dir);
  printDiagnostics(loaded.diagnostics);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) throw new ExitError(EXIT.diagnostics, `${errors} error(s) in ${dir}; no case was run`);
  return loaded;
}

async function runDataplane(dir: string, opts: RunFlags): Promise<void> {
  const { suite } = loadOrExit(dir);
  const timeout = Number(opts.timeout);
  if (!(timeout >= 50 && timeout <= 60_000)) throw new UsageError(`--timeout must be 50 … 60000 ms (got ${opts.timeout})`);
  const color = useColor();
  const p = progress('conformance run');
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130); // a second Ctrl-C: leave at once (`podwall lab down` clears what is left)
    p.step('interrupted: stopping after this step and removing the lab (Ctrl-C again to leave at once)');
    controller.abort(new ExitError(130, `interrupted${opts.keepLab ? '' : ': the lab was removed'}`));
  };
  process.on('SIGINT', onSigint);
  const printCase = (r: LiveCaseResult): void => {
    if (opts.output !== 'txt') return;
    if (process.stderr.isTTY) process.stderr.write('\r\u001b[K');
    process.stdout.write(colorCase(formatLiveCase(r, { verbose: opts.verbose === true }), color));
  };
  try {
    const res = await runSuiteOnDataplane(suite, {
      ctx: labContext(), filter: caseFilter(opts.case), keepLab: opts.keepLab === true, probeTimeoutMs: timeout,
      onProgress: (line) => p.step(line), onCase: printCase, signal: controller.signal,
    });
    p.done();
    await writeOut(opts.output === 'json' ? `${JSON.stringify({ mode: 'dataplane', ...res }, null, 2)}\n` : formatLiveSummary(res));
    if (res.failed > 0) throw new ExitError(EXIT.checkFailed);
  } catch (err) {
    p.done();
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function runCommand(): Command {
  return new Command('run')
    .description("Run a folder of conformance cases: against the engine, or with real packets in a lab")
    .argument('<dir>', 'a case folder: cluster.yaml, NN-*.yaml cases, optional world.hosts')
    .addOption(new Option('--engine', 'evaluate every case with the policy engine (default)').conflicts('dataplane'))
    .addOption(new Option('--dataplane', 'build the cluster in a lab (needs root) and probe with real packets').conflicts('engine'))
    .option('--case <regex>', 'only the cases whose file name or name matches')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['txt', 'json']).default('txt'))
    .option('--keep-lab', 'with --dataplane: leave the lab up afterwards (remove it with `podwall lab down`)')
    .option('--timeout <ms>', 'with --dataplane: how long a probe waits before it counts as dropped', '1000')
    .option('-v, --verbose', 'with --dataplane: list why probes were skipped in passing cases too')
    .addHelpText('after', `
Output: one line per case, "ok NAME", "ok (N skipped) NAME", "skipped NAME (why)" or "FAIL NAME" followed by
the flows that differ, then "N passed, N failed" (", N skipped" for cases with no probe the lab can make).
With --dataplane every measured verdict is compared with the case's expected verdict and with the engine's
for the same state. SCTP probes are skipped (this kernel has no SCTP), as are DNS names and ClusterIPs.

Exit codes: 0 every case passed, 3 a case failed, 1 invalid case files, 2 usage, 4 lab unavailable
(e.g. not root), 130 interrupted.

Environment (--dataplane): PODWALL_LAB_PREFIX (default pw), PODWALL_STATE_DIR: the lab it builds and removes.

Examples:
  podwall conformance run ../shared/conformance/k8s-e2e
  podwall conformance run ../shared/conformance/cilium --case '^2[0-9]-' -o json
  sudo PODWALL_LAB_PREFIX=pwc podwall conformance run ../shared/conformance/k8s-e2e --dataplane`)
    .action(async (dir: string, opts: RunFlags) => {
      if (opts.dataplane) await runDataplane(dir, opts);
      else await runEngine(dir, opts);
    });
}

export function conformanceCommand(): Command {
  return new Command('conformance')
    .description('Check podwall against the shared conformance cases')
    .addCommand(runCommand())
    .addHelpText('after', `
Examples:
  podwall conformance run ../shared/conformance/k8s-e2e --engine
  sudo podwall conformance run ../shared/conformance/cilium --dataplane`);
}
