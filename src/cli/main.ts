import { Command, CommanderError } from 'commander';
import { EXIT, ExitError, IoError, UsageError } from '../shared/errors.js';
import { agentCommand } from './commands/agent.js';
import { labHooks } from './lab-hooks.js';
import { execCommand, logsCommand } from './commands/exec.js';
import { runCommand } from './commands/run.js';
import { analyzeCommand } from './commands/analyze.js';
import { applyCommand } from './commands/apply.js';
import { createCommand } from './commands/create.js';
import { deleteCommand } from './commands/delete.js';
import { describeCommand } from './commands/describe.js';
import { getCommand } from './commands/get.js';
import { labelCommand } from './commands/label.js';
import { diffCommand } from './commands/diff.js';
import { labCommand } from './commands/lab.js';
import { lintCommand } from './commands/lint.js';
import { policyCommand } from './commands/policy.js';
import { validateCommand } from './commands/validate.js';
import { conformanceCommand } from './commands/conformance.js';
import { dnsProxyCommand } from './commands/dns-proxy.js';
import { fqdnCommand } from './commands/fqdn.js';
import { statusCommand } from './commands/status.js';
import { connectivityCommand } from './commands/connectivity.js';
import { clusterDnsCommand, worldCommand } from './commands/world.js';
import { uiCommand } from './commands/ui.js';
import { observeCommand } from './commands/observe.js';

export function buildProgram(): Command {
  const program = new Command('podwall')
    .description('Network policy for Kubernetes pods: analyse, trace and enforce NetworkPolicy and CiliumNetworkPolicy')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', `
Examples:
  podwall validate -f policies/
  podwall analyze -f examples/seed
  podwall policy trace -f examples/seed --from demo/client --to demo/server --port 80/TCP
  podwall lint -f examples/seed
  podwall diff -f old/ -f new/`);
  program.addCommand(analyzeCommand());
  program.addCommand(agentCommand());
  program.addCommand(runCommand());
  program.addCommand(execCommand());
  program.addCommand(logsCommand());
  program.addCommand(policyCommand());
  program.addCommand(validateCommand());
  program.addCommand(lintCommand());
  program.addCommand(diffCommand());
  program.addCommand(labCommand());
  program.addCommand(applyCommand(labHooks));
  program.addCommand(createCommand());
  program.addCommand(getCommand());
  program.addCommand(describeCommand());
  program.addCommand(labelCommand(labHooks));
  program.addCommand(deleteCommand(labHooks));
  program.addCommand(conformanceCommand());
  program.addCommand(fqdnCommand());
  program.addCommand(dnsProxyCommand(), { hidden: true });
  program.addCommand(statusCommand());
  program.addCommand(connectivityCommand());
  // Lab internals (run by `lab up`), hidden from the command list.
  program.addCommand(worldCommand(), { hidden: true });
  program.addCommand(clusterDnsCommand(), { hidden: true });
  program.addCommand(uiCommand());
  program.addCommand(observeCommand());
  exitOverrideAll(program);
  return program;
}

/** Usage errors of every (sub)command come back as exceptions, so main() maps them to exit code 2. */
function exitOverrideAll(cmd: Command): void {
  for (const c of cmd.commands) {
    c.exitOverride();
    exitOverrideAll(c);
  }
}

/** The only place that turns exceptions into exit codes. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof ExitError) {
      if (err.message && !/^exit \d+$/.test(err.message)) process.stderr.write(`${err.message}\n`);
      return err.code;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof IoError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT.io;
    }
    process.stderr.write(`internal error (please report): ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    return 70;
  }
}
