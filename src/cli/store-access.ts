import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { EXIT, ExitError } from '../shared/errors.js';
import { defaultStorePath, LabelConflictError, ObjectError, openStore, StoreIoError, type Store } from '../store/index.js';
import { notFoundMessage, qualifiedPlural, resourceOf } from './resources.js';

export interface StoreFlags {
  store?: string;
}

/** `--store PATH`, the option every store verb takes. */
export function addStoreOption(cmd: Command): Command {
  return cmd.addOption(new Option('--store <path>', 'the store file (default: $PODWALL_STATE_DIR/store.db, /run/podwall/<prefix>/store.db)'));
}

/** kubectl's words for a refusal of the store. */
export function objectErrorMessage(err: ObjectError): string {
  if (err instanceof LabelConflictError) return `error: ${err.message}`;
  const plural = qualifiedPlural(resourceOf(err.key.kind));
  switch (err.reason) {
    case 'NotFound': return notFoundMessage(err.key);
    case 'AlreadyExists': return `Error from server (AlreadyExists): ${plural} "${err.key.name}" already exists`;
    case 'Forbidden': return `Error from server (Forbidden): ${plural} "${err.key.name}" is forbidden: ${(err as ObjectError & { why?: string }).why ?? ''}`;
    case 'Conflict': return `error: ${err.message}`;
  }
}

/**
 * Open the store, run `fn`, close it. A refusal of the store (NotFound, AlreadyExists, ...) stops with
 * exit 1 and kubectl's message. `read` on a store that does not exist yet sees an empty one, and creates
 * no file: `podwall get pods` before any apply is not an error.
 */
export async function withStore<T>(flags: StoreFlags, mode: 'read' | 'write', fn: (store: Store) => T | Promise<T>): Promise<T> {
  const path = flags.store ?? defaultStorePath();
  let store: Store;
  try {
    store = mode === 'read' && !existsSync(path) ? openStore(':memory:') : openStore(path);
  } catch (err) {
    if (err instanceof StoreIoError && flags.store === undefined) {
      throw new StoreIoError(`${err.message} (give --store PATH, or set PODWALL_STATE_DIR)`, { cause: err });
    }
    throw err;
  }
  try {
    return await fn(store);
  } catch (err) {
    if (err instanceof ObjectError) throw new ExitError(EXIT.diagnostics, objectErrorMessage(err));
    throw err;
  } finally {
    store.close();
  }
}
