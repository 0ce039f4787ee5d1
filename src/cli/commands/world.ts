import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../../shared/errors.js';
import { WORLD_DNS_ADDRESS, worldDnsServer } from '../../world/dns-server.js';
import { startWorldWeb } from '../../world/web.js';
import { readZone } from '../../world/world.js';
import type { DnsServer } from '../../dns/server.js';
import { clusterDnsServer } from '../../dns/cluster-server.js';
import { openStore } from '../../store/index.js';

/**
 * `podwall world dns|web`: the simulated internet's servers. `lab up` starts them inside the world netns
 * (docs/lab.md "The simulated internet and cluster DNS"); they are not meant to be run by hand, so hidden.
 */

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65_535) throw new UsageError(`invalid port ${JSON.stringify(text)}`);
  return n;
}

/** Serve until SIGTERM/SIGINT, then stop cleanly and log the counters. */
export function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => void stop().finally(resolve);
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
}

/** Log the first drops in full, then one line per 1000 (a flood must not fill the disk). */
export function dropLogger(tag: string): (why: string, from: string) => void {
  let n = 0;
  return (why, from) => {
    n++;
    if (n <= 20 || n % 1000 === 0) process.stdout.write(`${tag}: dropped (${n} so far): ${why} from ${from}\n`);
  };
}

export function counterLine(tag: string, server: DnsServer): string {
  return `${tag}: ${Object.entries(server.counters).map(([k, v]) => `${k}=${v}`).join(' ')}\n`;
}

function dnsCommand(): Command {
  return new Command('dns')
    .description("The world's authoritative DNS server (UDP and TCP), answering from the zone file")
    .requiredOption('--zone <file>', 'zone file (lab/world.yaml format)')
    .option('--address <ip>', 'address to listen on', WORLD_DNS_ADDRESS)
    .option('--port <n>', 'port', '53')
    .action(async (opts: { zone: string; address: string; port: string }) => {
      const zone = readZone(opts.zone);
      const server = worldDnsServer(zone, { address: opts.address, port: parsePort(opts.port), onDrop: dropLogger('world dns') });
      const port = await server.start();
      process.stdout.write(`world dns: serving ${zone.names.size} names on ${opts.address}:${port} (UDP, TCP)\n`);
      const stats = setInterval(() => process.stdout.write(counterLine('world dns', server)), 60_000);
      stats.unref();
      await untilSignal(async () => {
        clearInterval(stats);
        await server.stop();
        process.stdout.write(counterLine('world dns: stopped', server));
      });
    });
}

function webCommand(): Command {
  return new Command('web')
    .description("The world's web servers: HTTPS on 443 and HTTP on 80, on every address of the world")
    .requiredOption('--zone <file>', 'zone file (for the log line)')
    .requiredOption('--cert <file>', 'server certificate (PEM)')
    .requiredOption('--key <file>', 'server key (PEM)')
    .option('--address <ip>', 'address to listen on', '0.0.0.0')
    .action(async (opts: { zone: string; cert: string; key: string; address: string }) => {
      const zone = readZone(opts.zone);
      const web = await startWorldWeb({ key: readFileSync(opts.key, 'utf8'), cert: readFileSync(opts.cert, 'utf8'), address: opts.address });
      process.stdout.write(`world web: serving ${zone.names.size} names on ${opts.address}: https ${web.httpsPort}, http ${web.httpPort}\n`);
      await untilSignal(() => web.stop());
    });
}

export function worldCommand(): Command {
  return new Command('world')
    .description('The simulated internet\'s servers (started by `lab up` inside the world netns)')
    .addCommand(dnsCommand())
    .addCommand(webCommand())
    .addHelpText('after', `
Examples:
  ip netns exec pw-world podwall world dns --zone /run/podwall/pw/world/zone.yaml
  ip netns exec pw-world podwall world web --zone lab/world.yaml --cert server.crt --key server.key`);
}

/** `podwall cluster-dns`: the command of the lab pod kube-system/coredns (docs/lab.md). */
export function clusterDnsCommand(): Command {
  return new Command('cluster-dns')
    .description('The cluster DNS (runs in the lab pod kube-system/coredns): cluster.local from the store, the rest forwarded to the world')
    .requiredOption('--store <path>', 'the desired-state store (read only)')
    .option('--upstream <ip>', "the world's DNS server", WORLD_DNS_ADDRESS)
    .option('--address <ip>', 'address to listen on', '0.0.0.0')
    .option('--port <n>', 'port', '53')
    .addHelpText('after', `
Examples:
  podwall cluster-dns --store /run/podwall/pw/store.db`)
    .action(async (opts: { store: string; upstream: string; address: string; port: string }) => {
      const store = openStore(opts.store);
      const server = clusterDnsServer({
        address: opts.address, port: parsePort(opts.port), upstream: { address: opts.upstream, port: 53 },
        revision: () => store.revision(), objects: () => store.list().objects, onDrop: dropLogger('cluster dns'),
      });
      const port = await server.start();
      process.stdout.write(`cluster dns: serving cluster.local on ${opts.address}:${port} (UDP, TCP), forwarding the rest to ${opts.upstream}\n`);
      await untilSignal(async () => {
        await server.stop();
        store.close();
        process.stdout.write(counterLine('cluster dns: stopped', server));
      });
    });
}
