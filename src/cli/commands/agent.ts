import { Command } from 'commander';
import { runAgent } from '../../agent/process.js';
import { labContext } from '../../lab/names.js';
import { defaultStorePath } from '../../store/location.js';

export function agentCommand(): Command {
  return new Command('agent')
    .description("Keep this node's nftables equal to the desired state (started by `lab up`, one per node, inside the node's netns)")
    .requiredOption('--node <name>', 'the node this agent enforces for, e.g. node1')
    .option('--store <path>', 'the desired-state store (default: <state dir>/store.db)')
    .option('--poll-ms <ms>', 'how often the store revision is checked', '5')
    .addHelpText('after', `
The agent writes its status to <state dir>/agent-<node>.json. Killing it leaves the kernel rules in force;
a restarted agent reads the table back and changes only what differs.

Examples:
  ip netns exec pw-node1 podwall agent --node node1
  podwall agent --node node1 --store /tmp/store.db`)
    .action(async (opts: { node: string; store?: string; pollMs: string }) => {
      const ctx = labContext();
      await runAgent({ node: opts.node, stateDir: ctx.stateDir, storePath: opts.store ?? defaultStorePath(), pollMs: Number(opts.pollMs) });
    });
}
