import type { ApiObject } from '../api/types.js';
import { createExecutor, type NftExecutor } from '../dataplane/nft/executor.js';
import { renderServices, serviceRules, SVC_TABLE } from '../dataplane/services.js';

/**
 * The node's Service DNAT (src/dataplane/services.ts), kept by the agent beside its policy table: after each
 * pass the rules are recomputed and, when they changed, the table `ip podwall_svc` is replaced in one
 * transaction. A restarted agent replaces it once on its first pass.
 */
export class ServiceSync {
  private last: string | null = null;
  private readonly executor: NftExecutor;

  constructor(netns: string) {
    this.executor = createExecutor({ netns, table: SVC_TABLE });
  }

  async sync(objects: readonly ApiObject[]): Promise<void> {
    const rules = serviceRules(objects);
    const key = JSON.stringify(rules);
    if (key === this.last) return;
    await this.executor.apply(renderServices(rules));
    this.last = key;
  }

  close(): void {
    this.executor.close();
  }
}
