import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ApiObject } from '../api/types.js';
import {
  AlreadyExistsError, ForbiddenError, LabelConflictError, NamespaceNotFoundError, NotFoundError, StoreIoError,
} from './errors.js';
import {
  BUILTIN_NAMESPACES, changedLabels, keyOf, normalizeObject, objectKey, sameContent, timestamp,
  withServerFields,
} from './object.js';
import {
  DEFAULT_SETTINGS, NETWORK_POLICY_MODES, type ApplyOptions, type ApplyOutcome, type ApplyResult, type DeleteOutcome,
  type LabelChange, type LabelOutcome, type ObjectKey, type Settings, type Store, type StoreSnapshot,
} from './store.js';

/**
 * The SQLite back end (better-sqlite3 12). WAL mode: readers never block the one writer and see the last
 * committed revision; `synchronous=NORMAL` keeps the database consistent across a killed process (a power
 * loss may cost the last commits, never half of one). Every write runs in `BEGIN IMMEDIATE`, so writers of
 * several processes queue on the busy timeout instead of failing on a lock upgrade.
 */

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,            -- '' for cluster-scoped kinds
  name TEXT NOT NULL,
  revision INTEGER NOT NULL,          -- the revision that last wrote the object
  manifest TEXT NOT NULL CHECK (json_valid(manifest)),
  PRIMARY KEY (kind, namespace, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_by_namespace ON objects (namespace);
CREATE INDEX IF NOT EXISTS objects_by_revision ON objects (revision);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

export interface SqliteStoreOptions {
  /** How long a writer waits for another process's write lock, in ms (default 5000). */
  busyTimeoutMs?: number;
  /** The clock for creation timestamps (tests). */
  now?: () => Date;
}

interface Row {
  kind: string;
  namespace: string;
  name: string;
  revision: number;
  manifest: string;
}

function rowObject(r: Row): ApiObject {
  return withServerFields(JSON.parse(r.manifest) as ApiObject, { resourceVersion: String(r.revision) });
}

/** Snapshots' objects by row key, for `listSince`. */
const indexed = new WeakMap<StoreSnapshot, Map<string, ApiObject>>();
const rowKey = (kind: string, namespace: string, name: string) => `${kind}\u0000${namespace}\u0000${name}`;

function indexOf(snap: StoreSnapshot): Map<string, ApiObject> {
  let m = indexed.get(snap);
  if (!m) indexed.set(snap, (m = new Map(snap.objects.map((o) => [rowKey(...rowOf(o)), o]))));
  return m;
}

const rowOf = (o: ApiObject): [string, string, string] => [o.kind, nsColumn(keyOf(o)), o.metadata.name];

/** `ORDER BY kind, namespace, name` (SQLite compares TEXT bytewise; names are ASCII). */
function compareRows(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

const byRow = (a: ApiObject, b: ApiObject) => compareRows(rowOf(a), rowOf(b));

/** Index of the object with row key `k` in `objects` (sorted as the store lists them), or -1. */
function findRow(objects: readonly ApiObject[], k: readonly string[]): number {
  let lo = 0;
  let hi = objects.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareRows(rowOf(objects[mid]!), k);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function storedManifest(o: ApiObject): string {
  const { resourceVersion: _drop, ...metadata } = o.metadata as unknown as Record<string, unknown>;
  return JSON.stringify({ ...o, metadata });
}

function nsColumn(key: ObjectKey): string {
  return key.namespace ?? '';
}

function statements(db: Database.Database) {
  return {
    revision: db.prepare<[], number>(`SELECT value FROM meta WHERE key = 'revision'`).pluck(),
    setRevision: db.prepare<[number]>(`INSERT INTO meta (key, value) VALUES ('revision', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
    all: db.prepare<[], Row>('SELECT kind, namespace, name, revision, manifest FROM objects ORDER BY kind, namespace, name'),
    keys: db.prepare<[], Omit<Row, 'manifest'>>('SELECT kind, namespace, name, revision FROM objects ORDER BY kind, namespace, name'),
    count: db.prepare<[], number>('SELECT count(*) FROM objects').pluck(),
    since: db.prepare<[number], Row>('SELECT kind, namespace, name, revision, manifest FROM objects WHERE revision > ?'),
    get: db.prepare<[string, string, string], Row>('SELECT kind, namespace, name, revision, manifest FROM objects WHERE kind = ? AND namespace = ? AND name = ?'),
    inNamespace: db.prepare<[string], Row>(`SELECT kind, namespace, name, revision, manifest FROM objects WHERE namespace = ? AND kind <> 'Namespace'`),
    put: db.prepare<[string, string, string, number, string]>(
      'INSERT INTO objects (kind, namespace, name, revision, manifest) VALUES (?, ?, ?, ?, ?) ' +
      'ON CONFLICT (kind, namespace, name) DO UPDATE SET revision = excluded.revision, manifest = excluded.manifest'),
    remove: db.prepare<[string, string, string]>('DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?'),
    settings: db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings'),
    putSetting: db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
  };
}

/**
 * `mkdir -p`, one level at a time: Node 20's `mkdirSync(..., { recursive: true })` spins forever on some
 * paths it cannot create (seen under /proc), and a CLI must fail instead.
 */
function mkdirs(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) mkdirs(parent);
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly stmt: ReturnType<typeof statements>;

  constructor(readonly location: string, opts: SqliteStoreOptions) {
    this.now = opts.now ?? (() => new Date());
    try {
      if (location !== ':memory:') mkdirs(dirname(location));
      this.db = new Database(location, { timeout: opts.busyTimeoutMs ?? 5000 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(SCHEMA);
    } catch (cause) {
      throw new StoreIoError(`cannot open the store ${location}: ${(cause as Error).message}`, { cause });
    }
    this.stmt = statements(this.db);
    this.write(() => this.init());
  }

  /** First open: revision 1 holds the namespaces every cluster has. */
  private init(): void {
    if (this.stmt.revision.get() !== undefined) return;
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    this.stmt.setRevision.run(1);
    for (const name of BUILTIN_NAMESPACES) this.put(normalizeObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }), 1, undefined);
  }

  /** One write transaction, taking the write lock up front. */
  private write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      if (err instanceof Database.SqliteError) throw new StoreIoError(`store ${this.location}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  private bump(): number {
    const next = (this.stmt.revision.get() ?? 0) + 1;
    this.stmt.setRevision.run(next);
    return next;
  }

  private row(key: ObjectKey): Row | undefined {
    return this.stmt.get.get(key.kind, nsColumn(key), key.name);
  }

  private put(o: ApiObject, revision: number, existing: ApiObject | undefined): ApiObject {
    const created = (existing?.metadata as { creationTimestamp?: string } | undefined)?.creationTimestamp ?? timestamp(this.now());
    const stored = withServerFields(o, { creationTimestamp: created });
    const key = keyOf(stored);
    this.stmt.put.run(key.kind, nsColumn(key), key.name, revision, storedManifest(stored));
    return withServerFields(stored, { resourceVersion: String(revision) });
  }

  read<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.db.transaction(fn).deferred();
  }

  revision(): number {
    return this.stmt.revision.get() ?? 0;
  }

  list(): StoreSnapshot {
    return this.read(() => ({ revision: this.revision(), objects: this.stmt.all.all().map(rowObject), settings: this.settings() }));
  }

  listSince(prev: StoreSnapshot | null): StoreSnapshot {
    if (!prev) return this.list();
    return this.read(() => {
      const revision = this.revision();
      if (revision === prev.revision) return { ...prev, settings: this.settings() };
      // The rows written since `prev` (an index on revision), found in `prev`'s sorted objects by binary
      // search; the whole key list is read only when some rows were deleted.
      const changed = this.stmt.since.all(prev.revision);
      let objects = prev.objects.slice();
      const added: ApiObject[] = [];
      for (const r of changed) {
        const at = findRow(prev.objects, [r.kind, r.namespace, r.name]);
        if (at >= 0) objects[at] = rowObject(r);
        else added.push(rowObject(r));
      }
      if (this.stmt.count.get() === prev.objects.length + added.length) {
        if (added.length > 0) objects = [...objects, ...added].sort(byRow);
      } else {
        const byKey = indexOf(prev);
        const fresh = new Map(changed.map((r) => [rowKey(r.kind, r.namespace, r.name), r]));
        objects = this.stmt.keys.all().map((k) => {
          const key = rowKey(k.kind, k.namespace, k.name);
          const r = fresh.get(key);
          if (r) return rowObject(r);
          const old = byKey.get(key);
          return old && (old.metadata as { resourceVersion?: string }).resourceVersion === String(k.revision) ? old : rowObject(this.stmt.get.get(k.kind, k.namespace, k.name)!);
        });
      }
      return { revision, objects, settings: this.settings() };
    });
  }

  get(key: ObjectKey): ApiObject | undefined {
    const r = this.row(objectKey(key.kind, key.name, key.namespace));
    return r ? rowObject(r) : undefined;
  }

  apply(objects: readonly ApiObject[], opts?: ApplyOptions): number {
    return this.applyDetailed(objects, opts).revision;
  }

  applyDetailed(objects: readonly ApiObject[], opts: ApplyOptions = {}): ApplyOutcome {
    return this.write(() => {
      const batchNamespaces = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
      for (const o of objects) {
        const key = keyOf(o);
        if (opts.createOnly && this.row(key)) throw new AlreadyExistsError(key);
        const ns = key.namespace;
        if (ns !== undefined && !batchNamespaces.has(ns) && !this.row({ kind: 'Namespace', name: ns })) throw new NamespaceNotFoundError(ns, key);
      }
      let revision: number | undefined;
      const results = objects.map((input): ApplyResult => {
        const key = keyOf(input);
        const row = this.row(key);
        const existing = row ? rowObject(row) : undefined;
        const next = normalizeObject(input, opts.keepLabFields ? existing : undefined);
        if (existing && sameContent(next, existing)) return { key, action: 'unchanged', object: existing };
        revision ??= this.bump();
        return { key, action: existing ? 'configured' : 'created', object: this.put(next, revision, existing) };
      });
      return { revision: revision ?? this.revision(), results };
    });
  }

  delete(keys: readonly ObjectKey[]): number {
    return this.deleteDetailed(keys).revision;
  }

  deleteDetailed(keys: readonly ObjectKey[]): DeleteOutcome {
    return this.write(() => {
      for (const k of keys) {
        if (k.kind === 'Namespace' && BUILTIN_NAMESPACES.includes(k.name)) throw new ForbiddenError(k, 'this namespace may not be deleted');
      }
      const deleted: ApiObject[] = [];
      const missing: ObjectKey[] = [];
      // Namespaces last: an object named together with its namespace is deleted as itself, not as missing.
      const ordered = [...keys.filter((k) => k.kind !== 'Namespace'), ...keys.filter((k) => k.kind === 'Namespace')];
      for (const k of ordered) {
        const key = objectKey(k.kind, k.name, k.namespace);
        const row = this.row(key);
        if (!row) {
          missing.push(key);
          continue;
        }
        // A namespace's contents go first, so the lab can tear down its pods before the namespace is gone.
        if (key.kind === 'Namespace') {
          for (const r of this.stmt.inNamespace.all(key.name)) {
            this.stmt.remove.run(r.kind, r.namespace, r.name);
            deleted.push(rowObject(r));
          }
        }
        this.stmt.remove.run(key.kind, nsColumn(key), key.name);
        deleted.push(rowObject(row));
      }
      return { revision: deleted.length > 0 ? this.bump() : this.revision(), deleted, missing };
    });
  }

  setLabels(key: ObjectKey, change: LabelChange, opts?: { overwrite?: boolean }): number {
    return this.setLabelsDetailed(key, change, opts).revision;
  }

  setLabelsDetailed(k: ObjectKey, change: LabelChange, opts: { overwrite?: boolean } = {}): LabelOutcome {
    const key = objectKey(k.kind, k.name, k.namespace);
    return this.write(() => {
      const row = this.row(key);
      if (!row) throw new NotFoundError(key);
      const existing = rowObject(row);
      const current = existing.metadata.labels ?? {};
      if (opts.overwrite === false) {
        for (const [label, value] of Object.entries(change)) {
          const had = current[label];
          if (value !== null && had !== undefined && had !== value) throw new LabelConflictError(key, label, had);
        }
      }
      const labels = changedLabels(current, change);
      const next = normalizeObject({ ...existing, metadata: { ...existing.metadata, labels } } as ApiObject);
      if (sameContent(next, existing)) return { revision: this.revision(), changed: false, object: existing };
      const revision = this.bump();
      return { revision, changed: true, object: this.put(next, revision, existing) };
    });
  }

  settings(): Settings {
    const out: Settings = { ...DEFAULT_SETTINGS };
    for (const { key, value } of this.stmt.settings.all()) {
      const v = JSON.parse(value) as unknown;
      if (key === 'networkPolicy' && NETWORK_POLICY_MODES.includes(v as Settings['networkPolicy'])) out.networkPolicy = v as Settings['networkPolicy'];
    }
    return out;
  }

  setSettings(s: Partial<Settings>): number {
    return this.write(() => {
      const current = this.settings();
      const changes = Object.entries(s).filter(([k, v]) => v !== undefined && current[k as keyof Settings] !== v);
      if (changes.length === 0) return this.revision();
      for (const [k, v] of changes) this.stmt.putSetting.run(k, JSON.stringify(v));
      return this.bump();
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Open (creating when missing, with its directory) the SQLite store at `path`; `:memory:` for a private
 * one. Throws StoreIoError (exit 4) when the file cannot be opened.
 *
 * @example
 * const store = openSqliteStore('/run/podwall/pw/store.db');
 * const { results } = store.applyDetailed(objects);   // [{ key, action: 'created', object }]
 * store.list();                                       // { revision, objects, settings }
 */
export function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Store {
  return new SqliteStore(path, opts);
}

