import { Command, Option } from 'commander';
import { UsageError } from '../../shared/errors.js';
import { labContext } from '../../lab/names.js';
import { labDown, labUp, requireRoot } from '../../lab/lab.js';
import { formatLabStatusTxt, labStatus } from '../../lab/status.js';
import { writeOut } from '../write.js';
import { labUpdateCommand } from './lab-update.js';
import { labHooks } from '../lab-hooks.js';
import { labWorldCommand } from './lab-world.js';

const say = (verb: string) => (line: string): void => void process.stderr.write(`lab ${verb}: ${line}\n`);

const ENV_HELP = `
Environment:
  PODWALL_LAB_PREFIX  prefix of every lab object (netns <prefix>-node1, links <prefix>…), default pw
  PODWALL_STATE_DIR   store, pid files and logs, default /run/podwall/<prefix>

Needs root (exit 4 otherwise).`;

function parseNodes(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--nodes must be a number (got ${JSON.stringify(text)})`);
  return Number(text);
}

function upCommand(): Command {
  return new Command('up')
    .description('Create the lab: one network namespace per node (leftovers of the prefix are removed first)')
    .option('--nodes <n>', 'number of nodes (node1 … nodeN)', '1')
    .option('--keep-state', 'keep the store and state files of a previous run')
    .option('--world-zone <file>', "the simulated internet's zone (default: lab/world.yaml)")
    .option('--no-world', 'no simulated internet and no cluster DNS')
    .addHelpText('after', `${ENV_HELP}

Besides the nodes, lab up creates the simulated internet (netns <prefix>-world: DNS 198.18.0.2, HTTPS and
HTTP on every zone address, a lab CA pods trust) and the cluster DNS (Service kube-system/kube-dns 10.96.0.10,
pod kube-system/coredns). See docs/lab.md.

Examples:
  podwall lab up
  podwall lab up --nodes 2
  podwall lab up --world-zone my-world.yaml
  PODWALL_LAB_PREFIX=pwdev podwall lab up --nodes 3`)
    .action(async (opts: { nodes: string; keepState?: boolean; world: boolean; worldZone?: string }) => {
      await labUp({
        nodes: parseNodes(opts.nodes), keepState: opts.keepState === true, world: opts.world, onProgress: say('up'),
        ...(opts.worldZone ? { zoneFile: opts.worldZone } : {}),
      }, labContext());
    });
}

function downCommand(): Command {
  return new Command('down')
    .description('Remove everything of the prefix: processes, pod and node namespaces, links, state files')
    .option('--keep-state', 'keep the store and state files')
    .addHelpText('after', `${ENV_HELP}

Examples:
  podwall lab down
  PODWALL_LAB_PREFIX=pwdev podwall lab down --keep-state`)
    .action(async (opts: { keepState?: boolean }) => {
      await labDown({ keepState: opts.keepState === true, onProgress: say('down') }, labContext());
    });
}

function statusCommand(): Command {
  return new Command('status')
    .description('Nodes, pod namespaces, links and nft tables of the lab, read from the kernel')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['txt', 'json']).default('txt'))
    .addHelpText('after', `${ENV_HELP}

Examples:
  podwall lab status
  podwall lab status -o json`)
    .action(async (opts: { output: 'txt' | 'json' }) => {
      requireRoot();
      const s = await labStatus(labContext());
      await writeOut(opts.output === 'json' ? `${JSON.stringify(s, null, 2)}\n` : formatLabStatusTxt(s));
    });
}

export function labCommand(): Command {
  const cmd = new Command('lab')
    .description('Run a local lab: pods as network namespaces on this machine, policy enforced with nftables')
    .addCommand(upCommand())
    .addCommand(downCommand())
    .addCommand(statusCommand())
    .addCommand(labUpdateCommand(labHooks))
    .addCommand(labWorldCommand())
    .addHelpText('after', `${ENV_HELP}

Examples:
  sudo podwall lab up --nodes 2
  sudo podwall lab status
  sudo podwall lab update --network-policy none
  sudo podwall lab down`);
  for (const c of cmd.commands) c.exitOverride();
  return cmd;
}
