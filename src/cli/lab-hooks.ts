import type { Store } from '../store/index.js';
import { waitForLab } from './lab-sync.js';

/** After a write, return only once the lab's agents enforce it (when a lab runs on this store). */
async function settle(store: Store, revision: number): Promise<void> {
  await waitForLab(store.location, revision);
}

export const labHooks = {
  afterApply: (o: { revision: number }, store: Store) => settle(store, o.revision),
  afterDelete: (o: { revision: number }, store: Store) => settle(store, o.revision),
  afterLabel: (o: { revision: number }, store: Store) => settle(store, o.revision),
  afterUpdate: (revision: number, store: Store) => settle(store, revision),
};
