import { defaultStorePath } from './location.js';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type { Store } from './store.js';

export * from './store.js';
export * from './errors.js';
export { BUILTIN_NAMESPACES, keyOf, objectKey, sameKey, isNamespaced, canonicalJson, sortKeys } from './object.js';
export { defaultStorePath } from './location.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite.js';

/**
 * Open the desired-state store: `path`, else `<stateDir>/store.db` (docs/lab.md). SQLite is the one back end.
 *
 * @example
 * const store = openStore();                 // /run/podwall/pw/store.db
 * const rev = store.apply([pod]);            // the revision the agents must reach
 * const { revision, objects, settings } = store.list();
 */
export function openStore(path: string = defaultStorePath(), opts: SqliteStoreOptions = {}): Store {
  return openSqliteStore(path, opts);
}
