import { Command } from 'commander';
import { join } from 'node:path';
import { parseDuration } from '../../agnhost/flags.js';
import { deploy, readLab, removeNamespaces, type Deployment } from '../../connectivity/deploy.js';
import { flowApis } from '../../connectivity/flows-check.js';
import { scenarioLines, summaryLine } from '../../connectivity/format.js';
import { Aborted, runScenarios } from '../../connectivity/run.js';
import { SCENARIOS, selectScenarios } from '../../connectivity/scenarios.js';
import { labContext } from '../../lab/names.js';
import { requireRoot } from '../../lab/lab.js';
import { EXIT, ExitError, IoError, UsageError } from '../../shared/errors.js';
import { readStatusReport } from './status.js';
import { openStore } from '../../store/index.js';
import { progress, useColor } from '../tty.js';
import { writeOut } from '../write.js';

/** Exit code when a scenario failed (cilium connectivity test exits 1 too). */
const EXIT_FAILED = EXIT.diagnostics;
/** After Ctrl-C, once cleaned up: 128 + SIGINT, as shells report it. */
const EXIT_INTERRUPTED = 130;

interface Flags {
  test?: string;
  namespace: string;
  probeTimeout: string;
  verbose?: boolean;
}

function options(opts: Flags): { timeoutMs: number; pattern?: string } {
  const timeoutMs = parseDuration(opts.probeTimeout);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--probe-timeout: invalid duration ${JSON.stringify(opts.probeTimeout)} (e.g. 2s, 1500ms)`);
  if (opts.test) {
    try {
      new RegExp(opts.test.replace(/^!/, ''));
    } catch (e) {
      throw new UsageError(`--test: invalid regular expression: ${(e as Error).message}`);
    }
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(opts.namespace) || opts.namespace.length > 57) {
    throw new UsageError(`--namespace: ${JSON.stringify(opts.namespace)} is not a valid namespace name (lowercase letters, digits, '-'; at most 57 characters)`);
  }
  return { timeoutMs, ...(opts.test ? { pattern: opts.test } : {}) };
}

async function connectivityTest(opts: Flags): Promise<void> {
  const { timeoutMs, pattern } = options(opts);
  requireRoot();
  const scenarios = selectScenarios(SCENARIOS, pattern);
  if (scenarios.length === 0) throw new UsageError(`--test ${pattern}: matches no scenario (${SCENARIOS.map((s) => s.name).join(', ')})`);
  const ctx = labContext();
  const lab = readLab(ctx);
  // Like cilium's, only on a healthy installation: a dead agent would otherwise show as a minute-long wait.
  const health = await readStatusReport();
  if (!health.healthy) throw new IoError(`podwall is not healthy (see \`podwall status\`):\n  ${health.errors.join('\n  ')}`);
  const store = openStore(join(ctx.stateDir, 'store.db'));
  const tty = process.stdout.isTTY === true;
  const color = useColor();
  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) process.exit(EXIT_INTERRUPTED); // a second Ctrl-C: give up cleaning
    process.stderr.write('\ninterrupted: cleaning up (Ctrl-C again to quit at once)\n');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const bar = progress('connectivity test');
  let deployment: Deployment | undefined;
  try {
    deployment = await deploy(store, ctx, opts.namespace, (l) => bar.step(l));
    if (abort.signal.aborted) throw new Aborted();
    bar.done();
    const apis = flowApis(ctx.stateDir, lab.nodes.map((n) => n.name));
    await writeOut(`Running ${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'} in namespaces ${deployment.namespace}, ${deployment.otherNamespace}; `
      + `flow log: ${apis.length ? `checked through ${apis.map((a) => a.url).join(', ')}` : 'not checked (the agents serve no flow API)'}\n`);
    const scenarioBar = tty ? progress('scenario') : undefined;
    const results = await runScenarios({
      ctx, store, deployment, scenarios, probeTimeoutMs: timeoutMs, signal: abort.signal,
      onStart: (s, i) => scenarioBar?.step(`[${i + 1}/${scenarios.length}] ${s.name}`),
      onResult: (r, i) => {
        scenarioBar?.done();
        process.stdout.write(scenarioLines(r, i, scenarios.length, { tty, color, verbose: opts.verbose === true }));
      },
    }).finally(() => scenarioBar?.done());
    await writeOut(summaryLine(results, color));
    if (results.some((r) => r.status === 'failed')) throw new ExitError(EXIT_FAILED);
  } catch (err) {
    bar.done();
    if (err instanceof Aborted) throw new ExitError(EXIT_INTERRUPTED, 'interrupted');
    throw err;
  } finally {
    const clean = progress('cleaning up');
    try {
      await deployment?.stop();
      await removeNamespaces(store, opts.namespace, `${opts.namespace}-other`);
      clean.done();
    } finally {
      clean.done();
      store.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

export function connectivityCommand(): Command {
  const cmd = new Command('connectivity').description('Check the lab\'s network policy end to end (like `cilium connectivity test`)')
    .addHelpText('after', `
Examples:
  podwall connectivity test
  podwall connectivity test --test 'deny' -v
  podwall connectivity test --help`);
  cmd.addCommand(new Command('test')
    .description('Deploy test pods into the running lab and run named policy scenarios with real connections')
    .option('--test <regex>', 'run only scenarios whose name matches (a leading ! runs those that do not)')
    .option('-n, --namespace <ns>', 'namespace of the test pods (a second one, <ns>-other, holds echo-other)', 'podwall-test')
    .option('--probe-timeout <duration>', 'how long a probe waits for a connection (an expected drop costs this long)', '2s')
    .option('-v, --verbose', 'show every probe (and its flows), not only those of failed scenarios')
    .addHelpText('after', `
Deploys client, client2 and echo (serving 8080 named http, and 8081) in namespace <ns>, echo-other in
<ns>-other (on another node when the lab has one) and a server on the client's node address; then, for each
scenario, applies its NetworkPolicy or CiliumNetworkPolicy, probes with \`agnhost connect\` from inside the
pods, checks every result, and removes the policy. When the agents serve the flow API, each expected drop
must also appear in the flow log as DROPPED by the scenario's policy; otherwise the flow log is reported
as not checked. Scenarios that need the simulated internet or the DNS proxy are skipped, with the reason,
on a lab without them. Everything the test created is removed at the end, also after Ctrl-C.

Scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}.

Exit code: 0 when every scenario that ran passed, 1 when one failed, 4 when there is no lab or
\`podwall status\` finds it unhealthy (nothing is deployed then), 130 after Ctrl-C.

Examples:
  podwall connectivity test
  podwall connectivity test --test 'deny'
  podwall connectivity test --test '!fqdn|dns' -v
  podwall connectivity test --namespace my-check --probe-timeout 1s`)
    .action((opts: Flags) => connectivityTest(opts)));
  for (const c of cmd.commands) c.exitOverride();
  return cmd;
}
