/** The kernel's side of the flow log: packet counters of the log rules and of the per-flow meters. */
import { DECISIONS, decisionOf, logChainName, type DecisionCode } from '../dataplane/flow-log.js';
import { FAMILY, TABLE } from '../dataplane/ruleset.js';

export interface KernelCounts {
  /** Packets the log rules sent to NFLOG. */
  logged: number;
  forwarded: number;
  dropped: number;
  /** Packets of one flow over the meter's rate: not logged (all, and those dropped). */
  suppressed: number;
  suppressedDrops: number;
}

type Expr = Record<string, unknown>;

/** Sum the counters of one chain listing (`nft -j list chain ...`). */
export function countersOf(listing: unknown, into: KernelCounts): KernelCounts {
  const items = ((listing as { nftables?: Expr[] } | null)?.nftables ?? []);
  for (const item of items) {
    const rule = item.rule as { expr?: Expr[] } | undefined;
    if (!rule?.expr) continue;
    const counter = rule.expr.find((e) => e.counter && typeof e.counter === 'object')?.counter as { packets?: number } | undefined;
    if (!counter) continue;
    const log = rule.expr.find((e) => e.log)?.log as { prefix?: string } | undefined;
    const code = log?.prefix ? decisionOf(log.prefix) : null;
    const n = counter.packets ?? 0;
    if (code) {
      into.logged += n;
      if (DECISIONS[code].verdict === 'drop') into.dropped += n;
      else into.forwarded += n;
    } else if (rule.expr.some((e) => (e.set as { op?: string } | undefined)?.op === 'update')) {
      into.suppressed += n;
      if (rule.expr.some((e) => 'drop' in e)) into.suppressedDrops += n;
    }
  }
  return into;
}

const LOG_CHAINS = new Set((Object.keys(DECISIONS) as DecisionCode[]).map(logChainName));

/**
 * Counters of the node's table, from one read-only listing (terse: the query handle leaves set elements
 * out): they are all in the decisions' log chains (flow-log.ts).
 */
export async function kernelCounts(query: (words: readonly string[]) => Promise<unknown | null>): Promise<KernelCounts> {
  const out: KernelCounts = { logged: 0, forwarded: 0, dropped: 0, suppressed: 0, suppressedDrops: 0 };
  const listing = (await query(['list', 'table', FAMILY, TABLE]).catch(() => null)) as { nftables?: Expr[] } | null;
  const items = (listing?.nftables ?? []).filter((i) => LOG_CHAINS.has(String((i.rule as { chain?: unknown } | undefined)?.chain)));
  return countersOf({ nftables: items }, out);
}
