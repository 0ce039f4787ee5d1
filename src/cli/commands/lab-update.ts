import { Command, Option } from 'commander';
import { NETWORK_POLICY_MODES, type NetworkPolicyMode, type Store } from '../../store/index.js';
import { addStoreOption, withStore, type StoreFlags } from '../store-access.js';
import { writeOut } from '../write.js';

export interface LabUpdateHooks {
  /** Runs after the store committed a change, with the new revision (e.g. wait until the agents follow). */
  afterUpdate?: (revision: number, store: Store) => void | Promise<void>;
}

export interface LabUpdateOptions extends StoreFlags {
  networkPolicy?: NetworkPolicyMode;
}

/**
 * Store the lab's settings. `--network-policy none` makes every agent accept all traffic, `podwall`
 * enforces the stored policies again; the agents follow the store's revision, which this moves.
 */
export async function updateLab(opts: LabUpdateOptions, hooks: LabUpdateHooks = {}): Promise<void> {
  const settings = await withStore(opts, 'write', async (store) => {
    const before = store.revision();
    const revision = opts.networkPolicy !== undefined ? store.setSettings({ networkPolicy: opts.networkPolicy }) : before;
    if (revision !== before) await hooks.afterUpdate?.(revision, store);
    return store.settings();
  });
  await writeOut(`network policy enforcement: ${settings.networkPolicy}\n`);
}

/** `podwall lab update`: meant to be added to the `lab` command (src/cli/commands/lab.ts). */
export function labUpdateCommand(hooks: LabUpdateHooks = {}): Command {
  const cmd = new Command('update')
    .description('Change lab settings: network policy enforcement')
    .addOption(new Option('--network-policy <mode>', 'podwall: enforce policies; none: allow all traffic').choices(NETWORK_POLICY_MODES))
    .addHelpText('after', `
Without options, prints the current settings.

Examples:
  podwall lab update --network-policy none
  podwall lab update --network-policy podwall
  podwall lab update`)
    .exitOverride()
    .action(async (opts: LabUpdateOptions) => updateLab(opts, hooks));
  return addStoreOption(cmd);
}
