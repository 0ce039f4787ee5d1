import { IoError } from '../shared/errors.js';
import type { ObjectKey } from './store.js';

/**
 * Refusals of the store, as data: the CLI words them as kubectl does (`Error from server (NotFound): ...`).
 * They are not I/O failures; a back end that cannot be opened or written raises StoreIoError (exit 4).
 */
export abstract class ObjectError extends Error {
  abstract readonly reason: 'NotFound' | 'AlreadyExists' | 'Forbidden' | 'Conflict';
  constructor(readonly key: ObjectKey, message: string) {
    super(message);
  }
}

export class NotFoundError extends ObjectError {
  override name = 'NotFoundError';
  readonly reason = 'NotFound' as const;
  constructor(key: ObjectKey) {
    super(key, `${key.kind} ${keyText(key)} not found`);
  }
}

/** A namespaced object names a namespace that does not exist; `key` is the Namespace, `object` the one that needs it. */
export class NamespaceNotFoundError extends NotFoundError {
  override name = 'NamespaceNotFoundError';
  constructor(namespace: string, readonly object: ObjectKey) {
    super({ kind: 'Namespace', name: namespace });
  }
}

export class AlreadyExistsError extends ObjectError {
  override name = 'AlreadyExistsError';
  readonly reason = 'AlreadyExists' as const;
  constructor(key: ObjectKey) {
    super(key, `${key.kind} ${keyText(key)} already exists`);
  }
}

/** Deleting `default` or `kube-system`, which always exist (the API server forbids it too). */
export class ForbiddenError extends ObjectError {
  override name = 'ForbiddenError';
  readonly reason = 'Forbidden' as const;
  constructor(key: ObjectKey, readonly why: string) {
    super(key, `${key.kind} ${keyText(key)} is forbidden: ${why}`);
  }
}

/** A label would change value without overwrite. */
export class LabelConflictError extends ObjectError {
  override name = 'LabelConflictError';
  readonly reason = 'Conflict' as const;
  constructor(key: ObjectKey, readonly label: string, readonly current: string) {
    super(key, `'${label}' already has a value (${current}), and --overwrite is false`);
  }
}

/** The back end could not be opened, read or written. */
export class StoreIoError extends IoError {
  override name = 'StoreIoError';
}

export function keyText(key: ObjectKey): string {
  return key.namespace !== undefined ? `${key.namespace}/${key.name}` : key.name;
}
