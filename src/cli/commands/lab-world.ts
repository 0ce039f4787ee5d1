import { Command, Option } from 'commander';
import { requireRoot } from '../../lab/lab.js';
import { labContext } from '../../lab/names.js';
import { UsageError } from '../../shared/errors.js';
import { startWorldService, stopWorldService, WORLD_SERVICES, worldStatus, type WorldService } from '../../world/world.js';
import { writeOut } from '../write.js';

/** `podwall lab world start|stop|status`: the simulated internet's servers (e.g. stop its DNS to show what a DNS outage does). */

function service(name: string | undefined): WorldService[] {
  if (name === undefined) return [...WORLD_SERVICES];
  if (!(WORLD_SERVICES as readonly string[]).includes(name)) throw new UsageError(`unknown world service ${JSON.stringify(name)} (expected ${WORLD_SERVICES.join(' or ')})`);
  return [name as WorldService];
}

const say = (line: string): void => void process.stderr.write(`lab world: ${line}\n`);

export function labWorldCommand(): Command {
  const cmd = new Command('world')
    .description("The simulated internet's servers: its DNS (198.18.0.2) and its web servers (HTTPS 443, HTTP 80)")
    .addHelpText('after', `
Examples:
  podwall lab world status
  podwall lab world stop dns     # names the world has not answered yet stop resolving
  podwall lab world start dns`);
  cmd.addCommand(new Command('stop').argument('[service]', 'dns or web (default both)').description('Stop a world server')
    .addHelpText('after', `
Examples:
  podwall lab world stop dns     # the DNS dependency: names not answered yet stop resolving
  podwall lab world stop         # DNS and web servers`)
    .action(async (name?: string) => {
      requireRoot();
      for (const s of service(name)) say(`${s}: ${(await stopWorldService(s, labContext())) ? 'stopped' : 'was not running'}`);
    }));
  cmd.addCommand(new Command('start').argument('[service]', 'dns or web (default both)').description('Start a world server (when stopped)')
    .addHelpText('after', `
Examples:
  podwall lab world start dns
  podwall lab world start`)
    .action(async (name?: string) => {
      requireRoot();
      for (const s of service(name)) say(`${s}: running (pid ${await startWorldService(s, labContext())})`);
    }));
  cmd.addCommand(new Command('status').description('Whether the world and its servers run')
    .addHelpText('after', `
Examples:
  podwall lab world status
  podwall lab world status -o json`)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['txt', 'json']).default('txt'))
    .action(async (opts: { output: 'txt' | 'json' }) => {
      requireRoot();
      const s = await worldStatus(labContext());
      const pid = (p: number | null) => (p === null ? 'not running' : `running (pid ${p})`);
      await writeOut(opts.output === 'json' ? `${JSON.stringify(s, null, 2)}\n`
        : s.exists ? `world ${s.netns}: ${s.addresses} addresses\ndns ${s.dns.address}:53 ${pid(s.dns.pid)}\nweb :443 :80 ${pid(s.web.pid)}\nzone ${s.zone}\n`
          : `no world (run \`podwall lab up\`)\n`);
    }));
  for (const c of cmd.commands) c.exitOverride();
  return cmd;
}
