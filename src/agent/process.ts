import { existsSync } from 'node:fs';
import { netnsExists } from '../lab/netns.js';
import { createExecutor, type NftExecutor } from '../dataplane/nft/executor.js';
import { parseListing } from '../dataplane/nft/render.js';
import type { ApiObject } from '../api/types.js';
import type { Ruleset } from '../dataplane/ruleset.js';
import type { NftJson } from '../dataplane/nft/render.js';
import { openStore, type StoreSnapshot } from '../store/index.js';
import { Agent } from './loop.js';
import { NodePlanner } from './plan.js';
import { statusPath, writeStatus } from './status.js';
import { localPods, PodReconciler } from './pods.js';
import { labContext, nodeNetns } from '../lab/names.js';
import { startAgentFlows } from '../flows/agent-flows.js';
import { DnsRedirectStep } from '../fqdn/proxy/agent-hook.js';
import { DNS_TABLE } from '../dataplane/dns-redirect.js';
import { ensureProxy } from '../fqdn/proxy/launch.js';
import { ServiceSync } from './services.js';

export interface AgentOptions {
  node: string;
  stateDir: string;
  storePath: string;
  /** How often the store's revision is polled. */
  pollMs?: number;
}

/**
 * The agent of one node: it runs in the root network namespace, applies nft in the node's netns, and
 * creates and removes the node's pods. It starts from what the kernel has (the
 * table read back), so a restarted agent changes only what differs and never flushes first.
 */
export async function runAgent(opts: AgentOptions): Promise<void> {
  const store = openStore(opts.storePath);
  const ctx = labContext();
  const executor: NftExecutor = createExecutor({ netns: nodeNetns(opts.node, ctx.prefix) });
  const pods = new PodReconciler(opts.node, ctx);
  const services = new ServiceSync(nodeNetns(opts.node, ctx.prefix));
  const file = statusPath(opts.stateDir, opts.node);
  const dns = new DnsRedirectStep(opts.stateDir, opts.node);
  // Flow events, their HTTP API and /metrics (src/flows): up before the first pass, so its status names the port.
  // Their counter reads get an nft handle of their own, terse (no set elements): queued behind a listing
  // on the same handle, a reconcile's transaction would wait for it.
  const queries: NftExecutor = createExecutor({ netns: nodeNetns(opts.node, ctx.prefix), terse: true });
  const flows = await startAgentFlows(opts.node, nodeNetns(opts.node, ctx.prefix), queries, { stateDir: opts.stateDir });
  const planner = new NodePlanner(opts.node);
  let last: StoreSnapshot | null = null;
  const agent = new Agent<ApiObject, Ruleset, NftJson>({
    node: opts.node,
    revision: () => store.revision(),
    snapshot: () => {
      const s = (last = store.listSince(last));
      return { revision: s.revision, objects: s.objects, enforcement: s.settings.networkPolicy };
    },
    plan: (prev, desired) => {
      const p = planner.plan(prev, desired);
      flows.planned(desired, p.engine);
      return dns.extend(p, p.engine, desired, p.ids);
    },
    apply: (tx) => flows.apply(() => executor.apply(tx)).then(() => dns.applied(), (err: unknown) => {
      dns.failed();
      throw err;
    }),
    current: async () => parseListing(await executor.list()),
    prepare: (desired) => pods.prepare(localPods(desired.objects, opts.node)),
    complete: async (desired) => {
      await pods.complete();
      await services.sync(desired.objects);
    },
    report: (s) => writeStatus(file, flows.report(s)),
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  }, { pollMs: opts.pollMs ?? 5, retryMs: 1000 });
  agent.adopt(parseListing(await executor.list()));
  const dnsTable = createExecutor({ netns: nodeNetns(opts.node, ctx.prefix), table: DNS_TABLE });
  dns.adopt((await dnsTable.list().finally(() => dnsTable.close())) !== null);
  // An agent whose lab is gone (store removed, node netns deleted) has nothing left to do.
  const orphanCheck = setInterval(() => {
    if (!existsSync(opts.storePath) || !netnsExists(nodeNetns(opts.node, ctx.prefix))) agent.stop();
  }, 1000);
  orphanCheck.unref();
  // The node's DNS proxy is a process of its own (DNS survives an agent restart); the agent restarts it when it died.
  const node = { name: opts.node, netns: nodeNetns(opts.node, ctx.prefix) };
  const proxyCheck = setInterval(() => {
    try {
      if (netnsExists(node.netns) && ensureProxy(opts.stateDir, node).started) process.stdout.write(`${new Date().toISOString()} DNS proxy of ${opts.node} restarted\n`);
    } catch { /* retried in a second */ }
  }, 1000);
  proxyCheck.unref();
  const stop = () => agent.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await agent.run();
  } finally {
    clearInterval(orphanCheck);
    clearInterval(proxyCheck);
    await flows.stop();
    executor.close();
    queries.close();
    services.close();
    store.close();
  }
}
