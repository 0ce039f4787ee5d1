import { removeComponentStatus, writeComponentStatus } from '../../status/component.js';
import { Command, Option } from 'commander';
import { labContext } from '../../lab/names.js';
import { IoError, UsageError } from '../../shared/errors.js';
import { defaultStorePath } from '../../store/location.js';
import { apiUrl, type AgentEndpoint } from '../../ui/agents.js';
import { DEFAULT_UI_PORT, startUiServer } from '../../ui/server.js';

interface UiFlags {
  port: string;
  address: string;
  agent: string[];
  maxFlows: string;
  store?: string;
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port: expected a port number 0-65535, got "${text}"`);
  return n;
}

/** `--agent node=URL` (or just URL, named by its position). */
function parseAgents(values: string[]): AgentEndpoint[] {
  return values.map((v, i) => {
    const eq = v.indexOf('=');
    const node = eq > 0 && !v.slice(0, eq).includes('/') ? v.slice(0, eq) : `agent${i + 1}`;
    const url = apiUrl(eq > 0 && !v.slice(0, eq).includes('/') ? v.slice(eq + 1) : v);
    if (!url) throw new UsageError(`--agent: expected NODE=URL or URL (e.g. node1=http://127.0.0.1:9301), got "${v}"`);
    return { node, url };
  });
}

export function uiCommand(): Command {
  return new Command('ui')
    .description('Serve the web UI: live service map, flows with filters, verdict explanations, policies (like `hubble ui`)')
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').default(String(DEFAULT_UI_PORT)))
    .addOption(new Option('--address <ip>', 'address to listen on').default('127.0.0.1'))
    .addOption(new Option('--agent <node=url>', "an agent's flow API in addition to those of the lab's state dir (repeatable)").default([])
      .argParser((v: string, prev: string[]) => [...prev, v]))
    .addOption(new Option('--max-flows <n>', 'flows kept for the browser').default('50000'))
    .option('--store <path>', 'the desired-state store (default: $PODWALL_STATE_DIR/store.db)')
    .addHelpText('after', `
The UI follows every agent of the lab (their status files in $PODWALL_STATE_DIR say where each agent's
flow API listens) and the store (pods, namespaces, policies). It listens on 127.0.0.1 only unless
--address says otherwise. Ctrl-C stops it.

Examples:
  podwall ui                          # http://127.0.0.1:12000/
  podwall ui --port 8080
  PODWALL_LAB_PREFIX=lab2 podwall ui --port 0
  podwall ui --agent node1=http://127.0.0.1:9301`)
    .action(async (flags: UiFlags) => {
      const port = parsePort(flags.port);
      const maxFlows = Number(flags.maxFlows);
      if (!Number.isInteger(maxFlows) || maxFlows < 1) throw new UsageError(`--max-flows: expected a positive number, got "${flags.maxFlows}"`);
      const agents = parseAgents(flags.agent);
      const ctx = labContext();
      let server;
      try {
        server = await startUiServer({
          host: flags.address, port, stateDir: ctx.stateDir, storePath: flags.store ?? defaultStorePath(),
          agents, maxFlows,
        });
      } catch (err) {
        throw new IoError(`ui: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      process.stdout.write(`podwall UI on ${server.url} (lab ${ctx.prefix}, state dir ${ctx.stateDir}); Ctrl-C to stop\n`);
      // `podwall status` shows the UI through its status file; removed on a clean stop ("disabled").
      writeComponentStatus(ctx.stateDir, {
        component: 'ui', pid: process.pid, state: 'ok', message: `serving ${server.url}`, endpoint: server.url, updatedAt: new Date().toISOString(),
      });
      await new Promise<void>((resolve) => {
        const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      removeComponentStatus(ctx.stateDir, 'ui');
      await server.close();
    });
}
