import type { Plan } from '../agent/loop.js';
import { renderDnsRedirect } from '../dataplane/dns-redirect.js';
import type { NftJson } from '../dataplane/nft/render.js';
import type { Ruleset } from '../dataplane/ruleset.js';
import type { Engine } from '../engine/engine.js';
import { nodeIp } from '../lab/names.js';
import { proxyFiles, readJson, writeJsonAtomic } from './files.js';
import { isProxyRules, proxyRules, type ProxyRules } from './rules.js';

/**
 * The agent's part in the DNS proxy: each pass compiles the proxy's rules for the node, publishes them
 * (`dns-rules-<node>.json`, before the redirect that needs them is in force) and, when the redirect
 * table changes, appends it to the pass's transaction, so main table and redirect change atomically.
 */
export class DnsRedirectStep {
  private appliedKey: string | null = null;
  private pendingKey: string | null = null;
  private written = '';
  private last: ProxyRules | null;
  private readonly file: string;

  constructor(stateDir: string, private readonly node: string) {
    this.file = proxyFiles(stateDir, node).rules;
    const prev = readJson(this.file);
    this.last = isProxyRules(prev) ? prev : null;
  }

  extend(plan: Plan<Ruleset, NftJson>, engine: Engine, desired: { revision: number; enforcement: 'podwall' | 'none' }): Plan<Ruleset, NftJson> {
    const rules = proxyRules(engine, { node: this.node, revision: desired.revision, enforcement: desired.enforcement, prev: this.last });
    const content = JSON.stringify({ ...rules, revision: 0 });
    if (content !== this.written) {
      writeJsonAtomic(this.file, rules);
      this.written = content;
      this.last = rules;
    }
    const cmds = renderDnsRedirect(rules, nodeIp(this.node));
    const key = JSON.stringify(cmds);
    if (key === this.appliedKey) return plan;
    this.pendingKey = key;
    return { ...plan, tx: { nftables: [...plan.tx.nftables, ...cmds] }, kind: plan.kind === 'none' ? 'incremental' : plan.kind };
  }

  /** The pass's transaction went through. */
  applied(): void {
    this.appliedKey = this.pendingKey;
  }

  /** It failed: the redirect table is replaced again at the next pass. */
  failed(): void {
    this.appliedKey = null;
  }
}
