import type { Plan } from '../../agent/loop.js';
import { renderDnsRedirect } from '../../dataplane/dns-redirect.js';
import type { NftJson } from '../../dataplane/nft/render.js';
import type { Ruleset } from '../../dataplane/ruleset.js';
import type { Engine } from '../../engine/engine.js';
import type { PodInfo } from '../../engine/cluster.js';
import type { Identities } from '../../dataplane/identity.js';
import { nodeIp } from '../../lab/names.js';
import { join } from 'node:path';
import { stringHash } from '../../dataplane/hash.js';
import { proxyFiles, readJson, writeJsonAtomic } from './files.js';
import { proxyRules, ProxyRulesMemo } from '../../dataplane/dns-rules.js';
import { isProxyRules, type ProxyRules } from '../rules.js';

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
  private readonly appliedFile: string;
  private readonly memo = new ProxyRulesMemo();

  constructor(stateDir: string, private readonly node: string) {
    this.file = proxyFiles(stateDir, node).rules;
    this.appliedFile = join(stateDir, `dns-redirect-${node}.applied`);
    const prev = readJson(this.file);
    this.last = isProxyRules(prev) ? prev : null;
  }

  /**
   * A restarted agent: when the kernel still has the redirect table, what the previous agent recorded as
   * applied stands (so a restart with nothing changed applies nothing, like the main table).
   */
  adopt(tableExists: boolean): void {
    const k = readJson(this.appliedFile) as { key?: string } | null;
    this.appliedKey = tableExists && typeof k?.key === 'string' ? k.key : null;
  }

  extend(plan: Plan<Ruleset, NftJson>, engine: Engine, desired: { revision: number; enforcement: 'podwall' | 'none' }, ids?: Identities): Plan<Ruleset, NftJson> {
    const keys = ids ? new Map(ids.list.map((i) => [i.id, i.key])) : null;
    const classOf = ids && keys ? (pod: PodInfo) => keys.get(ids.ofPod.get(pod.id) ?? -1) : undefined;
    const rules = proxyRules(engine, {
      node: this.node, revision: desired.revision, enforcement: desired.enforcement, prev: this.last, ...(classOf ? { classOf, memo: this.memo } : {}),
    });
    const content = JSON.stringify({ ...rules, revision: 0 });
    if (content !== this.written) {
      writeJsonAtomic(this.file, rules);
      this.written = content;
      this.last = rules;
    }
    const cmds = renderDnsRedirect(rules, nodeIp(this.node));
    const key = stringHash(JSON.stringify(cmds), 16);
    if (key === this.appliedKey) return plan;
    this.pendingKey = key;
    return { ...plan, tx: { nftables: [...plan.tx.nftables, ...cmds] }, kind: plan.kind === 'none' ? 'incremental' : plan.kind };
  }

  /** The pass's transaction went through. */
  applied(): void {
    if (this.pendingKey !== null && this.pendingKey !== this.appliedKey) writeJsonAtomic(this.appliedFile, { key: this.pendingKey });
    this.appliedKey = this.pendingKey;
  }

  /** It failed: the redirect table is replaced again at the next pass. */
  failed(): void {
    this.appliedKey = null;
  }
}
