import { Command } from 'commander';
import { runDnsProxy } from '../../fqdn/proxy/proxy-main.js';
import { labContext } from '../../lab/names.js';

export function dnsProxyCommand(): Command {
  return new Command('dns-proxy')
    .description('The node\'s transparent DNS proxy (internal: started by `lab up` and the agent, inside the node\'s netns)')
    .requiredOption('--node <name>', 'the node whose pods it serves, e.g. node1')
    .option('--tofqdns-min-ttl <s>', 'minimum time an answered IP stays allowed (0: the answer\'s TTL)', '0')
    .option('--tofqdns-max-ip-per-hostname <n>', 'IPs kept per name and pod; the oldest unused goes first', '50')
    .option('--max-qps-per-pod <n>', 'queries per second one pod may send; more are dropped and counted', '20000')
    .addHelpText('after', `
It follows <state dir>/dns-rules-<node>.json (written by the agent), persists its cache to
<state dir>/dns-cache-<node>.json and answers \`podwall fqdn cache\` on <state dir>/dns-proxy-<node>.sock.

Examples:
  ip netns exec pw-node1 podwall dns-proxy --node node1
  ip netns exec pw-node1 podwall dns-proxy --node node1 --tofqdns-min-ttl 60`)
    .action(async (opts: { node: string; tofqdnsMinTtl: string; tofqdnsMaxIpPerHostname: string; maxQpsPerPod: string }) => {
      await runDnsProxy({
        node: opts.node, stateDir: labContext().stateDir, minTtl: Number(opts.tofqdnsMinTtl),
        maxIpsPerName: Number(opts.tofqdnsMaxIpPerHostname), maxQps: Number(opts.maxQpsPerPod),
      });
    });
}
