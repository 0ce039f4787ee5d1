import type { ApiKind, ApiObject } from '../api/types.js';

/**
 * The desired state (docs/lab.md "Desired state: the store"): validated API objects keyed by
 * kind/namespace/name, each with the revision that last wrote it, under one global revision counter.
 * Every write is one transaction; readers see whole revisions only.
 */

/** Which object. `namespace` is set for namespaced kinds (Pod, Service, NetworkPolicy, CiliumNetworkPolicy), absent otherwise. */
export interface ObjectKey {
  kind: ApiKind;
  namespace?: string;
  name: string;
}

export const NETWORK_POLICY_MODES = ['podwall', 'none'] as const;
/** `podwall`: the agents enforce policy; `none`: every flow is accepted (the table holds only `accept`). */
export type NetworkPolicyMode = (typeof NETWORK_POLICY_MODES)[number];

export interface Settings {
  networkPolicy: NetworkPolicyMode;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = { networkPolicy: 'podwall' };

/** One consistent view: objects and settings as of `revision`. */
export interface StoreSnapshot {
  revision: number;
  /** Sorted by kind, namespace, name. Each carries `metadata.creationTimestamp` and `metadata.resourceVersion` (its revision). */
  objects: ApiObject[];
  settings: Settings;
}

/** What `apply` did to one object, as kubectl reports it. */
export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface ApplyResult {
  key: ObjectKey;
  action: ApplyAction;
  /** The object as stored (after defaulting), with its revision in `metadata.resourceVersion`. */
  object: ApiObject;
}

export interface ApplyOutcome {
  /** The store's revision after the apply: unchanged when every object was unchanged. */
  revision: number;
  /** One per input object, in input order. */
  results: ApplyResult[];
}

export interface ApplyOptions {
  /**
   * kubectl apply semantics for the fields the lab fills in: a Pod that omits `spec.nodeName` or `status`
   * keeps the stored values (the API server keeps fields the applied manifest never set). Default false:
   * the object is replaced as given, which is what the lab itself wants when it writes a pod.
   */
  keepLabFields?: boolean;
  /** Fail with AlreadyExistsError, writing nothing, when any object exists already (`kubectl create`). */
  createOnly?: boolean;
}

export interface DeleteOutcome {
  revision: number;
  /**
   * Every object removed, as it was: the named ones and, for a Namespace, everything in it. The lab tears
   * down the network namespaces of the Pods among them.
   */
  deleted: ApiObject[];
  /** Keys that named no object (kubectl's NotFound); the others were still deleted. */
  missing: ObjectKey[];
}

/** `null` removes a label (kubectl `key-`). */
export type LabelChange = Record<string, string | null>;

export interface LabelOutcome {
  revision: number;
  /** False when the labels already were as asked (kubectl "not labeled"); nothing was written then. */
  changed: boolean;
  object: ApiObject;
}

export interface Store {
  /** Where the store lives (a file path, or `:memory:`). */
  readonly location: string;
  /** The global revision: it moves with every committed write, in any process. Cheap enough to poll. */
  revision(): number;
  /** One consistent snapshot (a read transaction): never half of a write. */
  list(): StoreSnapshot;
  /**
   * `list()`, reading only what changed since `prev` (an earlier snapshot of this store): objects whose
   * revision is unchanged are `prev`'s objects themselves (same references), the others are read and
   * parsed. For a poller such as the agent: a change costs the changed rows, not the whole store.
   */
  listSince(prev: StoreSnapshot | null): StoreSnapshot;
  get(key: ObjectKey): ApiObject | undefined;
  /**
   * Replace-or-create in one transaction. Namespaced objects need their namespace (stored, in the same
   * batch, or `default`/`kube-system`), else NamespaceNotFoundError and nothing is written. Objects whose
   * content is unchanged keep their revision; when nothing changed the global revision does not move.
   * Returns the revision after the write.
   */
  apply(objects: readonly ApiObject[], opts?: ApplyOptions): number;
  /** `apply`, with what happened to each object (created, configured, unchanged). */
  applyDetailed(objects: readonly ApiObject[], opts?: ApplyOptions): ApplyOutcome;
  /** Delete in one transaction; a Namespace takes everything in it along. Keys that name nothing are skipped. */
  delete(keys: readonly ObjectKey[]): number;
  deleteDetailed(keys: readonly ObjectKey[]): DeleteOutcome;
  /**
   * Change an object's labels in one transaction (NotFoundError if it does not exist). With
   * `overwrite: false` changing an existing label's value is a LabelConflictError (kubectl without --overwrite).
   */
  setLabels(key: ObjectKey, change: LabelChange, opts?: { overwrite?: boolean }): number;
  setLabelsDetailed(key: ObjectKey, change: LabelChange, opts?: { overwrite?: boolean }): LabelOutcome;
  settings(): Settings;
  /** Changes the settings and moves the revision (the agents react to it), unless nothing changed. */
  setSettings(s: Partial<Settings>): number;
  /** Run `fn` inside one read transaction: every read in it sees the same revision. */
  read<T>(fn: () => T): T;
  close(): void;
}
