import { Command, Option } from 'commander';
import { join } from 'node:path';
import { controlRequest } from '../../fqdn/proxy/control.js';
import { readCaches, type CacheRow } from '../../fqdn/proxy/cache-view.js';
import { proxyFiles, readJson } from '../../fqdn/proxy/files.js';
import { labContext } from '../../lab/names.js';
import { IoError } from '../../shared/errors.js';
import { formatTable } from '../output/kube-table.js';
import { writeOut } from '../write.js';

/** The lab's nodes, from `lab.json` in the state dir. */
function labNodes(stateDir: string): string[] {
  const info = readJson(join(stateDir, 'lab.json')) as { nodes?: { name: string }[] } | null;
  if (!info?.nodes) throw new IoError(`no lab in ${stateDir} (no lab.json): run \`podwall lab up\``);
  return info.nodes.map((n) => n.name);
}

function filter(rows: CacheRow[], opts: { namespace?: string; pod?: string }): CacheRow[] {
  return rows.filter((r) => {
    const [ns, name] = r.pod.split('/');
    return (opts.namespace === undefined || ns === opts.namespace) && (opts.pod === undefined || name === opts.pod || r.pod === opts.pod);
  });
}

function listCommand(): Command {
  return new Command('list')
    .description('Show what the nodes\' DNS proxies learned: per pod and name, the IPs and how long they stay allowed')
    .option('-n, --namespace <ns>', 'only pods of this namespace')
    .option('--pod <name>', 'only this pod (name, or namespace/name)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .addHelpText('after', `
Columns as \`cilium fqdn cache list\`: POD, FQDN, TTL (seconds left), EXPIRATION, IPS, SOURCE
(lookup: from an answer; restored: read back from the persisted cache by a restarted proxy).

Examples:
  podwall fqdn cache list
  podwall fqdn cache list -n demo --pod curl
  podwall fqdn cache list -o json`)
    .action(async (opts: { namespace?: string; pod?: string; output: string }) => {
      const ctx = labContext();
      const { rows, offline } = await readCaches(ctx.stateDir, labNodes(ctx.stateDir));
      const shown = filter(rows, opts);
      if (opts.output === 'json') {
        await writeOut(`${JSON.stringify({ entries: shown, offline }, null, 2)}\n`);
        return;
      }
      for (const n of offline) process.stderr.write(`warning: the DNS proxy of ${n} does not answer: showing its persisted cache\n`);
      if (shown.length === 0) {
        process.stderr.write('No cache entries found.\n');
        return;
      }
      await writeOut(formatTable(['POD', 'FQDN', 'TTL', 'EXPIRATION', 'IPS', 'SOURCE'],
        shown.map((r) => [r.pod, r.fqdn, String(r.ttlLeft), r.expiration, r.ips.join(','), r.source])));
    });
}

function cleanCommand(): Command {
  return new Command('clean')
    .description('Forget what the DNS proxies learned (all, or one pod\'s): the IPs are no longer allowed until the next lookup')
    .option('-n, --namespace <ns>', 'namespace of --pod', 'default')
    .option('--pod <name>', 'only this pod')
    .addHelpText('after', `
Examples:
  podwall fqdn cache clean
  podwall fqdn cache clean -n demo --pod curl`)
    .action(async (opts: { namespace: string; pod?: string }) => {
      const ctx = labContext();
      const pod = opts.pod === undefined ? null : opts.pod.includes('/') ? opts.pod : `${opts.namespace}/${opts.pod}`;
      let total = 0;
      for (const node of labNodes(ctx.stateDir)) {
        const route = pod === null ? '/clean' : `/clean?pod=${encodeURIComponent(pod)}`;
        const r = await controlRequest<{ removed: number }>(proxyFiles(ctx.stateDir, node).socket, 'POST', route);
        if (!r) throw new IoError(`the DNS proxy of ${node} does not answer (${proxyFiles(ctx.stateDir, node).socket})`);
        total += r.removed;
      }
      await writeOut(`removed ${total} cache entr${total === 1 ? 'y' : 'ies'}\n`);
    });
}

export function fqdnCommand(): Command {
  return new Command('fqdn')
    .description('The DNS proxies\' FQDN cache (toFQDNs)')
    .addCommand(new Command('cache').description('List or clean the FQDN cache').addCommand(listCommand()).addCommand(cleanCommand())
      .addHelpText('after', `
Examples:
  podwall fqdn cache list -n demo
  podwall fqdn cache clean --pod curl -n demo`))
    .addHelpText('after', `
Examples:
  podwall fqdn cache list
  podwall fqdn cache clean --pod curl -n demo`);
}
